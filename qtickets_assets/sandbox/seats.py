"""GET /shows/{id}/seats (flat and zoned) and GET /shows/{id}/barcodes."""

from __future__ import annotations

from typing import Any

from qtickets_assets.sandbox.catalog import seat_name
from qtickets_assets.sandbox.model import (
    Event,
    SeatSpec,
    Show,
    Tariff,
    World,
    ZoneSpec,
    holds_seat,
    seat_free,
)
from qtickets_assets.sandbox.render import money

NO_SPREAD: dict[str, Any] = {
    "partner_id": None,
    "users": [],
    "client_groups": [],
    "client_emails": [],
    "agents": False,
}


def seat_offer(show: Show, zone: ZoneSpec, seat: SeatSpec, tariff: Tariff) -> dict[str, Any]:
    """One seat at one tariff, as the API sends it, every key in the wire order."""
    paid = show.held_paid.get(seat.root_id, 0)
    reserved = show.held_reserved.get(seat.root_id, 0)
    free = seat_free(show, seat)
    return {
        "id": tariff.prefix + seat.root_id,
        "root_id": seat.root_id,
        "name": seat_name(zone, seat),
        "zone_id": tariff.prefix + zone.zone_id,
        "zone_root_id": zone.zone_id,
        "short_seat_id": f"{seat.row};{seat.place}",
        "admission": zone.admission,
        "row": seat.row,
        "place": seat.place,
        "max_quantity": seat.max_quantity,
        "free_quantity": free,
        "ordered_quantity": paid + reserved,
        "available": free > 0 and not seat.disabled,
        "disabled": seat.disabled,
        "ordered": paid + reserved > 0,
        "payed_quantity": paid,
        "in_basket_quantity": reserved,
        "price": money(show.zone_prices[zone.zone_id] * tariff.factor_pct // 100),
        "currency_id": "RUB",
        "related_seats": [],
        "multiprice_name": tariff.name,
        "multiprice_code": tariff.code,
        "spread": NO_SPREAD,
        "color_theme_id": zone.color_theme_id,
        "coords": list(seat.coords),
    }


def seat_select(raw: Any) -> tuple[str, ...] | None:
    """`select` as the seat keys to keep (unknown names ignored), or None for whole seats."""
    if not isinstance(raw, list) or not raw:
        return None
    return tuple(sorted({name for name in raw if isinstance(name, str)}))


def zone_offers(
    show: Show, zone: ZoneSpec, select: tuple[str, ...] | None = None
) -> dict[str, dict[str, Any]]:
    """{offer id: seat}, each seat with only the `select` keys (in the seat's own order)."""
    offers = {}
    for seat in zone.seats:
        for tariff in zone.tariffs:
            offer = seat_offer(show, zone, seat, tariff)
            offers[offer["id"]] = offer if select is None else {k: v for k, v in offer.items() if k in select}
    return offers


def render_seats(
    show: Show, event: Event, flat: bool, select: tuple[str, ...] | None = None
) -> dict[str, Any]:
    """Flat: {offer_id: seat}. Otherwise zones -> seats (the shape the REPO developer described).

    With `select`, each seat keeps only those keys, in the seat's own order.
    """
    zones = event.venue.layout.zones
    if flat:
        data: dict[str, Any] = {}
        for zone in zones:
            data.update(zone_offers(show, zone, select))
        return {"data": data}
    return {
        "data": {
            z.zone_id: {"zone_id": z.zone_id, "name": z.name, "seats": zone_offers(show, z, select)}
            for z in zones
        }
    }


def render_barcodes(world: World, show_id: int) -> list[dict[str, Any]]:
    """Valid tickets only: paid, neither cancelled nor refunded."""
    out = []
    for basket in world.baskets_by_show.get(show_id, []):
        order = world.orders_by_id[basket.order_id]
        if order.payed and holds_seat(order, basket):
            out.append(
                {"barcode": basket.barcode, "price": money(basket.price), "seat_name": basket.seat_name}
            )
    return out
