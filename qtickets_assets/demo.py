"""The offline demo: the sandbox API, embedded ClickHouse and one full sync, or the web UI beside it.

`python -m qtickets_assets.demo run`  serves the sandbox, runs `dg launch --assets '*'` against it
                                      and prints the sales dashboard.
`python -m qtickets_assets.demo dev`  serves the sandbox and runs `dg dev` until Ctrl-C.

The sandbox always sets QTICKETS_BASE_URL/QTICKETS_TOKEN here (a demo must never reach a real
account); CLICKHOUSE_URL and CLICKHOUSE_DATABASE are kept when already set.
"""

import argparse
import os
import secrets
import subprocess
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

import dagster as dg
import pandas as pd

from qtickets_assets import home, report, settings
from qtickets_assets.lib import figures, tickets
from qtickets_assets.lib.clickhouse import mart
from qtickets_assets.lib.clickhouse.connection import open_client
from qtickets_assets.sandbox.testing import SandboxHandle, run_sandbox

# The dashboard as printed: its columns under these titles.
DASHBOARD_HEADERS = {
    "event_id": "id",
    "event_name": "event",
    "city_name": "city",
    "tickets_sold_total": "sold",
    "revenue_total": "revenue",
    "tickets_sold_today": "today",
    "revenue_today": "revenue today",
    "tickets_sold_14d": "14 days",
    "revenue_14d": "revenue 14d",
    "tickets_total": "seats",
    "tickets_left": "left",
}
# The last days' sales as printed.
DAILY_HEADERS = {
    "date_local": "day (local)",
    "tickets_paid": "paid",
    "revenue_paid": "revenue",
    "tickets_refunded": "refunded",
    "amount_refunded": "paid back",
}
DAYS_SHOWN = 7
BIN = Path(sys.executable).parent


def demo_environment(sandbox: SandboxHandle, base: dict[str, str]) -> dict[str, str]:
    """The environment for `dg`: the sandbox API always, the user's ClickHouse settings if any."""
    env = dict(base)
    env["QTICKETS_BASE_URL"] = sandbox.base_url
    env["QTICKETS_TOKEN"] = sandbox.token
    env.setdefault("CLICKHOUSE_URL", settings.default_clickhouse_url())
    env.setdefault("CLICKHOUSE_DATABASE", settings.DEFAULT_DATABASE)
    env.setdefault("DAGSTER_HOME", str(settings.REPO_ROOT / ".data" / "dagster"))
    # Dagster's own selection parser passes a beta parameter to itself when `dg launch` reads
    # `--assets '*'` and warns about it on every run; nothing a user can act on.
    env.setdefault("PYTHONWARNINGS", "ignore:Parameter `include_sources`")
    # As if the venv were activated: `dg` checks it and starts its Python processes from PATH.
    env["VIRTUAL_ENV"] = sys.prefix
    env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", "")])
    return env


def run_demo() -> int:
    # The sandbox serves from threads of this process while `dg launch` runs as a child process.
    with run_sandbox(size="small", seed=7, token="sandbox-" + secrets.token_urlsafe(18)) as sandbox:
        env = demo_environment(sandbox, dict(os.environ))
        home.prepare(Path(env["DAGSTER_HOME"]))
        print(f"sandbox API at {sandbox.base_url}; running dg launch --assets '*'", flush=True)
        code = subprocess.call([str(BIN / "dg"), "launch", "--assets", "*"], cwd=settings.REPO_ROOT, env=env)
    if code != 0:
        print(f"demo: dg launch failed with exit code {code}", file=sys.stderr)
        return code
    print_dashboard(env["CLICKHOUSE_URL"], env["CLICKHOUSE_DATABASE"], sys.stdout)
    print(f"\n{check_summary(Path(env['DAGSTER_HOME']))}")
    # Beside Dagster's home (.data/ by default), so a demo on another home writes its own.
    report_path = Path(env["DAGSTER_HOME"]).parent / "report.html"
    print_report_path(env["CLICKHOUSE_URL"], env["CLICKHOUSE_DATABASE"], report_path, sys.stdout)
    return 0


