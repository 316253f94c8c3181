"""Tickets sold: one row per basket, loaded incrementally and upserted by basket_id."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import dagster as dg

from qtickets_assets.defs.common import API_POOL, FACTS, StepEvent, first_ten, table_asset
from qtickets_assets.defs.quality.checks import check_specs, check_written
from qtickets_assets.defs.sales.marker import loaded_marker, marker_metadata
from qtickets_assets.defs.sync import MovedTickets, QticketsSyncResource, SalesSyncConfig
from qtickets_assets.lib import failures
from qtickets_assets.lib.clickhouse.io_manager import LOAD_LEDGER
from qtickets_assets.lib.clickhouse.resource import ClickHouseResource

SALES_ASSET = table_asset(
    "fact_sales",
    "upsert",
    "One row per ticket (basket) of every order the API returns. Status: cancelled (basket or "
    "order deleted), refunded (basket refunded_at), paid (order paid), else unpaid. Calendar "
    "days (_local) in the event's own time zone. Upserted by basket_id with updated_at as the "
    "version; the nightly run re-reads everything and, before swapping it in, counts the tickets "
    "the incremental loads had missed (reconcile_drift_* metadata, check no_reconcile_drift). "
    "Every successful load, even one that found nothing new, adds a row to sales_loads "
    "(v_sales_dashboard.sales_updated_at).",
)
SALES_ASSET["metadata"][LOAD_LEDGER] = "sales_loads"
PRIORITY_TAG = "dagster/priority"  # a step's: ready steps start highest first (0 unless tagged)
WAITS_FOR_THE_LONGEST_CRAWL = -1


@dg.multi_asset(
    name="fact_sales",
    outs={
        "fact_sales": dg.AssetOut(
            **SALES_ASSET,
            freshness_policy=dg.FreshnessPolicy.time_window(
                fail_window=timedelta(minutes=40), warn_window=timedelta(minutes=20)
            ),
        )
    },
    # After the events when both run (a full sync): event_ids_known then sees this run's events,
    # and the tickets' calendar days are read in the zones this run loaded.
    deps=["dim_events"],
    check_specs=check_specs("fact_sales"),
    can_subset=True,
    group_name=FACTS,
    pool=API_POOL,
    # Last among the steps ready to run: this step waits for the orders crawl, the longest, while
    # the run's one process could write what the shorter crawls brought (the seat snapshot and the
    # newest inventory). The in-process executor starts the ready step of highest priority.
    op_tags={PRIORITY_TAG: str(WAITS_FOR_THE_LONGEST_CRAWL)},
)
def fact_sales(
    context: dg.AssetExecutionContext,
    config: SalesSyncConfig,
    sync: QticketsSyncResource,
    clickhouse: ClickHouseResource,
) -> Iterator[StepEvent]:
    # Nothing to read when only checks are selected (a check run alone from the UI).
    if context.selected_asset_keys:
        yield load_sales(context, sync)
    yield from check_written(context, clickhouse, "fact_sales")


def load_sales(context: dg.AssetExecutionContext, sync: QticketsSyncResource) -> dg.Output[Any]:
    from qtickets_assets.lib.orders import with_local_dates  # Arrow-heavy, in the run only

    # `config` is read by the run's first API step, which starts this crawl (defs/sync.py).
    with failures.explained():
        run_sync = sync.for_run(context)
        spooled = run_sync.tickets()
        calendar = sync.calendar(run_sync, spooled.event_ids)
        mode = "replace" if run_sync.plan.watermark is None else "upsert"
        # A full rebuild keeps only what the API lists; an upsert removes what an order it read
        # again no longer lists, before it writes: should the write fail, the next run reads the
        # same orders again (the stored watermark has not moved), and nothing removed was still sold.
        dropped = sync.dropped_tickets(spooled.listed) if mode == "upsert" else []
        if dropped:
            sync.delete_tickets([basket for _, basket in dropped])
        # A full rebuild reads every day anew; an upsert also writes again the stored tickets of
        # an event whose zone changed (their days followed the old one, v_sales' city_timezone the new).
        moved = sync.moved_tickets(calendar) if mode == "upsert" else MovedTickets({}, None)
    context.log.info(f"{mode}: {spooled.orders_read} orders, {spooled.tickets} tickets")
    if moved.zones:
        context.log.warning(moved.told())
    if dropped:
        context.log.warning(dropped_told(dropped))
    return dg.Output(
        with_local_dates(spooled, calendar, moved.tickets),
        output_name="fact_sales",
        metadata={
            "write_mode": mode,
            "orders_read": spooled.orders_read,
            "orders_price_mismatch": spooled.price_mismatches,
            "orders_refunds_unread": spooled.refunds_unread,
            "tickets_moved_zone": 0 if moved.tickets is None else moved.tickets.num_rows,
            "tickets_dropped_from_orders": len(dropped),
            # What new_orders_sensor compares the API with (recorded only once the table is written).
            **marker_metadata(loaded_marker(run_sync.plan.watermark, spooled.newest)),
        },
    )


def dropped_told(dropped: list[tuple[int, int]]) -> str:
    """The warning for stored tickets their re-read orders no longer list (the first ten named)."""
    shown = first_ten([f"order {order}: basket {basket}" for order, basket in dropped], "tickets")
    return (
        f"{len(dropped)} stored tickets are no longer listed in their orders, read again ({shown}): "
        "removed from fact_sales, as the nightly rebuild would"
    )
