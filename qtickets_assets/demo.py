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
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from tabulate import tabulate

from qtickets_assets import settings
from qtickets_assets.lib.clickhouse.connection import open_client
from qtickets_assets.sandbox.testing import SandboxHandle, run_sandbox

DASHBOARD_COLUMNS = (
    "event_name", "city_name", "tickets_sold_total", "revenue_total", "tickets_sold_today",
    "revenue_today", "tickets_sold_14d", "revenue_14d", "tickets_total", "tickets_left",
)  # fmt: skip
HEADERS = (
    "event",
    "city",
    "sold",
    "revenue",
    "today",
    "revenue today",
    "14 days",
    "revenue 14d",
    "seats",
    "left",
)
NAME_WIDTH = 34
# Dagster's console logger prints every step event at DEBUG; the demo shows INFO and up.
INFO_LOGS = '{"loggers": {"console": {"config": {"log_level": "INFO"}}}}'
BIN = Path(sys.executable).parent


def demo_environment(sandbox: SandboxHandle, base: dict[str, str]) -> dict[str, str]:
    """The environment for `dg`: the sandbox API always, the user's ClickHouse settings if any."""
    env = dict(base)
    env["QTICKETS_BASE_URL"] = sandbox.base_url
    env["QTICKETS_TOKEN"] = sandbox.token
    env.setdefault("CLICKHOUSE_URL", settings.default_clickhouse_url())
    env.setdefault("CLICKHOUSE_DATABASE", settings.DEFAULT_DATABASE)
    env.setdefault("DAGSTER_HOME", str(settings.REPO_ROOT / ".data" / "dagster"))
    # As if the venv were activated: `dg` checks it and starts its Python processes from PATH.
    env["VIRTUAL_ENV"] = sys.prefix
    env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", "")])
    return env


def run_demo() -> int:
    # The sandbox serves from threads of this process while `dg launch` runs as a child process.
    with run_sandbox(size="small", seed=7, token="sandbox-" + secrets.token_urlsafe(18)) as sandbox:
        env = demo_environment(sandbox, dict(os.environ))
        Path(env["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
        print(f"sandbox API at {sandbox.base_url}; running dg launch --assets '*'", flush=True)
        command = [str(BIN / "dg"), "launch", "--assets", "*", "--config-json", INFO_LOGS]
        code = subprocess.call(command, cwd=settings.REPO_ROOT, env=env)
    if code != 0:
        print(f"demo: dg launch failed with exit code {code}", file=sys.stderr)
        return code
    return print_dashboard(env["CLICKHOUSE_URL"], env["CLICKHOUSE_DATABASE"], sys.stdout)


def run_dev() -> int:
    with run_sandbox(size="small", seed=7, token="sandbox-" + secrets.token_urlsafe(18)) as sandbox:
        env = demo_environment(sandbox, dict(os.environ))
        print(f"sandbox API at {sandbox.base_url}; starting dg dev (Ctrl-C stops both)", flush=True)
        try:
            return subprocess.call([str(BIN / "dg"), "dev"], cwd=settings.REPO_ROOT, env=env)
        except KeyboardInterrupt:
            return 0


def print_dashboard(url: str, database: str, out: IO[str]) -> int:
    with open_client(url, database) as client:
        result = client.query(
            f"SELECT {', '.join(DASHBOARD_COLUMNS)} FROM {database}.v_sales_dashboard "
            "ORDER BY revenue_total DESC, event_name"
        )
    print(f"\nSales dashboard ({database}.v_sales_dashboard)\n", file=out)
    print(format_dashboard(result.column_names, result.result_rows), file=out)
    return 0


def format_dashboard(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """An aligned table (numbers right-aligned, thousands separated) and a one-line summary."""
    sold, revenue = columns.index("tickets_sold_total"), columns.index("revenue_total")
    summary = (
        f"{len(rows)} events, {sum(row[sold] for row in rows):,} tickets sold, "
        f"revenue {sum(row[revenue] for row in rows):,.2f}"
    )
    shown = [[_shorten(value) for value in row] for row in rows]
    table = tabulate(shown, headers=HEADERS, intfmt=",", floatfmt=",.2f")
    return f"{table}\n\n{summary}"


def _shorten(value: object) -> object:
    if isinstance(value, str) and len(value) > NAME_WIDTH:
        return value[: NAME_WIDTH - 1] + "…"
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m qtickets_assets.demo", description=__doc__.splitlines()[0]
    )
    parser.add_argument("command", choices=("run", "dev"))
    return run_demo() if parser.parse_args(argv).command == "run" else run_dev()


if __name__ == "__main__":
    sys.exit(main())
