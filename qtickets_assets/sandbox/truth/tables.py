"""The truth of the tables read straight from the API's records: dim_events, dim_discounts,
dim_promo_codes, and fact_inventory_latest (each live show's seats). fact_sales, which needs each
ticket's local days, is in `tickets.py`.
"""

from __future__ import annotations

from typing import Any

from qtickets_assets.sandbox.model import Discount, Event, PromoCode, Show, World, seat_free
from qtickets_assets.sandbox.truth.formats import utc


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


def dim_discount(d: Discount) -> dict[str, Any]:
    return {
        "discount_id": d.id,
        "name": d.name,
        "type": "P",
        "is_active": d.is_active,
        "active_from": utc(d.active_from),
        "active_to": utc(d.active_to),
        "is_deleted": int(d.deleted_at is not None),
    }


def dim_promo_code(p: PromoCode) -> dict[str, Any]:
    return {
        "promo_code_id": p.id,
        "code": p.code,
        "discount_id": p.discount_id,
        "is_active": p.is_active,
        "max_uses_count": p.max_uses_count,
        "active_from": utc(p.active_from),
        "active_to": utc(p.active_to),
        "is_deleted": int(p.deleted_at is not None),
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
