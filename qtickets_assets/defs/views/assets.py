"""The analysts' views. Each is defined in `clickhouse/views/` and always live; its asset follows
its upstream tables (eagerly, see automation/sensors.py) and refreshes what the UI shows of it: the
row count, a preview of its first rows and its headline figures."""

# No `from __future__ import annotations`: Dagster reads the step's `context` annotation as a class,
# so the annotations naming pandas or the client (imported only for mypy) are quoted.
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import dagster as dg

from qtickets_assets.defs.common import OWNERS, VIEWS, StepEvent
from qtickets_assets.defs.quality.checks import check_specs, evaluate, raise_first
from qtickets_assets.lib import charts, failures
from qtickets_assets.lib.clickhouse import mart
from qtickets_assets.lib.clickhouse.io_manager import column_schema_metadata
from qtickets_assets.lib.clickhouse.resource import ClickHouseResource

if TYPE_CHECKING:
    import pandas as pd
    from clickhouse_connect.driver.client import Client

PREVIEW_ROWS = 10


@dataclass(frozen=True)
class View:
    name: str
    deps: list[str]
    description: str
    # The preview: which rows come first, and the columns shown under which titles; `computed`
    # adds columns to it (name: SQL expression over the view's columns).
    order_by: str
    preview: dict[str, str]
    computed: dict[str, str] = field(default_factory=dict)
    headline: "Callable[[Client, str], dict[str, Any]]" = field(default=lambda client, database: {})


def dashboard_headline(client: "Client", database: str) -> dict[str, Any]:
    tickets, revenue = mart.dashboard_totals(client, database)
    # Revenue as a number, so the UI can plot it across runs (the preview keeps it to the kopeck).
    return {"tickets_sold_total": tickets, "revenue_total": dg.MetadataValue.float(float(revenue))}


VIEW_LIST = [
    View(
        "v_sales_dashboard",
        ["dim_events", "fact_sales", "fact_inventory_latest"],
        "One row per event not deleted: paid tickets and revenue in total, today and over the last 14 "
        "calendar days in the event's own time zone; seats from the newest inventory snapshot; when "
        "sales were last loaded. Its totals cover live events only: v_sales_daily, over all events, "
        "also counts the paid tickets of deleted events.",
        "revenue_total DESC, event_id",
        {
            "event_id": "id",
            "event_name": "event",
            "city_name": "city",
            "tickets_sold_total": "sold",
            "revenue_total": "revenue",
            "tickets_sold_today": "today",
            "tickets_sold_14d": "14 days",
            "share_sold": "seats taken",
        },
        computed={
            "share_sold": "if(tickets_total > 0, (tickets_total - tickets_left) / tickets_total, NULL)"
        },
        headline=dashboard_headline,
    ),
    View(
        "v_sales",
        ["fact_sales", "dim_events", "dim_shows", "dim_discounts", "dim_promo_codes"],
        "One row per ticket, ready for a BI tool as one dataset: every fact_sales column plus the "
        "event, city, time zone, venue, show start (UTC, and the local date and HH:MM), promo code and "
        "discount name; days before the show from its current start.",
        "paid_at DESC NULLS LAST, basket_id",
        {
            "basket_id": "ticket",
            "event_name": "event",
            "ticket_name": "ticket name",
            "status": "status",
            "price": "price",
            "paid_date_local": "paid (local)",
            "promo_code": "promo code",
        },
    ),
    View(
        "v_sales_daily",
        ["v_sales"],
        "One row per event (deleted ones included), show and local day with activity: tickets paid "
        "that day (and still paid) and their revenue, tickets refunded that day and the money paid "
        "back, paid tickets cancelled that day without a refund.",
        "date_local DESC, revenue_paid DESC, event_id, show_id",
        {
            "date_local": "day",
            "event_id": "event id",
            "event_name": "event",
            "days_before_show": "days before show",
            "tickets_paid": "paid",
            "revenue_paid": "revenue",
            "tickets_refunded": "refunded",
            "amount_refunded": "refund amount",
        },
    ),
    View(
        "v_sell_through",
        ["inventory_raw", "dim_shows", "dim_events"],
        "One row per live show and local day with an inventory snapshot: the day's last snapshot's "
        "capacity, tickets sold and left, and the share sold, by days before the show.",
        "date_local DESC, share_sold DESC, show_id",
        {
            "date_local": "day",
            "show_id": "show",
            "event_name": "event",
            "days_before_show": "days before show",
            "tickets_total": "seats",
            "tickets_sold": "sold",
            "share_sold": "share sold",
        },
    ),
    View(
        "v_show_attendance",
        ["fact_sales", "fact_inventory_latest", "dim_shows", "dim_events"],
        "One row per live show, and per deleted show with paid tickets (is_deleted): capacity, paid "
        "tickets, tickets scanned at the entrance, the share of paid tickets scanned, first and last scan.",
        "show_starts_at DESC, show_id",
        {
            "show_id": "show",
            "event_name": "event",
            "show_starts_at": "starts (UTC)",
            "capacity": "capacity",
            "tickets_paid": "paid",
            "tickets_scanned": "scanned",
            "share_scanned": "share scanned",
        },
    ),
    View(
        "v_sales_pace",
        ["v_sales_daily", "dim_shows", "fact_inventory_latest"],
        "The pace curve from the first sale, no inventory history needed: per live show and local "
        "day of payment, tickets paid that day (still paid now) and in total so far, against the "
        "show's capacity today, by days before the show.",
        "date_local DESC, share_of_capacity DESC, show_id",
        {
            "date_local": "day",
            "show_id": "show",
            "event_name": "event",
            "days_before_show": "days before show",
            "tickets_paid_cumulative": "paid so far",
            "capacity": "seats",
            "share_of_capacity": "share of seats",
        },
    ),
    View(
        "v_sales_by_source",
        ["v_sales"],
        "Tickets paid (and still paid) and revenue per event and local day, by UTM source, medium "
        "and campaign, promo code, payment type and site: the marketing view.",
        "date_local DESC, revenue_paid DESC, event_id",
        {
            "date_local": "day",
            "event_name": "event",
            "utm_source": "utm source",
            "utm_campaign": "campaign",
            "promo_code": "promo code",
            "payment_type": "payment",
            "tickets_paid": "paid",
            "revenue_paid": "revenue",
        },
    ),
]


