"""The analysts' views as the UI shows them: for each, the tables it reads, its description, and
its preview (which rows first, which columns under which titles) and headline figures. Listed in
the order the views step refreshes them: a view after the views it reads."""

# Quoted annotations: the client is imported only for mypy (see assets.py).
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import dagster as dg

from qtickets_assets.lib.clickhouse import mart

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

# The dashboard's columns its preview shows (the money of today and 14 days left to the view).
DASHBOARD_PREVIEW = (
    "event_id", "event_name", "city_name", "tickets_sold_total", "revenue_total", "tickets_sold_today",
    "tickets_sold_14d",
)  # fmt: skip


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
            **{c: mart.DASHBOARD_TITLES[c] for c in DASHBOARD_PREVIEW},
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
