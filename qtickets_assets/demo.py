"""The offline demo: sandbox API + embedded ClickHouse + one full sync, or the web UI beside it.

`python -m qtickets_assets.demo run`  starts the sandbox, runs `dg launch --assets '*'`, prints the
                                      sales dashboard.
`python -m qtickets_assets.demo dev`  starts the sandbox and runs `dg dev` until Ctrl-C.

The sandbox always replaces QTICKETS_BASE_URL/QTICKETS_TOKEN here (a demo must never reach a real
account); CLICKHOUSE_URL and CLICKHOUSE_DATABASE are respected when already set.
"""

from __future__ import annotations

import argparse
import collections
import os
import queue
import re
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

READY_PATTERN = re.compile(r"sandbox listening on (?P<url>https?://\S+)")
SANDBOX_START_TIMEOUT_S = 60.0
SANDBOX_STOP_TIMEOUT_S = 5.0
DEFAULT_DATABASE = "qtickets"
MAX_CELL_WIDTH = 40

DASHBOARD_COLUMNS = (
    "event_name",
    "city_name",
    "tickets_sold_total",
    "revenue_total",
    "tickets_sold_today",
    "revenue_today",
    "tickets_sold_14d",
    "revenue_14d",
    "tickets_total",
    "tickets_left",
)

# Server and chDB spell "the table is not there" differently; any of these means the asset graph
# has not created the view (yet), which is a note for the demo, not a failure.
_MISSING_OBJECT_MARKERS = ("UNKNOWN_TABLE", "UNKNOWN_DATABASE", "doesn't exist", "does not exist")


class DemoError(RuntimeError):
    """A problem the demo reports in one line and exits on."""


