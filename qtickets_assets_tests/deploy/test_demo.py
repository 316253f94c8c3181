"""The demo runner's pieces: sandbox start/stop, environment, dashboard formatting and errors."""

from __future__ import annotations

import io
import subprocess
import sys
import time
import types
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest

from qtickets_assets import demo

READY = "sandbox listening on http://127.0.0.1:1/api/rest/v1"


def _spawn(code: str) -> tuple[subprocess.Popen[str], demo.OutputPump]:
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    return proc, demo.OutputPump(proc.stdout).start()


def test_wait_for_line_returns_the_url_after_other_output() -> None:
    proc, pump = _spawn(f"print('warming up'); print({READY!r}, flush=True)")
    try:
        match = demo.wait_for_line(proc, pump, demo.READY_PATTERN, timeout=10)
    finally:
        demo.stop_process(proc)
    assert match["url"] == "http://127.0.0.1:1/api/rest/v1"


def test_wait_for_line_times_out_with_a_clear_error() -> None:
    proc, pump = _spawn("import time; print('still starting', flush=True); time.sleep(30)")
    started = time.monotonic()
    try:
        with pytest.raises(demo.DemoError, match=r"within 0.5s"):
            demo.wait_for_line(proc, pump, demo.READY_PATTERN, timeout=0.5)
    finally:
        demo.stop_process(proc)
    assert time.monotonic() - started < 5
    assert proc.poll() is not None, "stop_process must leave no child behind"


def test_wait_for_line_reports_an_early_exit_with_its_code() -> None:
    proc, pump = _spawn("import sys; print('boom'); sys.exit(3)")
    with pytest.raises(demo.DemoError, match=r"exited with code 3"):
        demo.wait_for_line(proc, pump, demo.READY_PATTERN, timeout=10)


def test_stop_process_kills_a_child_that_ignores_terminate() -> None:
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(60)"
    )
    proc, pump = _spawn(code)
    demo.wait_for_line(proc, pump, demo.re.compile("ready"), timeout=10)
    demo.stop_process(proc, timeout=0.5)
    assert proc.returncode is not None and proc.returncode < 0


@pytest.fixture
def fake_sandbox(monkeypatch: pytest.MonkeyPatch) -> list[subprocess.Popen[str]]:
    """Replace the real sandbox command with a tiny script; record the processes started."""
    started: list[subprocess.Popen[str]] = []
    real_popen = subprocess.Popen

    def popen(*args: object, **kwargs: object) -> subprocess.Popen[str]:
        proc = real_popen(*args, **kwargs)  # type: ignore[call-overload]
        started.append(proc)
        return proc

    monkeypatch.setattr(demo.subprocess, "Popen", popen)
    return started


def _fake_command(code: str) -> object:
    return lambda port, token: [sys.executable, "-c", code, str(port), token]


