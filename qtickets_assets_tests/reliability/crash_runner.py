"""A full sync in its own process, for tests that SIGKILL it: `python -m
qtickets_assets_tests.reliability.crash_runner POINT MARKER [--full-refresh]`.

Configuration comes from the environment, as for `dg launch`. POINT picks where the run stops
and waits to be killed, after creating the file MARKER (the test's cue):
- `none`: no stop (kill it on your own cue, e.g. mid-crawl);
- `staging`: fact_inventory_latest's staging table is filled, the EXCHANGE has not happened yet;
- `insert`: half the rows of the fact_sales insert are written.
The hook lives here, in the test runner, so production code carries no test-only switch.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pyarrow as pa

from qtickets_assets.lib.clickhouse import writers
from qtickets_assets_tests.reliability.helpers import sync


def _stop_here(marker: Path) -> None:
    marker.write_text(str(os.getpid()))
    time.sleep(600)  # the test kills us well before this ends


def _install(point: str, marker: Path) -> None:
    # Every write goes through writers.insert: Arrow data, or an INSERT ... SELECT (the latest
    # inventory is filled inside ClickHouse).
    real_insert = writers.insert

    def insert(client, database, table, rows, **options):
        if point == "staging" and table.startswith("fact_inventory_latest__staging_"):
            real_insert(client, database, table, rows, **options)
            _stop_here(marker)
        elif point == "insert" and table == "fact_sales":
            whole = pa.concat_tables(writers.in_blocks(rows))  # the IO manager hands on a stream
            writers.insert_blocks(client, database, table, whole.slice(0, whole.num_rows // 2))
            _stop_here(marker)
        return real_insert(client, database, table, rows, **options)

    writers.insert = insert


def main() -> int:
    point, marker = sys.argv[1], Path(sys.argv[2])
    if point != "none":
        _install(point, marker)
    result = sync(
        os.environ["QTICKETS_BASE_URL"],
        os.environ["QTICKETS_TOKEN"],
        os.environ["CLICKHOUSE_URL"],
        full_refresh="--full-refresh" in sys.argv,
    )
    print("run succeeded" if result.success else "run failed", flush=True)
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main())