def repo_root() -> Path:
    """The checkout the demo runs in: the folder holding pyproject.toml above this package."""
    candidate = Path(__file__).resolve().parents[1]
    return candidate if (candidate / "pyproject.toml").is_file() else Path.cwd()


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (the sandbox binds it right after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def redact(text: str, secret: str) -> str:
    return text.replace(secret, "***") if secret else text


@dataclass
class OutputPump:
    """Drains a child's merged stdout/stderr in a thread.

    Draining must go on after the ready line: a chatty child whose pipe is never read would block
    on a full pipe buffer and stall the sync. The last lines are kept for error messages.
    """

    stream: IO[str]
    lines: queue.Queue[str | None] = field(default_factory=queue.Queue)
    tail: collections.deque[str] = field(default_factory=lambda: collections.deque(maxlen=20))

    def start(self) -> OutputPump:
        threading.Thread(target=self._pump, name="sandbox-output", daemon=True).start()
        return self

    def _pump(self) -> None:
        for line in self.stream:
            self.tail.append(line.rstrip("\n"))
            self.lines.put(line)
        self.lines.put(None)  # end of output: the child closed its stdout (usually: it exited)


def wait_for_line(
    proc: subprocess.Popen[str],
    pump: OutputPump,
    pattern: re.Pattern[str],
    timeout: float,
    what: str | None = None,
) -> re.Match[str]:
    """Block until the child prints a line matching `pattern`; fail clearly on exit or timeout."""
    what = what or repr(pattern.pattern)
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise DemoError(f"no {what} within {timeout:g}s")
        try:
            line = pump.lines.get(timeout=min(remaining, 0.2))
        except queue.Empty:
            continue
        if line is None:
            code = proc.wait(timeout=SANDBOX_STOP_TIMEOUT_S)
            raise DemoError(f"process exited with code {code} before printing {what}")
        match = pattern.search(line)
        if match:
            return match


def stop_process(proc: subprocess.Popen[Any], timeout: float = SANDBOX_STOP_TIMEOUT_S) -> None:
    """Terminate, then kill if it does not go: the demo must never leave a sandbox behind."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


@dataclass(frozen=True)
class Sandbox:
    base_url: str
    token: str


def sandbox_command(port: int, token: str) -> list[str]:
    return [
        sys.executable, "-m", "qtickets_assets.sandbox", "serve",
        "--size", "small", "--seed", "7", "--host", "127.0.0.1", "--port", str(port),
        "--token", token,
    ]  # fmt: skip


@contextmanager
def running_sandbox(root: Path, timeout: float = SANDBOX_START_TIMEOUT_S) -> Iterator[Sandbox]:
    """Start the sandbox API on a free loopback port; stop it however the block ends."""
    token = "sandbox-" + secrets.token_urlsafe(18)
    proc = subprocess.Popen(
        sandbox_command(free_port(), token),
        cwd=root,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    try:
        assert proc.stdout is not None
        pump = OutputPump(proc.stdout).start()
        try:
            match = wait_for_line(proc, pump, READY_PATTERN, timeout, what="'sandbox listening on …' line")
        except DemoError as exc:
            tail = redact("\n".join(pump.tail), token)
            raise DemoError(f"the sandbox did not start: {exc}\n{tail}".rstrip()) from None
        yield Sandbox(base_url=match["url"], token=token)
    finally:
        stop_process(proc)


def demo_env(root: Path, sandbox: Sandbox, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for `dg`: sandbox API always, the user's ClickHouse settings if any."""
    env = dict(os.environ if base is None else base)
    env["QTICKETS_BASE_URL"] = sandbox.base_url
    env["QTICKETS_TOKEN"] = sandbox.token
    env.setdefault("CLICKHOUSE_URL", f"chdb://{root / '.data' / 'clickhouse'}")
    env.setdefault("CLICKHOUSE_DATABASE", DEFAULT_DATABASE)
    env.setdefault("DAGSTER_HOME", str(root / ".data" / "dagster"))
    if sys.prefix != sys.base_prefix:
        # As if the venv were activated: `dg` checks it and spawns its Python processes from PATH.
        env["VIRTUAL_ENV"] = sys.prefix
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def ensure_dagster_home(root: Path, dagster_home: Path) -> None:
    """What `make` does before the demo, for a direct `python -m` call: a persistent instance."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    target = dagster_home / "dagster.yaml"
    if not target.exists() and (root / "dagster.yaml").is_file():
        shutil.copyfile(root / "dagster.yaml", target)


def dg_executable() -> str:
    """`dg` from this interpreter's environment, so the demo never picks up another install."""
    beside = Path(sys.executable).parent / "dg"
    if beside.is_file():
        return str(beside)
    found = shutil.which("dg")
    if found is None:
        raise DemoError("the `dg` command is not installed (run `make setup`)")
    return found


# --- the dashboard -------------------------------------------------------------------------------


def display_width(text: str) -> int:
    """Terminal columns: wide East Asian characters take two, combining marks none."""
    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        for ch in text
    )


