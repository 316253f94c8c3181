"""Events and their shows (one crawl of GET /events: each page is heavy, seat maps ride along),
and the discounts and promo codes, all rebuilt whole on every load."""

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import dagster as dg

from qtickets_assets.defs.common import (
    API_POOL,
    DIMENSIONS,
    StepEvent,
    selected_outputs,
    table_asset,
)
from qtickets_assets.defs.quality.checks import check_specs, check_written
from qtickets_assets.defs.sync import QticketsSyncResource, moves_told, planned_assets
from qtickets_assets.lib import failures
from qtickets_assets.lib.clickhouse.resource import ClickHouseResource

if TYPE_CHECKING:  # the records' models (Arrow) are imported by the run
    from qtickets_assets.lib.qtickets.models import Event


@dg.multi_asset(
    outs={
        "dim_events": dg.AssetOut(
            **table_asset(
                "dim_events",
                "replace",
                "One row per event the API returns, deleted ones flagged. City from the event's city "
                "object; starts_at/ends_at from its shows that are not deleted.",
            )
        ),
        "dim_shows": dg.AssetOut(
            **table_asset(
                "dim_shows", "replace", "One row per show of every event; the list inventory snapshots walk."
            )
        ),
    },
    check_specs=check_specs("dim_events", "dim_shows"),
    can_subset=True,
    group_name=DIMENSIONS,
    pool=API_POOL,
)
def dim_events_and_dim_shows(
    context: dg.AssetExecutionContext, sync: QticketsSyncResource, clickhouse: ClickHouseResource
) -> Iterator[StepEvent]:
    # Nothing to read when only checks are selected (a check run alone from the UI).
    if context.selected_asset_keys:
        from qtickets_assets.lib import frames  # pandas, in the run only (defs/common.py)

        with failures.explained():
            events = sync.for_run(context).events()
        deleted = sum(event.deleted_at is not None for event in events)
        context.log.info(f"read {len(events)} events ({deleted} deleted) from the Qtickets API")
        yield from selected_outputs(
            context,
            {
                "dim_events": lambda: frames.events_frame(events),
                "dim_shows": lambda: frames.shows_frame(events),
            },
            metadata={"dim_events": lambda: {"events_moved_zone": moved_events(context, sync, events)}},
        )
    yield from check_written(context, clickhouse, "dim_events", "dim_shows")


def moved_events(
    context: dg.AssetExecutionContext, sync: QticketsSyncResource, events: "Sequence[Event]"
) -> int:
    """How many events are now in another time zone than their stored tickets' calendar days. A
    run that also loads fact_sales writes those days again in its step; otherwise the next sales
    load does, which moved_events_sensor requests once this materialization is recorded."""
    from qtickets_assets.lib.local_days import Calendar

    with failures.explained():
        moved = sync.moved_zones(Calendar.of_events(events))
    if moved and "fact_sales" not in planned_assets(context):
        context.log.warning(
            f"events now in another time zone than their stored tickets' days: {len(moved)} "
            f"({moves_told(moved)}); the next sales load writes those days again "
            "(moved_events_sensor requests one)"
        )
    return len(moved)


@dg.multi_asset(
    outs={
        "dim_discounts": dg.AssetOut(
            **table_asset(
                "dim_discounts",
                "replace",
                "One row per discount the API returns (GET /discounts), deleted ones flagged.",
            )
        ),
        "dim_promo_codes": dg.AssetOut(
            **table_asset(
                "dim_promo_codes",
                "replace",
                "One row per promo code the API returns (GET /promo-codes), deleted ones flagged.",
            )
        ),
    },
    check_specs=check_specs("dim_discounts", "dim_promo_codes"),
    can_subset=True,
    group_name=DIMENSIONS,
    pool=API_POOL,
)
def dim_discounts_and_dim_promo_codes(
    context: dg.AssetExecutionContext, sync: QticketsSyncResource, clickhouse: ClickHouseResource
) -> Iterator[StepEvent]:
    if context.selected_asset_keys:
        from qtickets_assets.lib import frames  # pandas, in the run only (defs/common.py)

        with failures.explained():
            discounts, promo_codes = sync.for_run(context).references()
        context.log.info(f"read {len(discounts)} discounts and {len(promo_codes)} promo codes")
        yield from selected_outputs(
            context,
            {
                "dim_discounts": lambda: frames.discounts_frame(discounts),
                "dim_promo_codes": lambda: frames.promo_codes_frame(promo_codes),
            },
        )
    yield from check_written(context, clickhouse, "dim_discounts", "dim_promo_codes")
