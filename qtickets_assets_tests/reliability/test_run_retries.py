"""Which failed runs `run_retries` (dagster.yaml) launches again, decided as Dagster decides it: a
run whose failure no retry can fix (a refused token, bad configuration) is not retried; an API
that was unavailable is. Dagster stores its decision on the failed run (`dagster/will_retry`) when
the failure is recorded; its daemon then only launches runs tagged "true"."""

from collections.abc import Iterator

import dagster as dg
import pytest
from dagster._core.events import RunFailureReason
from dagster._core.execution.retries import auto_reexecution_should_retry_run
from dagster._core.storage.tags import (
    RETRY_ON_ASSET_OR_OP_FAILURE_TAG,
    RUN_FAILURE_REASON_TAG,
    WILL_RETRY_TAG,
)

from qtickets_assets.lib import failures
from qtickets_assets.sandbox.testing import run_sandbox
from qtickets_assets_tests.graph.mart import materialize_all
from qtickets_assets_tests.reliability.helpers import FAST_FAILING_RUN


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    """An instance configured as dagster.yaml configures ours: one run retry."""
    with dg.instance_for_test(overrides={"run_retries": {"enabled": True, "max_retries": 1}}) as instance:
        yield instance


def failed_sales_run(
    instance: dg.DagsterInstance, tmp_path, token: str | None = None, **faults
) -> dg.DagsterRun:
    with run_sandbox(size="small", seed=3, **faults) as sandbox:
        result = materialize_all(
            sandbox.base_url,
            token or sandbox.token,
            f"chdb://{tmp_path / 'ch'}",
            job_name="sales_job",
            instance=instance,
            run_config=FAST_FAILING_RUN,
        )
    assert not result.success
    run = instance.get_run_by_id(result.run_id)
    assert run is not None
    return run


def test_a_refused_token_is_not_retried(instance, tmp_path):
    run = failed_sales_run(instance, tmp_path, token="not-the-token")
    assert run.tags[RETRY_ON_ASSET_OR_OP_FAILURE_TAG] == "false"
    assert run.tags[WILL_RETRY_TAG] == "false"
    assert not auto_reexecution_should_retry_run(
        instance, run, RunFailureReason(run.tags[RUN_FAILURE_REASON_TAG])
    )
    [failure] = [
        e for e in instance.all_logs(run.run_id) if e.dagster_event and e.dagster_event.is_step_failure
    ]
    data = failure.dagster_event.step_failure_data.user_failure_data
    assert data.metadata["cause"].value == "QticketsAuthError"
    assert data.metadata["retry_can_help"].value is False


def test_an_unavailable_api_is_still_retried(instance, tmp_path):
    run = failed_sales_run(instance, tmp_path, fault_503=1.0)
    assert RETRY_ON_ASSET_OR_OP_FAILURE_TAG not in run.tags
    assert run.tags[WILL_RETRY_TAG] == "true"
    [failure] = [
        e for e in instance.all_logs(run.run_id) if e.dagster_event and e.dagster_event.is_step_failure
    ]
    metadata = failure.dagster_event.step_failure_data.user_failure_data.metadata
    # The run page's wording: a retry may heal it; "retried" read as a fact on the retry itself.
    assert {key: value.value for key, value in metadata.items()} == {
        "cause": "QticketsUnavailable",
        "retry_can_help": True,
    }


def test_the_step_failure_is_our_message_alone_without_the_chain(instance, tmp_path):
    """A known cause reads as our message, first, with no second exception and its stack below."""
    run = failed_sales_run(instance, tmp_path, token="not-the-token")
    [failure] = [
        e for e in instance.all_logs(run.run_id) if e.dagster_event and e.dagster_event.is_step_failure
    ]
    error = failure.dagster_event.step_failure_data.error
    assert error.message.startswith(
        "dagster._core.definitions.events.Failure: the Qtickets API refused the token"
    )
    assert error.cause is None and error.context is None
    assert "QticketsAuthError" not in "".join(error.stack)


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (failures.QticketsAuthError("refused"), True),
        (failures.QticketsConfigError("QTICKETS_BASE_URL is not set"), True),
        (failures.ClickHouseConfigError("CLICKHOUSE_URL is malformed"), True),
        (failures.ClickHouseBusyError("the embedded ClickHouse directory … is in use"), False),
        (failures.ClickHouseUnreachableError("cannot reach ClickHouse server … (Connection refused)"), False),
    ],
)
def test_which_causes_a_retry_cannot_fix(error, permanent):
    assert failures.retry_cannot_fix(error) is permanent
