"""Three `dg launch --assets '*'` started at once on one embedded ClickHouse directory: they queue
on the directory lock, all succeed, and the mart holds exactly the truth, once."""

from __future__ import annotations

import subprocess
import sys

import dagster as dg
import pytest

from qtickets_assets.lib.clickhouse.connection import open_client
from qtickets_assets.sandbox.testing import run_sandbox
from qtickets_assets_tests.graph.test_full_sync import assert_mart_equals_truth
from qtickets_assets_tests.reliability.helpers import DG, REPO_ROOT, dg_env, row_counts

pytestmark = pytest.mark.slow


def test_three_simultaneous_full_syncs_end_with_exact_truth_and_no_duplicates(tmp_path):
    url = f"chdb://{tmp_path / 'ch'}"
    with run_sandbox(size="small", seed=11) as sandbox:
        # One instance, as on a host where three operators (or a schedule and two people) launch.
        home = tmp_path / "fresh_dagster_home"
        env = dg_env(sandbox.base_url, sandbox.token, url, home)
        home.rmdir()  # a home that does not exist yet, as on a new machine
        # The documented first step (README, make): Dagster's own storage is created before any run
        # can race on it; three processes creating it at once fail with "table already exists".
        subprocess.run([sys.executable, "-m", "qtickets_assets.home"], env=env, check=True)
        launches = [
            subprocess.Popen(
                [str(DG), "launch", "--assets", "*"],
                cwd=REPO_ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(3)
        ]
        outputs = [launch.communicate(timeout=150)[0] for launch in launches]
        for number, (launch, output) in enumerate(zip(launches, outputs, strict=True), 1):
            assert launch.returncode == 0, f"launch {number} failed:\n{output[-3000:]}"
        # Each finished its own run (the console prints INFO and up, so the run's status is read
        # from the instance, as the UI's run list shows it).
        with dg.DagsterInstance.from_config(str(home)) as instance:
            statuses = [run.status for run in instance.get_runs()]
        assert statuses == [dg.DagsterRunStatus.SUCCESS] * 3, statuses
        assert_mart_equals_truth(url, sandbox.truth)  # unique keys, exact values
        shows = len(sandbox.truth()["fact_inventory_latest"])
    counts = row_counts(url)
    assert counts["fact_sales"] == len(sandbox.truth()["fact_sales"])
    # Each run appended one whole snapshot to the history; two taken in the same second are one
    # snapshot (kept once, never doubled), so there are one to three, each of every live show.
    with open_client(url, "qtickets") as client:
        per_snapshot = client.query(
            "SELECT snapshot_at, count(), uniqExact(show_id) FROM qtickets.inventory_raw GROUP BY snapshot_at"
        ).result_rows
    assert 1 <= len(per_snapshot) <= 3 and counts["inventory_raw"] == len(per_snapshot) * shows
    assert all(rows == distinct == shows for _, rows, distinct in per_snapshot), per_snapshot
