"""A run's process SIGKILLed mid-crawl, between filling a staging table and swapping it in, and
in the middle of an insert: the mart keeps its earlier state where it must, the directory lock is
free, and the next run converges to the exact truth with no duplicates."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from qtickets_assets.lib.clickhouse.connection import open_client
from qtickets_assets.sandbox.testing import SandboxHandle, run_sandbox
from qtickets_assets_tests.graph.mart import DATABASE, read_mart
from qtickets_assets_tests.graph.test_full_sync import TABLES, assert_mart_equals_truth, assert_succeeded
from qtickets_assets_tests.reliability.helpers import REPO_ROOT, mart_state, sync

pytestmark = pytest.mark.slow


def run_and_kill(
    sandbox: SandboxHandle, url: str, tmp_path: Path, point: str, cue: Callable[[Path], bool], *args: str
) -> None:
    """Start the runner, wait for `cue`, SIGKILL it, and check it really died by the signal."""
    marker = tmp_path / f"{point}.marker"
    env = {
        **os.environ,
        "QTICKETS_BASE_URL": sandbox.base_url,
        "QTICKETS_TOKEN": sandbox.token,
        "CLICKHOUSE_URL": url,
        "CLICKHOUSE_DATABASE": DATABASE,
    }
    command = [
        sys.executable,
        "-m",
        "qtickets_assets_tests.reliability.crash_runner",
        point,
        str(marker),
        *args,
    ]
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while not cue(marker):
            assert process.poll() is None, f"the run ended before the kill point {point}"
            assert time.monotonic() < deadline, f"kill point {point} never reached"
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()
    assert process.returncode == -signal.SIGKILL


def assert_lock_free(url: str) -> None:
    """A dead run leaves no lock behind: the directory opens at once."""
    with open_client(url, DATABASE, lock_timeout=0) as client:
        client.command("SELECT 1")


def staging_tables(url: str) -> list[str]:
    with open_client(url, DATABASE) as client:
        names = client.query(f"SHOW TABLES FROM {DATABASE}").result_columns
    return [name for name in (names[0] if names else []) if "__staging_" in name]


def assert_no_duplicates(url: str) -> None:
    for table in TABLES:  # `comparable` in the truth check asserts unique keys; count rows too
        rows = read_mart(url, table)
        assert len(rows) == len({repr(sorted(r.items())) for r in rows}), f"{table}: duplicate rows"


def test_killed_runs_leave_the_mart_usable_and_the_next_run_converges(tmp_path):
    url = f"chdb://{tmp_path / 'ch'}"
    with run_sandbox(size="small", seed=11) as sandbox:
        assert_succeeded(sync(sandbox.base_url, sandbox.token, url))
        before = mart_state(url)
        sandbox.advance(new_orders=40, refunds=15, cancellations=10)

        # 1. Killed while crawling all 30 order pages (a slow API; the nightly full re-read, the
        #    run's first step): nothing was written.
        sandbox.set_faults(latency_ms=40)
        sandbox.reset_stats()
        mid_crawl = lambda _: sandbox.stats()["requests"].get("GET orders", 0) >= 8  # noqa: E731
        run_and_kill(sandbox, url, tmp_path, "none", mid_crawl, "--full-refresh")
        sandbox.set_faults(latency_ms=0)
        assert_lock_free(url)
        assert mart_state(url) == before, "a run killed mid-crawl changed the mart"

        # 2. Killed half way through the incremental insert into fact_sales (the step that waits for
        #    the orders crawl runs after the inventory's, which this run has written whole).
        run_and_kill(sandbox, url, tmp_path, "insert", Path.exists)
        assert_lock_free(url)
        after_insert_kill = mart_state(url)
        assert after_insert_kill["fact_sales"] != before["fact_sales"], "the kill point was not mid-insert"
        assert len(after_insert_kill["inventory_raw"]) == 2 * len(before["inventory_raw"])

        # 3. Killed after filling fact_inventory_latest's staging table, before the EXCHANGE: the
        #    table analysts read is the previous one (run 2's), whole (the new snapshot is in the
        #    history: one snapshot more than after run 2, each the size of the first).
        run_and_kill(sandbox, url, tmp_path, "staging", Path.exists)
        assert_lock_free(url)
        assert staging_tables(url), "the kill point was not between staging and swap"
        after_staging_kill = mart_state(url)
        assert after_staging_kill["fact_inventory_latest"] == after_insert_kill["fact_inventory_latest"]
        assert len(after_staging_kill["inventory_raw"]) == len(after_insert_kill["inventory_raw"]) + len(
            before["inventory_raw"]
        )

        # The next run converges: exact truth, no duplicate, despite the leftovers.
        assert_succeeded(sync(sandbox.base_url, sandbox.token, url))
        assert_mart_equals_truth(url, sandbox.truth)
        assert_no_duplicates(url)

        # A leftover staging table does not get in the way of later replaces either.
        sandbox.advance(new_orders=10, refunds=3, cancellations=2)
        assert_succeeded(sync(sandbox.base_url, sandbox.token, url, full_refresh=True))
        assert_mart_equals_truth(url, sandbox.truth)
        assert_no_duplicates(url)
