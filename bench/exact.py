"""Is a mart exact? Every table and view against the truth of the sandbox it was loaded from.

`python -m bench.exact --clickhouse-url chdb:///dir --sandbox-url http://127.0.0.1:PORT/api/rest/v1`
prints one JSON object per table (`compare.TableDifference`'s fields, its count and its message). The truth
comes over the sandbox's control route (`GET /_sandbox/truth`), so the sandbox can be a process of
its own; the comparison is `qtickets_assets/sandbox/compare.py`, the one the tests assert with.
`bench.run` runs this in a subprocess after a full sync, outside the run's figures: chDB opens one
directory per process, and the next `dg launch` on the same mart needs it.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from functools import partial

from qtickets_assets.lib.clickhouse.connection import open_client
from qtickets_assets.sandbox.compare import TableDifference, compare_mart_now, mart_rows
from qtickets_assets.sandbox.process import SandboxControl
from qtickets_assets.sandbox.truth import no_cyclic_gc

DATABASE = "qtickets"


def mart_differences(
    clickhouse_url: str, sandbox_url: str, database: str = DATABASE
) -> list[TableDifference]:
    control = SandboxControl(sandbox_url)
    try:
        # The large mart and its truth are millions of dicts and tuples, none in a cycle (as in
        # sandbox/truth/): the cyclic collector would walk them over and over and find nothing.
        with open_client(clickhouse_url, database) as client, no_cyclic_gc():
            return compare_mart_now(partial(mart_rows, client, database), control.truth)
    finally:
        control.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.exact", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--clickhouse-url", required=True, help="the mart: chdb:///dir or http://...")
    parser.add_argument("--sandbox-url", required=True, help="the sandbox's API base URL")
    parser.add_argument("--database", default=DATABASE)
    args = parser.parse_args(argv)
    for difference in mart_differences(args.clickhouse_url, args.sandbox_url, args.database):
        shown = {**asdict(difference), "count": difference.count, "message": difference.message()}
        print(json.dumps(shown), flush=True)


if __name__ == "__main__":
    main()
