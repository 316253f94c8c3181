"""Seat inventory: a snapshot of every live show appended to history, and the newest one served."""

from collections.abc import Iterator
from datetime import timedelta

import dagster as dg

from qtickets_assets.defs.common import API_POOL, FACTS, StepEvent, table_asset
from qtickets_assets.defs.quality.checks import check_specs, check_written
from qtickets_assets.defs.sync import QticketsSyncResource
from qtickets_assets.lib import failures
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
                "across tariffs (the largest of its offers' figures where they disagree); tickets_left "
                "= the same Σ free_quantity.",
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

        with failures.explained():
            snapshot = sync.for_run(context).snapshot()
        context.log.info(f"snapshot {snapshot.taken_at.isoformat()} of {len(snapshot.inventory)} shows")
        unread = sorted(snapshot.unread.items())
        if unread:
            # Left out, never counted as 0: the show keeps its last counts (check shows_in_newest_snapshot).
            context.log.warning(
                f"{len(unread)} live shows left out of the snapshot, their seats unreadable: "
                + "; ".join(why for _, why in unread[:5])
            )
        frame = frames.inventory_frame(snapshot.taken_at, snapshot.shows, snapshot.inventory)
        unread_metadata: dict[str, dg.RawMetadataValue] = {
            "shows_unread": len(unread),
            "shows_unread_sample": "; ".join(why for _, why in unread[:5]) or "none",
        }
        yield dg.Output(frame, output_name="inventory_raw", metadata=unread_metadata)
    yield from check_written(context, clickhouse, "inventory_raw")


@dg.multi_asset(
    name="fact_inventory_latest",
    outs={
        "fact_inventory_latest": dg.AssetOut(
            **table_asset(
                "fact_inventory_latest",
                "replace",
                "One row per live show from the newest snapshot (a show whose seats could not be read "
                "then keeps its newest row of the week before: snapshot_at says when). Built inside "
                "ClickHouse and swapped in "
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
