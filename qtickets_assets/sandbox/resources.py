"""The list and item resources of the API: page size, filterable columns, rendering."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from qtickets_assets.sandbox.filters import Kind
from qtickets_assets.sandbox.model import World
from qtickets_assets.sandbox.render import color_themes, render_discount, render_event, render_promo
from qtickets_assets.sandbox.render_orders import render_client, render_order


@dataclass(frozen=True, slots=True)
class Resource:
    route: str  # path segment, e.g. "orders"
    label: str  # the name in 404 bodies, e.g. "Order"
    per_page: int  # fixed by the server; per_page/perPage requests are ignored
    columns: dict[str, Kind]  # top-level scalar columns `where` and `orderBy` may use
    items: Callable[[World], list[Any]]
    row: Callable[[Any], dict[str, Any]]  # a new dict per call: the API adds "_item" to it
    render: Callable[[Any, World], dict[str, Any]]


TIME_COLS: dict[str, Kind] = {"created_at": "time", "updated_at": "time", "deleted_at": "time"}

RESOURCES: dict[str, Resource] = {
    "events": Resource(
        "events",
        "Event",
        10,
        {"id": "int", "is_active": "int", **TIME_COLS},
        lambda w: w.events,
        lambda e: {
            "id": e.id,
            "is_active": e.is_active,
            "created_at": e.created_at,
            "updated_at": e.updated_at,
            "deleted_at": e.deleted_at,
        },
        lambda e, w: render_event(e),
    ),
    "orders": Resource(
        "orders",
        "Order",
        50,
        {"id": "int", "payed": "bool", "event_id": "int", "payed_at": "time", **TIME_COLS},
        lambda w: w.orders,
        lambda o: {
            "id": o.id,
            "payed": o.payed,
            "event_id": o.event_id,
            "payed_at": o.payed_at,
            "created_at": o.created_at,
            "updated_at": o.updated_at,
            "deleted_at": o.deleted_at,
        },
        lambda o, w: render_order(o),
    ),
    "clients": Resource(
        "clients",
        "Client",
        100,
        {"id": "int"},
        lambda w: w.clients,
        lambda c: {"id": c.id},
        lambda c, w: render_client(c),
    ),
    "discounts": Resource(
        "discounts",
        "Discount",
        100,
        {"id": "int", "is_active": "int", **TIME_COLS},
        lambda w: w.discounts,
        lambda d: {
            "id": d.id,
            "is_active": d.is_active,
            "created_at": d.created_at,
            "updated_at": d.deleted_at or d.created_at,
            "deleted_at": d.deleted_at,
        },
        render_discount,
    ),
    "promo-codes": Resource(
        "promo-codes",
        "PromoCode",
        500,
        {"id": "int", "is_active": "int", "discount_id": "int", **TIME_COLS},
        lambda w: w.promo_codes,
        lambda p: {
            "id": p.id,
            "is_active": p.is_active,
            "discount_id": p.discount_id,
            "created_at": p.created_at,
            "updated_at": p.deleted_at or p.created_at,
            "deleted_at": p.deleted_at,
        },
        lambda p, w: render_promo(p),
    ),
}


def color_themes_body() -> dict[str, Any]:
    return {"data": color_themes()}
