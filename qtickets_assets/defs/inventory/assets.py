"""Seat inventory: a snapshot of every live show appended to history, and the newest one served."""

from datetime import timedelta

import dagster as dg

from qtickets_assets.defs.common import API_POOL, FACTS, Frame, failures_explained, table_asset
from qtickets_assets.defs.sync import QticketsSyncResource
from qtickets_assets.lib.clickhouse import mart
from qtickets_assets.lib.clickhouse.resource import ClickHouseResource
from qtickets_assets.lib.clickhouse.writers import InsertSelect

INVENTORY_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(minutes=45), warn_window=timedelta(minutes=20)
)


@dg.asset(
    deps=["dim_shows"],
    **table_asset(
        "inventory_raw",
        "upsert",
        "History, append only (a snapshot written twice is kept once): one row per show (not "
        "deleted, of an event not deleted) per snapshot. "
        "tickets_total = Σ max_quantity over seats not disabled, each physical seat (root_id) once "
        "across tariffs; tickets_left = the same Σ free_quantity.",
    ),
    group_name=FACTS,
    pool=API_POOL,
    freshness_policy=INVENTORY_FRESHNESS,
)
def inventory_raw(context: dg.AssetExecutionContext, sync: QticketsSyncResource) -> Frame:
    from qtickets_assets.lib import frames  # pandas, in the run only (defs/common.py)

    # A show whose seats cannot be read fails the whole snapshot: a count is never "unknown".
    with failures_explained():
        snapshot = sync.for_run(context).snapshot()
    context.log.info(f"snapshot {snapshot.taken_at.isoformat()} of {len(snapshot.inventory)} shows")
    return frames.inventory_frame(snapshot.taken_at, snapshot.shows, snapshot.inventory)


@dg.asset(
    deps=["inventory_raw", "dim_shows"],
    **table_asset(
        "fact_inventory_latest",
        "replace",
        "One row per live show from the newest snapshot. Built inside ClickHouse and swapped in "
        "atomically on every run, so a reader never meets an empty, half-written or duplicated table.",
        kind="sql",
    ),
    group_name=FACTS,
    freshness_policy=INVENTORY_FRESHNESS,
)
def fact_inventory_latest(clickhouse: ClickHouseResource) -> InsertSelect:
    return InsertSelect(mart.latest_inventory_select(clickhouse.database))