def test_running_sandbox_yields_the_url_and_stops_the_child(
    fake_sandbox: list[subprocess.Popen[str]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    code = f"import time; print({READY!r}, flush=True); time.sleep(60)"
    monkeypatch.setattr(demo, "sandbox_command", _fake_command(code))
    with pytest.raises(RuntimeError, match="inside"), demo.running_sandbox(tmp_path, timeout=10) as sandbox:
        assert sandbox.base_url == "http://127.0.0.1:1/api/rest/v1"
        assert sandbox.token.startswith("sandbox-") and len(sandbox.token) > 20
        raise RuntimeError("inside")
    assert [p.poll() is not None for p in fake_sandbox] == [True]


def test_sandbox_start_failure_never_shows_the_token(
    fake_sandbox: list[subprocess.Popen[str]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A broken sandbox that echoes its argv (token included) and dies.
    code = "import sys; print('bad args:', sys.argv[1:], flush=True); sys.exit(2)"
    monkeypatch.setattr(demo, "sandbox_command", _fake_command(code))
    with pytest.raises(demo.DemoError) as info, demo.running_sandbox(tmp_path, timeout=10):
        pass
    message = str(info.value)
    assert "did not start" in message and "exited with code 2" in message and "bad args" in message
    assert "sandbox-" not in message and "***" in message


def test_demo_env_forces_the_sandbox_api_but_keeps_clickhouse_settings(tmp_path: Path) -> None:
    sandbox = demo.Sandbox(base_url="http://127.0.0.1:9/api/rest/v1", token="sandbox-abc")
    base = {"QTICKETS_BASE_URL": "https://qtickets.ru/api/rest/v1", "QTICKETS_TOKEN": "real"}
    env = demo.demo_env(tmp_path, sandbox, base)
    assert env["QTICKETS_BASE_URL"] == sandbox.base_url and env["QTICKETS_TOKEN"] == "sandbox-abc"
    assert env["CLICKHOUSE_URL"] == f"chdb://{tmp_path / '.data' / 'clickhouse'}"
    assert env["CLICKHOUSE_DATABASE"] == "qtickets"
    assert env["DAGSTER_HOME"] == str(tmp_path / ".data" / "dagster")
    if sys.prefix != sys.base_prefix:
        assert env["VIRTUAL_ENV"] == sys.prefix
        assert env["PATH"].split(demo.os.pathsep)[0] == str(Path(sys.executable).parent)

    kept = demo.demo_env(tmp_path, sandbox, {"CLICKHOUSE_URL": "http://h:8123", "CLICKHOUSE_DATABASE": "x"})
    assert kept["CLICKHOUSE_URL"] == "http://h:8123" and kept["CLICKHOUSE_DATABASE"] == "x"


def test_free_port_can_be_bound() -> None:
    import socket

    port = demo.free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
    assert 0 < port < 65536


ROWS = [
    ("«Сплин»", "Томск", 1200, Decimal("1850000.50"), 3, Decimal("4500.00"), 40, Decimal("61000"), 1500, 300),
    ("Stand-up", "Новосибирск", 7, Decimal("7.5"), 0, Decimal("0"), 7, Decimal("7.5"), 100, 93),
    ("Без продаж", "Томск", 0, Decimal("0"), 0, Decimal("0"), 0, Decimal("0"), 0, None),
]  # fmt: skip


def test_format_table_aligns_text_left_and_numbers_right() -> None:
    table = demo.format_table(demo.DASHBOARD_COLUMNS, ROWS)
    header, rule, *body = table.splitlines()
    assert header.split() == list(demo.DASHBOARD_COLUMNS)
    assert len(body) == 3
    # Right-aligned money: the decimal points of revenue_total sit in one column.
    end = rule.split("  ")
    revenue_end = sum(len(w) + 2 for w in end[:4]) - 2
    for line, expected in zip(body, ["1 850 000.50", "7.50", "0.00"], strict=True):
        assert line[revenue_end - len(expected) : revenue_end] == expected
    # Left-aligned text: every city starts in the same column as its header.
    city_start = header.index("city_name")
    assert [line[city_start:].split("  ")[0].strip() for line in body] == ["Томск", "Новосибирск", "Томск"]
    assert body[2].endswith("—"), "an unknown value shows as a dash, not as 0"


def test_format_cell_truncates_long_text_and_keeps_one_line() -> None:
    cell = demo.format_cell("Очень длинное название\nмероприятия " * 5)
    assert "\n" not in cell and cell.endswith("…") and demo.display_width(cell) == demo.MAX_CELL_WIDTH


def test_display_width_counts_wide_characters_twice() -> None:
    assert demo.display_width("Томск") == 5
    assert demo.display_width("東京") == 4


def test_summary_line_adds_up_events_tickets_and_revenue() -> None:
    line = demo.summary_line(demo.DASHBOARD_COLUMNS, ROWS)
    assert line == "3 events, 1 207 tickets sold, revenue 1 850 008.00"
    assert demo.summary_line(demo.DASHBOARD_COLUMNS, ROWS[1:2]).startswith("1 event, 7 tickets sold")


def test_dashboard_query_refuses_an_injected_database_name() -> None:
    assert "FROM qtickets.v_sales_dashboard ORDER BY revenue_total DESC" in demo.dashboard_query("qtickets")
    with pytest.raises(demo.DemoError):
        demo.dashboard_query("qtickets; DROP TABLE x")


def _install_fake_connection(monkeypatch: pytest.MonkeyPatch, open_client: object) -> None:
    module = types.ModuleType("qtickets_assets.lib.clickhouse.connection")
    module.open_client = open_client  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "qtickets_assets.lib.clickhouse.connection", module)


def test_print_dashboard_notes_a_missing_view_and_succeeds(monkeypatch: pytest.MonkeyPatch) -> None:
    @contextmanager
    def open_client(url: str, database: str) -> Iterator[object]:
        raise RuntimeError("Code: 60. DB::Exception: Unknown table expression (UNKNOWN_TABLE)")
        yield

    _install_fake_connection(monkeypatch, open_client)
    out = io.StringIO()
    assert demo.print_dashboard("chdb:///tmp/x", "qtickets", out) == 0
    assert "does not exist yet" in out.getvalue()


def test_print_dashboard_prints_rows_and_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    class Client:
        def query(self, sql: str) -> object:
            seen.append(sql)
            return types.SimpleNamespace(column_names=demo.DASHBOARD_COLUMNS, result_rows=ROWS)

    @contextmanager
    def open_client(url: str, database: str) -> Iterator[Client]:
        yield Client()

    _install_fake_connection(monkeypatch, open_client)
    out = io.StringIO()
    assert demo.print_dashboard("chdb:///tmp/x", "qtickets", out) == 0
    assert seen == [demo.dashboard_query("qtickets")]
    assert "«Сплин»" in out.getvalue() and "3 events, 1 207 tickets sold" in out.getvalue()


def test_print_dashboard_hides_credentials_in_other_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    @contextmanager
    def open_client(url: str, database: str) -> Iterator[object]:
        raise ConnectionError(f"cannot reach {url}")
        yield

    _install_fake_connection(monkeypatch, open_client)
    out = io.StringIO()
    url = "http://etl_writer:" + "s3cr3t-value" + "@clickhouse:8123"
    assert demo.print_dashboard(url, "qtickets", out) == 1
    assert "s3cr3t-value" not in out.getvalue() and "***@clickhouse:8123" in out.getvalue()


def test_command_run_returns_dg_exit_code_and_stops_the_sandbox(
    fake_sandbox: list[subprocess.Popen[str]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    code = f"import time; print({READY!r}, flush=True); time.sleep(60)"
    monkeypatch.setattr(demo, "sandbox_command", _fake_command(code))
    fake_dg = tmp_path / "dg"
    fake_dg.write_text(f"#!{sys.executable}\nimport sys\nsys.exit(3)\n")
    fake_dg.chmod(0o755)
    monkeypatch.setattr(demo, "dg_executable", lambda: str(fake_dg))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    assert demo.command_run(tmp_path) == 3
    assert fake_sandbox[0].poll() is not None
