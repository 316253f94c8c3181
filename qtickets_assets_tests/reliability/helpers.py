"""Shared by the reliability tests: in-process runs with short retry budgets, `dg launch`
subprocesses, and snapshots of every mart table for "nothing changed" comparisons."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import dagster as dg

from qtickets_assets.lib.clickhouse.connection import open_client
from qtickets_assets_tests.graph.mart import DATABASE, materialize_all

REPO_ROOT = Path(__file__).resolve().parents[2]
DG = Path(sys.executable).with_name("dg")
# A run configured with few, quick API retries: it fails in seconds while the API stays down (a run
# retry reuses the config, so it fails as quickly).
FAST_FAILING_RUN = {
    "resources": {
        "qtickets": {
            "config": {
                "base_url": {"env": "QTICKETS_BASE_URL"},
                "token": {"env": "QTICKETS_TOKEN"},
                "timeout_seconds": 0.5,
                "max_retries": 1,
                "max_total_wait_seconds": 1.0,
            }
        }
    }
}
# Every table the loader writes, history included. Not v_sales_dashboard: its "today" and "14 days"
# move at each event's local midnight with nothing written (its inputs are all compared here).
ALL_TABLES = [
    "dim_events",
    "dim_shows",
    "inventory_raw",
    "fact_inventory_latest",
    "fact_sales",
]


def sync(base_url: str, token: str, clickhouse_url: str, *, full_refresh: bool = False, **qtickets: Any):
    """A full `dg launch --assets '*'`-equivalent run in this process. `qtickets` overrides the
    API resource's settings (timeout_seconds, max_retries, max_total_wait_seconds, ...); URL and
    token still come from the environment, as in a deployment."""
    run_config: dict[str, Any] = {}
    if qtickets:
        config = {"base_url": {"env": "QTICKETS_BASE_URL"}, "token": {"env": "QTICKETS_TOKEN"}, **qtickets}
        run_config["resources"] = {"qtickets": {"config": config}}
    if full_refresh:
        run_config["ops"] = {"fact_sales": {"config": {"full_refresh": True}}}
    return materialize_all(base_url, token, clickhouse_url, run_config=run_config or None)


def failure_text(result: dg.ExecuteInProcessResult) -> str:
    """Every step failure's message with its causes, as the Dagster UI shows them."""
    lines = []
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            while error is not None:
                lines.append(f"{event.step_key}: {error.message.strip()}")
                error = error.cause
    return "\n".join(lines)


def mart_state(clickhouse_url: str) -> dict[str, list[tuple]]:
    """Every row of every mart table, sorted: equal states mean nothing was written."""
    with open_client(clickhouse_url, DATABASE) as client:
        existing = set(client.query(f"SHOW TABLES FROM {DATABASE}").result_columns[0] or [])
        return {
            table: sorted(map(tuple, client.query(f"SELECT * FROM {DATABASE}.{table}").result_rows), key=repr)
            for table in ALL_TABLES
            if table in existing
        }


def row_counts(clickhouse_url: str) -> dict[str, int]:
    with open_client(clickhouse_url, DATABASE) as client:
        rows = client.query(
            "SELECT name, total_rows FROM system.tables WHERE database = {db:String} AND engine != 'View'",
            parameters={"db": DATABASE},
        ).result_rows
    return {name: int(total or 0) for name, total in rows}


def dg_env(
    base_url: str, token: str, clickhouse_url: str, dagster_home: Path, **extra: str
) -> dict[str, str]:
    dagster_home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QTICKETS_", "CLICKHOUSE_", "DAGSTER_"))}
    env.update(
        QTICKETS_BASE_URL=base_url,
        QTICKETS_TOKEN=token,
        CLICKHOUSE_URL=clickhouse_url,
        CLICKHOUSE_DATABASE=DATABASE,
        DAGSTER_HOME=str(dagster_home),
        **extra,
    )
    return env


def dg_launch(env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`dg launch --assets '*'` from the repository root, as an operator types it."""
    return subprocess.run(
        [str(DG), "launch", "--assets", "*"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