def format_cell(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return f"{value:,}".replace(",", " ")
    if isinstance(value, Decimal | float):
        return f"{value:,.2f}".replace(",", " ")
    text = " ".join(str(value).split())  # one line per row, whatever the event name holds
    if display_width(text) > MAX_CELL_WIDTH:
        while display_width(text) > MAX_CELL_WIDTH - 1:
            text = text[:-1]
        text += "…"
    return text


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * (width - display_width(text))
    return gap + text if right else text + gap


def format_table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """An aligned plain-text table: numbers right-aligned (digits line up), text left-aligned."""
    cells = [[format_cell(v) for v in row] for row in rows]
    numeric = [
        bool(rows) and all(_is_number(row[i]) or row[i] is None for row in rows) for i in range(len(columns))
    ]
    widths = [
        max([display_width(col), *(display_width(r[i]) for r in cells)]) for i, col in enumerate(columns)
    ]

    def line(values: Sequence[str]) -> str:
        return "  ".join(_pad(v, widths[i], numeric[i]) for i, v in enumerate(values)).rstrip()

    header = line(list(columns))
    rule = "  ".join("-" * w for w in widths)
    return "\n".join([header, rule, *(line(r) for r in cells)])


def summary_line(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    sold = columns.index("tickets_sold_total")
    revenue = columns.index("revenue_total")
    tickets = sum(int(row[sold] or 0) for row in rows)
    money = sum((Decimal(str(row[revenue] or 0)) for row in rows), Decimal(0))
    events = f"{len(rows)} event" + ("" if len(rows) == 1 else "s")
    return f"{events}, {format_cell(tickets)} tickets sold, revenue {format_cell(money)}"


def dashboard_query(database: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", database):
        raise DemoError(f"CLICKHOUSE_DATABASE {database!r} is not a plain identifier")
    return (
        f"SELECT {', '.join(DASHBOARD_COLUMNS)} FROM {database}.v_sales_dashboard ORDER BY revenue_total DESC"
    )


def is_missing_object_error(exc: BaseException) -> bool:
    text = str(exc)
    return any(marker in text for marker in _MISSING_OBJECT_MARKERS)


def print_dashboard(url: str, database: str, out: IO[str]) -> int:
    """Print the dashboard; 0 when shown or not built yet, 1 on any other database problem."""
    try:
        from qtickets_assets.lib.clickhouse.connection import open_client
    except ImportError as exc:
        print(f"note: no dashboard yet, the ClickHouse connection module is missing ({exc})", file=out)
        return 0
    try:
        with open_client(url, database) as client:
            result = client.query(dashboard_query(database))
            columns, rows = list(result.column_names), list(result.result_rows)
    except DemoError:
        raise
    except Exception as exc:
        if is_missing_object_error(exc):
            print(f"note: {database}.v_sales_dashboard does not exist yet; nothing to show.", file=out)
            return 0
        # The message may quote the URL; only its type and a password-free text are shown.
        reason = f"{type(exc).__name__}: {_strip_credentials(str(exc))}"
        print(f"error: reading the dashboard failed: {reason}", file=out)
        return 1
    print(f"\nSales dashboard ({database}.v_sales_dashboard)\n", file=out)
    print(format_table(columns, rows) if rows else "(no events)", file=out)
    print("\n" + summary_line(columns, rows), file=out)
    return 0


def _strip_credentials(text: str) -> str:
    return re.sub(r"(?<=://)[^/@\s]+@", "***@", text)


# --- commands ------------------------------------------------------------------------------------


def command_run(root: Path) -> int:
    with running_sandbox(root) as sandbox:
        env = demo_env(root, sandbox)
        ensure_dagster_home(root, Path(env["DAGSTER_HOME"]))
        print(f"sandbox ready at {sandbox.base_url}; running dg launch --assets '*'", flush=True)
        code = subprocess.call([dg_executable(), "launch", "--assets", "*"], cwd=root, env=env)
    if code != 0:
        print(f"dg launch failed with exit code {code}", file=sys.stderr)
        return code
    return print_dashboard(env["CLICKHOUSE_URL"], env["CLICKHOUSE_DATABASE"], sys.stdout)


def command_dev(root: Path) -> int:
    with running_sandbox(root) as sandbox:
        env = demo_env(root, sandbox)
        ensure_dagster_home(root, Path(env["DAGSTER_HOME"]))
        print(f"sandbox ready at {sandbox.base_url}; starting dg dev (Ctrl-C to stop)", flush=True)
        proc = subprocess.Popen([dg_executable(), "dev"], cwd=root, env=env)
        try:
            return proc.wait()
        except KeyboardInterrupt:
            # The terminal sent SIGINT to dg dev too; give it time to shut its children down.
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                stop_process(proc)
            return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m qtickets_assets.demo",
        description="Offline demo: sandbox API, embedded ClickHouse, Dagster.",
    )
    parser.add_argument("command", choices=("run", "dev"))
    args = parser.parse_args(argv)
    root = repo_root()
    try:
        return command_run(root) if args.command == "run" else command_dev(root)
    except DemoError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("demo: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
