"""moved_events_sensor on an instance's materializations alone (the whole path, an events load that
finds a move then the sales load it requests, is in test_event_moves.py)."""

import dagster as dg
import pytest
from dagster._core.storage.dagster_run import DagsterRun

from qtickets_assets.defs.automation.moved_events import moved_events_sensor


def record(instance: dg.DagsterInstance, asset: str, **metadata: int) -> None:
    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=asset, metadata=metadata))


def tick(instance: dg.DagsterInstance) -> dg.RunRequest | str:
    result = moved_events_sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
    assert bool(result.run_requests) != bool(result.skip_message), result
    return result.run_requests[0] if result.run_requests else result.skip_message


@pytest.fixture
def instance():
    with dg.DagsterInstance.ephemeral() as instance:
        yield instance


def test_an_events_load_that_found_moves_requests_one_sales_run(instance):
    record(instance, "fact_sales")
    record(instance, "dim_events", events_moved_zone=2)
    first = tick(instance)
    assert isinstance(first, dg.RunRequest)
    # The same events load seen again (a tick from the start) asks for the same run, which Dagster
    # launches once per run key.
    assert isinstance(again := tick(instance), dg.RunRequest) and again.run_key == first.run_key


def test_no_run_when_nothing_moved_or_a_sales_load_followed(instance):
    record(instance, "dim_events", events_moved_zone=0)
    assert (
        tick(instance) == "the newest events load found no event in another time zone than its tickets' days"
    )
    record(instance, "dim_events")  # recorded before the count existed
    assert (
        tick(instance) == "the newest events load found no event in another time zone than its tickets' days"
    )
    record(instance, "dim_events", events_moved_zone=3)
    record(instance, "fact_sales")
    assert tick(instance) == "fact_sales was loaded after the events load that found 3 moved events"


def test_no_second_run_while_a_sales_run_is_starting(instance):
    record(instance, "dim_events", events_moved_zone=1)
    instance.add_run(DagsterRun(job_name="sales_job", status=dg.DagsterRunStatus.STARTING))
    assert (
        tick(instance) == "a run that loads fact_sales is queued or running: it writes the moved events' days"
    )
