"""Seat inventory: a snapshot of every live show appended to history, and the newest one served."""

from collections.abc import Iterator
from datetime import timedelta

import dagster as dg

from qtickets_assets.defs.common import API_POOL, FACTS, StepEvent, failures_explained, table_asset
from qtickets_assets.defs.quality.checks import check_specs, check_written
from qtickets_assets.defs.sync import QticketsSyncResource
from qtickets_assets.lib.clickhouse import mart
from qtickets_assets.lib.clickhouse.resource import ClickHouseResource
from qtickets_assets.lib.clickhouse.writers import InsertSelect

INVENTORY_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(minutes=45), warn_window=timedelta(minutes=20)
)


@dg.multi_asset(
    name="inventory_raw",
    outs={
        "inventory_raw": dg.AssetOut(
            **table_asset(
                "inventory_raw",
                "upsert",
                "History, append only (a snapshot written twice is kept once): one row per show (not "
                "deleted, of an event not deleted) per snapshot. "
                "tickets_total = Σ max_quantity over seats not disabled, each physical seat (root_id) once "
                "across tariffs; tickets_left = the same Σ free_quantity.",
            ),
            freshness_policy=INVENTORY_FRESHNESS,
        )
    },
    deps=["dim_shows"],
    check_specs=check_specs("inventory_raw"),
    can_subset=True,
    group_name=FACTS,
    pool=API_POOL,
)
def inventory_raw(
    context: dg.AssetExecutionContext, sync: QticketsSyncResource, clickhouse: ClickHouseResource
) -> Iterator[StepEvent]:
    # Nothing to read when only checks are selected (a check run alone from the UI).
    if context.selected_asset_keys:
        from qtickets_assets.lib import frames  # pandas, in the run only (defs/common.py)

        # A show whose seats cannot be read fails the whole snapshot: a count is never "unknown".
        with failures_explained():
            snapshot = sync.for_run(context).snapshot()
        context.log.info(f"snapshot {snapshot.taken_at.isoformat()} of {len(snapshot.inventory)} shows")
        frame = frames.inventory_frame(snapshot.taken_at, snapshot.shows, snapshot.inventory)
        yield dg.Output(frame, output_name="inventory_raw")
    yield from check_written(context, clickhouse, "inventory_raw")


@dg.multi_asset(
    name="fact_inventory_latest",
    outs={
        "fact_inventory_latest": dg.AssetOut(
            **table_asset(
                "fact_inventory_latest",
                "replace",
                "One row per live show from the newest snapshot. Built inside ClickHouse and swapped in "
                "atomically on every run, so a reader never meets an empty, half-written or duplicated "
                "table.",
                kind="sql",
            ),
            freshness_policy=INVENTORY_FRESHNESS,
        )
    },
    deps=["inventory_raw", "dim_shows"],
    check_specs=check_specs("fact_inventory_latest"),
    can_subset=True,
    group_name=FACTS,
)
def fact_inventory_latest(
    context: dg.AssetExecutionContext, clickhouse: ClickHouseResource
) -> Iterator[StepEvent]:
    if context.selected_asset_keys:
        select = InsertSelect(mart.latest_inventory_select(clickhouse.database))
        yield dg.Output(select, output_name="fact_inventory_latest")
    yield from check_written(context, clickhouse, "fact_inventory_latest")
