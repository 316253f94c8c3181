"""The truth of the views with a row per ticket or per sale's source: v_sales (each fact_sales row
with its event, show and the names of its discount and code) and v_sales_by_source, summed from it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from qtickets_assets.sandbox.model import Event, Show, World
from qtickets_assets.sandbox.truth.formats import local_day, rubles, utc
from qtickets_assets.sandbox.truth.tickets import Ticket

FACT_ONLY = {"local_zone"}  # v_sales says it once for its row: city_timezone


def show_columns(event: Event, show: Show) -> dict[str, Any]:
    return {
        "event_name": event.name,
        "city_name": event.city.name,
        "city_timezone": event.city.timezone,
        "venue_name": event.venue.name,
        "show_starts_at": utc(show.start),
        "show_date_local": local_day(show.start, ZoneInfo(event.city.timezone)).isoformat(),
        "show_time_local": datetime.fromtimestamp(show.start, ZoneInfo(event.city.timezone)).strftime(
            "%H:%M"
        ),
    }


def view_rows(world: World, all_tickets: list[Ticket], sales: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """v_sales: each fact_sales row with its event, show start and the names of its discount and code."""
    codes = {p.id: p.code for p in world.promo_codes}
    discount_names = {d.id: d.name for d in world.discounts}
    shows = {s.id: show_columns(e, s) for e in world.events for s in e.shows}
    rows = []
    for t, row in zip(all_tickets, sales, strict=True):
        order = t.order
        rows.append(
            {
                **{column: value for column, value in row.items() if column not in FACT_ONLY},
                "days_before_show": None if t.paid_day is None else (t.show_day - t.paid_day).days,
                **shows[t.show.id],
                "promo_code": "" if order.promo_code_id is None else codes[order.promo_code_id],
                "discount_name": "" if order.discount_id is None else discount_names[order.discount_id],
            }
        )
    return rows


SOURCE_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "promo_code", "payment_type", "site_host")


def source_rows(all_tickets: list[Ticket], views: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Paid tickets and revenue per event, local paid day and where the sale came from."""
    sums: dict[tuple[Any, ...], list[int]] = {}
    for t, row in zip(all_tickets, views, strict=True):
        if t.status == "paid":
            key = (row["event_id"], row["paid_date_local"], *(row[f] for f in SOURCE_FIELDS))
            acc = sums.setdefault(key, [0, 0])
            acc[0] += t.basket.quantity
            acc[1] += t.basket.price
    names = ("event_id", "date_local", *SOURCE_FIELDS)
    return [
        {**dict(zip(names, key, strict=True)), "tickets_paid": acc[0], "revenue_paid": rubles(acc[1])}
        for key, acc in sorted(sums.items())
    ]
