"""One ClickHouse client per run: every step and write of a run shares it, a step that fails
inside the engine leaves it usable for the steps after it, and a failed run still closes it."""

import subprocess
import sys
from unittest import mock

import clickhouse_connect
import dagster as dg
import pandas as pd

from qtickets_assets.lib.clickhouse.connection import open_client
from qtickets_assets.lib.clickhouse.io_manager import ClickHouseIOManager, column_schema_metadata
from qtickets_assets.lib.clickhouse.resource import ClickHouseResource
from qtickets_assets_tests.clickhouse.conftest import DATABASE, events_frame, sales_frame
from qtickets_assets_tests.clickhouse.test_connection import holder

EVENTS = events_frame([{"event_id": 1}, {"event_id": 2}])
SALES = sales_frame([{"basket_id": 1}, {"basket_id": 2}, {"basket_id": 3}])


@dg.asset(
    retry_policy=dg.RetryPolicy(max_retries=1),
    metadata={**column_schema_metadata("dim_events"), "write_mode": "replace"},
)
def dim_events(context: dg.AssetExecutionContext, clickhouse: ClickHouseResource) -> pd.DataFrame:
    """Its first attempt fails half way through an INSERT inside the engine; the retry succeeds."""
    with clickhouse.open() as client:
        scratch = f"CREATE TABLE IF NOT EXISTS {DATABASE}.scratch (n UInt64) ENGINE = MergeTree ORDER BY n"
        client.command(scratch)
        if context.retry_number == 0:
            client.command(
                f"INSERT INTO {DATABASE}.scratch SELECT number + throwIf(number = 50000, 'failed mid-write') "
                "FROM numbers(100000) SETTINGS max_block_size = 1000, max_insert_block_size = 1000"
            )
    return EVENTS


@dg.asset(deps=[dim_events], metadata={**column_schema_metadata("fact_sales"), "write_mode": "upsert"})
def fact_sales(clickhouse: ClickHouseResource) -> pd.DataFrame:
    with clickhouse.open() as client:
        assert client.command(f"SELECT count() FROM {DATABASE}.dim_events") == len(EVENTS)
    return SALES


@dg.asset
def broken() -> None:
    raise RuntimeError("this step fails the run")


def test_a_run_opens_one_client_that_outlives_a_failed_step_and_is_closed_when_the_run_fails(chdb_url):
    # Bound as defs/resources.py binds them: the IO manager writes through the run's `clickhouse`.
    clickhouse = ClickHouseResource.configure_at_launch(url=chdb_url, database=DATABASE)
    resources = {"clickhouse": clickhouse, "io_manager": ClickHouseIOManager(clickhouse=clickhouse)}
    with mock.patch.object(clickhouse_connect, "get_client", wraps=clickhouse_connect.get_client) as opens:
        result = dg.materialize([dim_events, fact_sales, broken], resources=resources, raise_on_error=False)

    assert not result.success
    assert [event.step_key for event in result.all_events if event.is_step_failure] == ["broken"]
    assert [event.step_key for event in result.all_events if event.event_type_value == "STEP_RESTARTED"] == [
        "dim_events"
    ]
    assert opens.call_count == 1  # steps, retry and writes: one engine open for the whole run
    with open_client(chdb_url, DATABASE) as client:
        assert client.command(f"SELECT count() FROM {DATABASE}.dim_events") == 2
        assert client.command(f"SELECT count() FROM {DATABASE}.fact_sales FINAL") == 3
    # The failed run's teardown closed the engine and released the directory: another process
    # opens it at once.
    check = "from qtickets_assets.lib.clickhouse.connection import open_client\n" + (
        f"with open_client({chdb_url!r}, {DATABASE!r}, lock_timeout=0) as c: print(c.command('SELECT 7'))"
    )
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=False)
    assert done.stdout == "7\n", done.stderr[-2000:]


@dg.asset
def events_of_a_held_mart(clickhouse: ClickHouseResource) -> None:
    with clickhouse.open():
        pass


@dg.asset
def sales_of_a_held_mart(clickhouse: ClickHouseResource) -> None:
    with clickhouse.open():
        pass


def test_a_run_whose_mart_is_held_waits_for_it_once_not_once_per_step(chdb_url, monkeypatch, caplog):
    """Each step that opened the mart waited CLICKHOUSE_LOCK_TIMEOUT on its own: at the default
    10 minutes a run held up by another process failed after 20 (two root steps), not 10."""
    monkeypatch.setenv("CLICKHOUSE_LOCK_TIMEOUT", "1")
    clickhouse = ClickHouseResource.configure_at_launch(url=chdb_url, database=DATABASE)
    with holder(chdb_url, "locked"):
        result = dg.materialize(
            [events_of_a_held_mart, sales_of_a_held_mart],
            resources={"clickhouse": clickhouse},
            raise_on_error=False,
        )
    failures = [event for event in result.all_events if event.is_step_failure]
    assert len(failures) == 2
    messages = [event.step_failure_data.error.to_string() for event in failures]
    assert all("is in use (waited 1 s)" in message for message in messages), messages
    waits = [r for r in caplog.records if "waiting up to 1 s" in r.getMessage()]
    assert len(waits) == 1  # the second step failed at once, with the first one's cause
