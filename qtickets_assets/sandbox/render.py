"""The world as the real API spells it: PHP json_encode quirks, Moscow offsets, full field sets."""

from __future__ import annotations

import json
import time
from typing import Any

from qtickets_assets.sandbox.model import Discount, Event, PromoCode, Show, World

MSK_OFFSET = 3 * 3600
COLOR_THEMES = (
    "#d80000",
    "#d8007f",
    "#b200d8",
    "#5a00d8",
    "#0019d8",
    "#0090d8",
    "#00d8c4",
    "#00d84b",
    "#5ad800",
    "#c4d800",
    "#d89000",
    "#d84b00",
    "#7f7f7f",
    "#3f3f3f",
    "#000000",
)


def dumps(obj: Any) -> bytes:
    """PHP json_encode: compact, non-ASCII as \\uXXXX and "/" as "\\/"."""
    text = json.dumps(obj, ensure_ascii=True, separators=(",", ":"))
    return text.replace("/", "\\/").encode("ascii")


def msk(ts: int | None) -> str | None:
    """Every timestamp goes out in Moscow time, whatever the event's own zone."""
    if ts is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S+03:00", time.gmtime(ts + MSK_OFFSET))


def money(kopecks: int | None) -> int | float | None:
    """Whole rubles as ints (as in the captures), the rest with kopecks."""
    if kopecks is None:
        return None
    return kopecks // 100 if kopecks % 100 == 0 else kopecks / 100


def php_map(d: dict[str, Any]) -> dict[str, Any] | list[Any]:
    """PHP encodes an empty associative array as []."""
    return d if d else []


def price_obj(show: Show, zone_id: str, color: int) -> dict[str, Any]:
    return {
        "id": show.price_ids[zone_id],
        "default_price": money(show.zone_prices[zone_id]),
        "color_theme": str(color),
        "modifiers": [],
    }


def scheme_properties(show: Show, event: Event) -> dict[str, Any]:
    """Heavy on purpose: one entry per physical seat, every leaf a string."""
    admin, zones, seats = {}, {}, {}
    for zone in event.venue.layout.zones:
        rows = sorted({s.row for s in zone.seats}, key=int)
        admin[zone.zone_id] = {
            "opened": "0",
            "was_opened": "1",
            "rows": {r: {"was_opened": "1"} for r in rows},
        }
        zones[zone.zone_id] = {
            "disabled": "0",
            "spread": {"enabled": ""},
            "price_id": str(show.price_ids[zone.zone_id]),
            "rows": [""] if zone.admission else {r: {"label": r} for r in rows},
            "label": zone.name,
        }
        for seat in zone.seats:
            entry = {
                "max_quantity": str(seat.max_quantity) if zone.admission else "",
                "hot": "",
                "show_free_quantity": "",
                "price_id": str(show.price_ids[zone.zone_id]),
            }
            if seat.disabled:
                entry["disabled"] = "1"
            seats[seat.root_id] = entry
    return {"admin": {"zones": admin}, "zones": zones, "seats": seats}


def render_show(show: Show, event: Event) -> dict[str, Any]:
    zones = event.venue.layout.zones
    prices = [price_obj(show, z.zone_id, z.color_theme_id) for z in zones]
    by_price = sorted(zip(zones, prices, strict=True), key=lambda zp: show.zone_prices[zp[0].zone_id])
    return {
        "id": show.id,
        "name": "",
        "is_active": show.is_active,
        "sale_start_date": None,
        "sale_finish_date": msk(show.finish),
        "open_date": msk(show.start - 1800),
        "start_date": msk(show.start),
        "finish_date": msk(show.finish),
        "scheme_properties": scheme_properties(show, event),
        "prices": prices,
        "min_price": by_price[0][1] if by_price else None,
        "max_price": by_price[-1][1] if by_price else None,
        "created_at": msk(show.created_at),
        "updated_at": msk(show.updated_at),
        "deleted_at": msk(show.deleted_at),
    }


def render_event(event: Event) -> dict[str, Any]:
    city = event.city
    return {
        "id": event.id,
        "is_active": event.is_active,
        "name": event.name,
        "scheme_id": event.venue.layout.scheme_id,
        "currency_id": "RUB",
        "place_name": event.venue.name,
        "place_address": event.venue.address,
        "place_description": "",
        "place_coordinates": [city.coords[0], city.coords[1]],
        "city_id": city.id,
        "city": {"id": city.id, "name": city.name, "timezone": city.timezone},
        "description": f"{event.name}.\r\nДля всей семьи.",
        "site_url": f"https://{event.slug}.example/",
        "url": f"https://{city.host}.qtickets.events/{event.id}-{event.slug}",
        "slug": event.slug,
        "external_id": None,
        "age": event.age,
        "event_type_id": event.event_type_id,
        "ticket_id": 35,
        "ticket": {"id": 35, "is_active": 1, "name": "Системный шаблон"},
        "mail_template_id": 31,
        "mail_template": {"id": 31, "is_active": 1, "name": "Системный шаблон"},
        "payments": [
            {
                "id": 41057,
                "is_active": True,
                "name": "ИП Пример А.А.",
                "handler": "payanyway",
                "agree_url": f"https://qtickets.ru/legal/demo-org/12857?event={event.id}",
            }
        ],
        "poster": {
            "id": 99000 + event.id % 1000,
            "content_type": "image/jpeg",
            "file_size": 91449,
            "url": f"https://qtickets.ru/storage/app/uploads/public/{event.id}/poster.jpg",
        },
        "shows": [render_show(s, event) for s in event.shows],
        "created_at": msk(event.created_at),
        "updated_at": msk(event.updated_at),
        "deleted_at": msk(event.deleted_at),
    }


def render_discount(d: Discount, world: World) -> dict[str, Any]:
    events = [world.events_by_id[i] for i in d.event_ids]
    return {
        "id": d.id,
        "is_active": d.is_active,
        "name": d.name,
        "active_from": msk(d.active_from),
        "active_to": msk(d.active_to),
        "type": "P",
        "events": [
            {"id": e.id, "is_active": e.is_active, "name": e.name, "deleted_at": msk(e.deleted_at)}
            for e in events
        ],
        "shows": [],
        "created_at": msk(d.created_at),
        "updated_at": msk(d.deleted_at or d.created_at),
        "deleted_at": msk(d.deleted_at),
    }


def render_promo(p: PromoCode) -> dict[str, Any]:
    return {
        "id": p.id,
        "is_active": p.is_active,
        "type": 0,
        "discount_id": p.discount_id,
        "code": p.code,
        "max_uses_count": p.max_uses_count,
        "active_from": msk(p.active_from),
        "active_to": msk(p.active_to),
        "created_at": msk(p.created_at),
        "updated_at": msk(p.deleted_at or p.created_at),
        "deleted_at": msk(p.deleted_at),
    }


def color_themes() -> list[dict[str, Any]]:
    return [{"id": i + 1, "color": c} for i, c in enumerate(COLOR_THEMES)]