def run_dev() -> int:
    with run_sandbox(size="small", seed=7, token="sandbox-" + secrets.token_urlsafe(18)) as sandbox:
        env = demo_environment(sandbox, dict(os.environ))
        dagster_home = Path(env["DAGSTER_HOME"])
        home.prepare(dagster_home)
        control = sandbox.base_url.removesuffix("/api/rest/v1") + "/_sandbox/advance"
        print(
            f"sandbox API at {sandbox.base_url} (its data is generated anew each time make dev starts: "
            "run a full_refresh of fact_sales after a restart)\n"
            f"new sales, refunds and cancellations: curl -X POST {control} "
            """-d '{"new_orders": 20, "refunds": 3, "cancellations": 2, "scans": 10}'\n"""
            "starting dg dev on http://127.0.0.1:3000 (Ctrl-C stops both)",
            flush=True,
        )
        # Started from DAGSTER_HOME (the project is given by --target-path): Dagster warns about a
        # dagster.yaml in its working directory that is not DAGSTER_HOME's, and ours is the template.
        command = [str(BIN / "dg"), "dev", "--target-path", str(settings.REPO_ROOT)]
        try:
            return subprocess.call(command, cwd=dagster_home, env=env)
        except KeyboardInterrupt:
            return 0


def print_dashboard(url: str, database: str, out: IO[str]) -> None:
    """The dashboard, then every event's sales over the last local days (v_sales_daily)."""
    with open_client(url, database) as client:
        dashboard = mart.dashboard(client, database)
        last = latest_local_day(mart.event_zones(client, database).values())
        first = last - timedelta(days=DAYS_SHOWN - 1)
        daily = mart.daily_sales(client, database, first, last)
    print(f"\nSales dashboard ({database}.v_sales_dashboard)\n", file=out)
    print(format_dashboard(dashboard), file=out)
    print(
        f"\nThe last {DAYS_SHOWN} days, each event's days in its own time zone ({database}.v_sales_daily)\n",
        file=out,
    )
    print(figures.text_table(daily, DAILY_HEADERS), file=out)


def print_report_path(url: str, database: str, path: Path, out: IO[str]) -> None:
    """Writes the one-file HTML report (charts and the dashboard) to `path` and says where it is."""
    print(
        f"\nThe report, charts and the dashboard in one file: {report.write_report(url, database, path)}",
        file=out,
    )


def latest_local_day(zones: Iterable[str]) -> date:
    """Today in the easternmost of `zones` (Moscow's when none): the newest day any event has begun."""
    now = datetime.now(UTC)
    return max(now.astimezone(ZoneInfo(zone)).date() for zone in {*zones, tickets.DEFAULT_TIMEZONE})


def format_dashboard(dashboard: pd.DataFrame) -> str:
    """An aligned table (numbers right-aligned, thousands separated) and a one-line summary."""
    summary = (
        f"{len(dashboard)} events, {int(dashboard['tickets_sold_total'].sum()):,} tickets sold, "
        f"revenue {sum(dashboard['revenue_total'], Decimal(0)):,.2f}"
    )
    return f"{figures.text_table(dashboard, DASHBOARD_HEADERS)}\n\n{summary}"


def check_summary(dagster_home: Path) -> str:
    """ "19 of 19 checks passed" for the newest run in `dagster_home`, naming any that did not."""
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        [run] = instance.get_runs(limit=1)
        records = instance.get_records_for_run(
            run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=10_000
        ).records
    evaluations = [
        r.event_log_entry.dagster_event.asset_check_evaluation_data
        for r in records
        if r.event_log_entry.dagster_event
    ]
    failed = sorted(f"{e.asset_key.to_user_string()}.{e.check_name}" for e in evaluations if not e.passed)
    line = f"{len(evaluations) - len(failed)} of {len(evaluations)} checks passed"
    return f"{line}; failed: {', '.join(failed)}" if failed else line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m qtickets_assets.demo", description=__doc__.splitlines()[0]
    )
    parser.add_argument("command", choices=("run", "dev"))
    return run_demo() if parser.parse_args(argv).command == "run" else run_dev()


if __name__ == "__main__":
    sys.exit(main())
