"""The real CLI an operator types: `dg launch --assets '*'` from the repository root."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from qtickets_assets.sandbox.testing import run_sandbox
from qtickets_assets_tests.graph.mart import DATABASE, materialize_all
from qtickets_assets_tests.graph.test_checks_fail import every_check
from qtickets_assets_tests.graph.test_definitions import ASSETS
from qtickets_assets_tests.graph.test_full_sync import assert_mart_equals_truth

REPO_ROOT = Path(__file__).resolve().parents[2]
DG = Path(sys.executable).parent / "dg"


def launch(environment: dict[str, str]) -> subprocess.CompletedProcess:
    # Only the variables under test: nothing from the developer's shell may configure the run.
    inherited = {
        k: v for k, v in os.environ.items() if not k.startswith(("QTICKETS_", "CLICKHOUSE_", "DAGSTER_"))
    }
    return subprocess.run(
        [str(DG), "launch", "--assets", "*"],
        cwd=REPO_ROOT,
        env={**inherited, **environment},
        capture_output=True,
        text=True,
        timeout=240,
    )


def dagster_home(tmp_path: Path) -> Path:
    """A DAGSTER_HOME holding the repository's dagster.yaml, as `make` prepares it."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    return home


def test_repo_dagster_yaml_keeps_storage_under_dagster_home(tmp_path, monkeypatch):
    """Run history must not land in the working directory (the repository root for `dg`)."""
    home = dagster_home(tmp_path)
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.get_runs() == []
    assert not list(elsewhere.iterdir()), "storage written to the working directory"
    assert (home / "history" / "runs.db").exists()


@pytest.mark.slow
def test_dg_launch_all_assets_builds_the_mart_equal_to_truth(tmp_path, monkeypatch):
    home = dagster_home(tmp_path)
    url = f"chdb://{tmp_path / 'ch'}"
    with run_sandbox(size="small", seed=21) as sandbox:
        process = launch(
            {
                "QTICKETS_BASE_URL": sandbox.base_url,
                "QTICKETS_TOKEN": sandbox.token,
                "CLICKHOUSE_URL": url,
                "CLICKHOUSE_DATABASE": DATABASE,
                "DAGSTER_HOME": str(home),
            }
        )
        assert process.returncode == 0, process.stderr[-3000:]
        assert sandbox.token not in process.stdout + process.stderr, "the token was logged"
        # The subprocess has ended, so its engine released the directory: read it back here.
        assert_mart_equals_truth(url, sandbox.truth)

    # The run is in the instance's history, every asset materialized and every check passed.
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.from_config(str(home)) as instance:
        [run] = instance.get_runs()
        assert run.status == dg.DagsterRunStatus.SUCCESS
        events = [entry.dagster_event for entry in instance.all_logs(run.run_id) if entry.dagster_event]
        materialized = {
            e.asset_key.path[0] for e in events if e.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
        }
        assert materialized == ASSETS
        checks = [
            e.event_specific_data
            for e in events
            if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
        ]
        assert {(c.asset_key.to_user_string(), c.check_name) for c in checks} == every_check()
        assert len(checks) == 41
        assert all(check.passed for check in checks), [c.check_name for c in checks if not c.passed]


@pytest.mark.slow
def test_dg_launch_without_base_url_fails_naming_it_before_writing(tmp_path):
    directory = tmp_path / "ch"
    process = launch(
        {
            "QTICKETS_TOKEN": "sandbox-token",
            "CLICKHOUSE_URL": f"chdb://{directory}",
            "CLICKHOUSE_DATABASE": DATABASE,
            "DAGSTER_HOME": str(dagster_home(tmp_path)),
        }
    )
    assert process.returncode != 0
    assert "QTICKETS_BASE_URL" in process.stdout + process.stderr
    assert not directory.exists(), "nothing may be written before the configuration is known good"


@pytest.mark.parametrize("base_url", ["", "qtickets.ru/api/rest/v1"])
def test_a_run_with_a_bad_api_root_writes_not_even_the_schema(tmp_path, base_url: str) -> None:
    """Set but empty (or without a scheme), QTICKETS_BASE_URL failed the run only after the mart
    had been opened: a new mart was created with its database and all its tables, empty."""
    directory = tmp_path / "ch"
    result = materialize_all(base_url, "sandbox-token", f"chdb://{directory}")
    assert not result.success
    failures = [e.step_failure_data.user_failure_data for e in result.all_events if e.is_step_failure]
    assert failures and all(f is not None and "QTICKETS_BASE_URL" in (f.description or "") for f in failures)
    assert not directory.exists()
