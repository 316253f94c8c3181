"""`make demo`: the sandbox, a full sync through the real `dg launch`, and the printed dashboard."""

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import dagster as dg
import pandas as pd
import pytest

from qtickets_assets import demo
from qtickets_assets.definitions import defs
from qtickets_assets.lib.clickhouse import mart
from qtickets_assets.lib.clickhouse.connection import open_client
from qtickets_assets.settings import REPO_ROOT

DASHBOARD = pd.DataFrame(
    [
        (24017, "Стендап-концерт «Без цензуры» и другие истории", "Новосибирск", 327, Decimal("348588.75"),
         20, Decimal("21948.75"), 207, Decimal("223837.50"), 1820, 1549, pd.Timestamp("2026-12-05 10:00")),
        (24018, "Балет", "Томск", 0, Decimal("0.00"), 0, Decimal("0.00"), 0, Decimal("0.00"), 0, 0, pd.NaT),
    ],
    columns=[*demo.DASHBOARD_HEADERS, "inventory_updated_at"],
)  # fmt: skip


def test_dashboard_table_aligns_numbers_keeps_kopecks_and_sums_the_summary() -> None:
    lines = demo.format_dashboard(DASHBOARD, 1_346).splitlines()
    assert lines[2].startswith("24017  Стендап-концерт «Без цензуры» и другие …  Новосибирск")
    assert lines[2].index("348,588.75") + len("348,588.75") == lines[3].index("0.00 ") + len("0.00")
    assert lines[-1] == "2 events, 327 tickets sold (1,346 including deleted events), revenue 348,588.75"


def test_dashboard_prints_a_dash_for_the_seats_of_an_event_without_a_live_show() -> None:
    """No inventory snapshot (no live show): the view's 0 seats, 0 left would read as sold out."""
    lines = demo.format_dashboard(DASHBOARD, 1_346).splitlines()
    assert lines[2].split()[-2:] == ["1,820", "1,549"]
    assert lines[3].split()[-2:] == ["—", "—"]
    assert lines[3].endswith("—") and len(lines[3]) == len(lines[2]), "seats stay right-aligned"


def test_environment_forces_the_sandbox_api_and_keeps_the_users_clickhouse() -> None:
    class Handle:
        base_url, token = "http://127.0.0.1:9/api/rest/v1", "sandbox-x"

    env = demo.demo_environment(
        Handle(),
        {"QTICKETS_BASE_URL": "https://qtickets.ru/api/rest/v1", "CLICKHOUSE_URL": "chdb:///elsewhere"},
    )
    assert env["QTICKETS_BASE_URL"] == "http://127.0.0.1:9/api/rest/v1"
    assert env["CLICKHOUSE_URL"] == "chdb:///elsewhere"
    assert env["CLICKHOUSE_DATABASE"] == "qtickets"