def preview_markdown(view: View, rows: "pd.DataFrame") -> str:
    from qtickets_assets.lib import figures  # with pandas, only in a run (see defs/common.py)

    return figures.text_table(rows, view.preview, tablefmt="pipe") if len(rows) else "_no rows yet_"


def view_spec(view: View) -> dg.AssetSpec:
    return dg.AssetSpec(
        view.name,
        deps=view.deps,
        description=view.description,
        metadata=column_schema_metadata(view.name),
        owners=OWNERS,
        kinds={"clickhouse", "sql"},
        code_version="1",
        group_name=VIEWS,
        automation_condition=dg.AutomationCondition.eager(),
        # Not materialized when a blocking check of a view it reads failed in this step.
        skippable=True,
    )


def refreshed(
    view: View, client: "Client", database: str, drawing: Future[list[charts.Chart]]
) -> dg.MaterializeResult[None]:
    """What the UI shows of `view`: its row count, a preview of its first rows, headline figures, charts."""
    rows = mart.view_rows(client, database, view.name, view.order_by, PREVIEW_ROWS, view.computed)
    return dg.MaterializeResult(
        asset_key=view.name,
        metadata={
            # Counted apart: count() OVER () beside the preview's ORDER BY ... LIMIT would hold the
            # whole view in memory (where ORDER BY ... LIMIT keeps only its first rows) to save one pass.
            "dagster/row_count": mart.row_count(client, database, view.name),
            "dagster/table_name": f"{database}.{view.name}",
            **view.headline(client, database),
            "preview": dg.MetadataValue.md(preview_markdown(view, rows)),
            **{k: dg.MetadataValue.md(md) for k, md in charts.metadata(drawing.result()).items()},
        },
    )


# One step for every view: a step costs Dagster ~15-20 ms and an open of the mart ~70 ms, and a view
# is a few queries. Subsettable, so each view (or one of its checks) can still be run alone.
@dg.multi_asset(
    name="views",
    specs=[view_spec(view) for view in VIEW_LIST],
    check_specs=check_specs(*(view.name for view in VIEW_LIST)),
    can_subset=True,
)
def views(context: dg.AssetExecutionContext, clickhouse: ClickHouseResource) -> Iterator[StepEvent]:
    selected = [view for view in VIEW_LIST if dg.AssetKey(view.name) in context.selected_asset_keys]
    for view in selected:
        charts.prepare(view.name)  # matplotlib loads in the background while the mart opens
    events: list[StepEvent] = []
    errors: list[Exception] = []
    held_back: set[str] = set()
    with failures.explained(), clickhouse.open() as client:
        database = clickhouse.database
        # Every selected view's charts are drawn while the queries below run.
        drawings = charts.start_drawings(client, database, [view.name for view in selected])
        # VIEW_LIST lists a view after the views it reads: a view is refreshed and checked after them.
        for view in VIEW_LIST:
            if held_back.intersection(view.deps):
                # As Dagster skips the steps downstream of a failed blocking check.
                if view in selected:
                    context.log.warning(
                        f"{view.name} not refreshed: a blocking check of a view it reads failed"
                    )
                held_back.add(view.name)
                continue
            if view in selected:
                events.append(refreshed(view, client, database, drawings[view.name]))
            checked = evaluate(context, view.name, client, database)
            events += checked.results
            errors += checked.errors
            # Only a view refreshed here holds back the others: checks run alone hold back nothing.
            if view in selected and checked.holds_back_downstream:
                held_back.add(view.name)
    yield from events
    raise_first(errors)
