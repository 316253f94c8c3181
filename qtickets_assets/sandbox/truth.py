"""Ground truth in the contract's terms, counted from the sandbox's own model (never from the client).

Money is a string with two decimals, timestamps ISO UTC with "Z". Columns that depend on when the
loader ran (`snapshot_at`, `inventory_updated_at`) are left out.
"""

from __future__ import annotations

import math
import time
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from qtickets_assets.sandbox.model import Basket, Event, Order, Show, World, seat_free


def utc(ts: int | None) -> str | None:
    return None if ts is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def rubles(kopecks: int) -> str:
    sign = "-" if kopecks < 0 else ""
    return f"{sign}{abs(kopecks) // 100}.{abs(kopecks) % 100:02d}"


def live_shows(event: Event) -> list[Show]:
    return [s for s in event.shows if s.deleted_at is None]


def dim_event(event: Event) -> dict[str, Any]:
    shows = live_shows(event)
    return {
        "event_id": event.id,
        "event_name": event.name,
        "city_id": event.city.id,
        "city_name": event.city.name,
        "city_timezone": event.city.timezone,
        "venue_name": event.venue.name,
        "venue_address": event.venue.address,
        "starts_at": utc(min(s.start for s in shows)) if shows else None,
        "ends_at": utc(max(s.finish for s in shows)) if shows else None,
        "is_active": event.is_active,
        "is_deleted": int(event.deleted_at is not None),
        "updated_at": utc(event.updated_at),
    }


def show_inventory(event: Event, show: Show) -> tuple[int, int]:
    """(total, left) over seats that are not disabled; each physical seat once, whatever its tariffs."""
    total = left = 0
    for zone in event.venue.layout.zones:
        for seat in zone.seats:
            if not seat.disabled:
                total += seat.max_quantity
                left += seat_free(show, seat)
    return total, left


def inventory_rows(world: World) -> list[dict[str, Any]]:
    rows = []
    for event in world.events:
        if event.deleted_at is not None:
            continue
        for show in live_shows(event):
            total, left = show_inventory(event, show)
            rows.append(
                {
                    "event_id": event.id,
                    "show_id": show.id,
                    "show_starts_at": utc(show.start),
                    "tickets_total": total,
                    "tickets_left": left,
                    "tickets_sold": total - left,
                }
            )
    return rows


def basket_status(order: Order, basket: Basket) -> str:
    if basket.deleted_at is not None or order.deleted_at is not None:
        return "cancelled"
    if basket.refunded_at is not None:
        return "refunded"
    return "paid" if order.payed else "unpaid"


def sales_rows(world: World) -> list[dict[str, Any]]:
    rows = []
    for order in world.orders:
        utm = order.utm
        for basket in order.baskets:
            rows.append(
                {
                    "basket_id": basket.id,
                    "order_id": order.id,
                    "event_id": order.event_id,
                    "show_id": basket.show_id,
                    "created_at": utc(basket.created_at),
                    "paid_at": utc(order.payed_at) if order.payed else None,
                    "status": basket_status(order, basket),
                    "quantity": basket.quantity,
                    "price": rubles(basket.price),
                    "currency": order.currency_id,
                    "utm_source": utm.get("utm_source", ""),
                    "utm_medium": utm.get("utm_medium", ""),
                    "utm_campaign": utm.get("utm_campaign", ""),
                }
            )
    return rows


def local_day(ts: int, tz: ZoneInfo) -> date:
    return datetime.fromtimestamp(ts, tz).date()


def dashboard_rows(world: World, inventory: list[dict[str, Any]], as_of: int) -> list[dict[str, Any]]:
    """Per live event; "today" and "14d" are calendar days of `as_of` in the event's own zone."""
    live = {e.id: e for e in world.events if e.deleted_at is None}
    sums: dict[int, list[int]] = {i: [0] * 6 for i in live}  # total q, total ₽, today q, ₽, 14d q, ₽
    today = {i: local_day(as_of, ZoneInfo(e.city.timezone)) for i, e in live.items()}
    for order in world.orders:
        if order.event_id not in live or not order.payed or order.payed_at is None:
            continue
        day = local_day(order.payed_at, ZoneInfo(live[order.event_id].city.timezone))
        ago = (today[order.event_id] - day).days
        acc = sums[order.event_id]
        for basket in order.baskets:
            if basket_status(order, basket) != "paid":
                continue
            slots = (0, 2, 4) if ago == 0 else (0, 4) if 0 <= ago < 14 else (0,)
            for slot in slots:
                acc[slot] += basket.quantity
                acc[slot + 1] += basket.price
    stock: dict[int, list[int]] = {i: [0, 0] for i in live}
    for row in inventory:
        stock[row["event_id"]][0] += row["tickets_total"]
        stock[row["event_id"]][1] += row["tickets_left"]
    return [
        {
            "event_id": i,
            "event_name": e.name,
            "city_name": e.city.name,
            "tickets_sold_total": sums[i][0],
            "revenue_total": rubles(sums[i][1]),
            "tickets_sold_today": sums[i][2],
            "revenue_today": rubles(sums[i][3]),
            "tickets_sold_14d": sums[i][4],
            "revenue_14d": rubles(sums[i][5]),
            "tickets_total": stock[i][0],
            "tickets_left": stock[i][1],
        }
        for i, e in live.items()
    ]


def truth(world: World, as_of: int | None = None) -> dict[str, list[dict[str, Any]]]:
    """The mart a correct loader builds; "today" is taken at `as_of` (default: the wall clock)."""
    as_of = int(time.time()) if as_of is None else as_of
    with world.lock:
        inventory = inventory_rows(world)
        return {
            "dim_events": [dim_event(e) for e in world.events],
            "fact_inventory_latest": inventory,
            "fact_sales": sales_rows(world),
            "v_sales_dashboard": dashboard_rows(world, inventory, as_of),
        }


def expected_requests(world: World) -> dict[str, int]:
    """How many GETs a full crawl needs: pages per list, and one seat map per inventoried show."""
    with world.lock:
        return {
            "events_pages": math.ceil(len(world.events) / 10),
            "orders_pages": math.ceil(len(world.orders) / 50),
            "seat_maps": sum(len(live_shows(e)) for e in world.events if e.deleted_at is None),
        }