@pytest.mark.slow
def test_demo_runs_a_full_sync_and_prints_the_dashboard(tmp_path) -> None:
    env = {
        **os.environ,
        "CLICKHOUSE_URL": f"chdb://{tmp_path / 'ch'}",
        "DAGSTER_HOME": str(tmp_path / "dagster"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "qtickets_assets.demo", "run"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Sales dashboard (qtickets.v_sales_dashboard)" in done.stdout
    with open_client(env["CLICKHOUSE_URL"], "qtickets") as client:
        events, sold, revenue = client.query(
            "SELECT count(), sum(tickets_sold_total), sum(revenue_total) FROM qtickets.v_sales_dashboard"
        ).first_row
        sold_all_events = client.command(
            "SELECT sum(quantity) FROM qtickets.fact_sales FINAL WHERE status = 'paid'"
        )
        zones = {*mart.event_zones(client, "qtickets").values(), "Europe/Moscow"}
        last = max(datetime.now(UTC).astimezone(ZoneInfo(zone)).date() for zone in zones)  # the easternmost
        week = client.query(
            "SELECT sum(tickets_paid), sum(revenue_paid), sum(tickets_refunded) FROM qtickets.v_sales_daily "
            f"WHERE date_local BETWEEN '{last - timedelta(days=6)}' AND '{last}'"
        ).first_row
    assert events > 0 and sold > 0
    lines = done.stdout.strip().splitlines()
    summary = f"{events} events, {sold:,} tickets sold ({sold_all_events:,} including deleted events), "
    assert f"{summary}revenue {revenue:,.2f}" in lines
    # The last 7 local days: a heading, a blank line, the table's two header lines, one line per day.
    start = next(i for i, line in enumerate(lines) if line.startswith("The last 7 days"))
    days = lines[start + 4 : start + 11]
    assert [line.split()[0] for line in days] == [str(last - timedelta(days=6 - n)) for n in range(7)]
    assert sum(int(line.split()[1].replace(",", "")) for line in days) == week[0]
    assert sum(Decimal(line.split()[2].replace(",", "")) for line in days) == week[1]
    assert sum(int(line.split()[3].replace(",", "")) for line in days) == week[2]
    checks = len([spec for assets_def in defs().assets for spec in assets_def.check_specs])
    assert lines[-3] == f"{checks} of {checks} checks passed"
    report = tmp_path / "report.html"
    assert lines[-1] == f"The report, charts and the dashboard in one file: {report}"
    assert f"{summary}revenue {revenue:,.2f} ₽" in report.read_text("utf-8")
    noise = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if " - DEBUG - " in line or "Warning" in line
    ]
    assert not noise, noise[:5]
    assert "sandbox-" not in done.stdout + done.stderr, "the sandbox token was printed"


def test_make_dev_on_a_port_in_use_stops_at_once_naming_it(capsys) -> None:
    """dg dev printed one buried "address already in use" and went on with no web UI, its daemon and
    code servers (and the sandbox) running until killed."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert demo.run_dev(port) == 1
    assert capsys.readouterr().out.startswith(f"error: port {port} is in use (Address already in use)")


def test_the_home_command_has_help_and_makes_nothing_for_it(tmp_path, monkeypatch, capsys) -> None:
    """`python -m qtickets_assets.home --help` set up the home instead of saying what it does."""
    from qtickets_assets import home

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    with pytest.raises(SystemExit) as done:
        home.main(["--help"])
    assert done.value.code == 0 and "DAGSTER_HOME" in capsys.readouterr().out
    assert not (tmp_path / "home").exists()


def test_a_port_whose_last_connection_lingers_in_time_wait_is_free() -> None:
    """Right after a `make dev` that a browser had open, the port holds only TIME_WAIT sockets: the
    web server binds it (SO_REUSEADDR), and the probe must not call it in use."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the web server's (uvicorn)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = listener.accept()
    accepted.close()  # the server's side closes first: its socket lingers in TIME_WAIT
    client.close()
    listener.close()
    assert demo.port_in_use(port) is None


def test_the_check_summary_counts_the_demos_run_not_a_later_one(tmp_path) -> None:
    """`make dev` on the same Dagster home may launch runs behind the demo's (its views sensor
    follows the demo's writes); the summary still counts the checks of the run the demo launched."""

    @dg.asset(check_specs=[dg.AssetCheckSpec("positive", asset="figure")])
    def figure(context: dg.AssetExecutionContext) -> dg.Output[int]:
        value = int(context.run.tags.get("value", "1"))
        yield dg.Output(value)
        yield dg.AssetCheckResult(check_name="positive", passed=value > 0)

    job = dg.define_asset_job("__ASSET_JOB", selection=[figure])
    resolved = dg.Definitions(assets=[figure], jobs=[job]).resolve_job_def("__ASSET_JOB")
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        resolved.execute_in_process(instance=instance, tags={"value": "-1"})  # an earlier run: fails it
        launched_at = datetime.now(UTC)
        resolved.execute_in_process(instance=instance)  # the demo's: passes it
        resolved.execute_in_process(instance=instance, tags={"value": "0"})  # a later run: fails it
    assert demo.check_summary(tmp_path, launched_at) == "1 of 1 checks passed"
