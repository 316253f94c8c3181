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

NO_SPREAD = {"partner_id": None, "users": [], "client_groups": [], "client_emails": [], "agents": False}


# The keys of a seat offer whose values depend on the show (its sales, its prices); every other key
# depends on the hall alone (zone, seat, tariff), so a hall's offers are made once and copied per show.
SHOW_KEYS = (
    "free_quantity",
    "ordered_quantity",
    "available",
    "ordered",
    "payed_quantity",
    "in_basket_quantity",
    "price",
)


def hall_offer(zone: ZoneSpec, seat: SeatSpec, tariff: Tariff) -> dict[str, Any]:
    """One seat at one tariff, every key in the wire order; the SHOW_KEYS are left None."""
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
        "free_quantity": None,
        "ordered_quantity": None,
        "available": None,
        "disabled": seat.disabled,
        "ordered": None,
        "payed_quantity": None,
        "in_basket_quantity": None,
        "price": None,
        "currency_id": "RUB",
        "related_seats": [],
        "multiprice_name": tariff.name,
        "multiprice_code": tariff.code,
        "spread": NO_SPREAD,
        "color_theme_id": zone.color_theme_id,
        "coords": list(seat.coords),
    }


def seat_values(show: Show, seat: SeatSpec) -> dict[str, Any]:
    """The SHOW_KEYS but price: quantities, shared by every tariff of a physical seat."""
    paid = show.held_paid.get(seat.root_id, 0)
    reserved = show.held_reserved.get(seat.root_id, 0)
    free = seat_free(show, seat)
    return {
        "free_quantity": free,
        "ordered_quantity": paid + reserved,
        "available": free > 0 and not seat.disabled,
        "ordered": paid + reserved > 0,
        "payed_quantity": paid,
        "in_basket_quantity": reserved,
    }


def offer_price(show: Show, zone: ZoneSpec, tariff: Tariff) -> int | float | None:
    return money(show.zone_prices[zone.zone_id] * tariff.factor_pct // 100)


def seat_offer(show: Show, zone: ZoneSpec, seat: SeatSpec, tariff: Tariff) -> dict[str, Any]:
    """One seat at one tariff, as the API sends it."""
    offer = hall_offer(zone, seat, tariff)
    offer.update(seat_values(show, seat))  # keys already there: the order stays
    offer["price"] = offer_price(show, zone, tariff)
    return offer


def seat_select(raw: Any) -> tuple[str, ...] | None:
    """`select` as the seat keys to keep (unknown names ignored), or None for whole seats."""
    if not isinstance(raw, list) or not raw:
        return None
    return tuple(sorted({name for name in raw if isinstance(name, str)}))


# A zone's offers for one `select`: (seat, [(offer id, hall part restricted to select, tariff)]),
# and the SHOW_KEYS the select keeps.
HallPlan = tuple[list[tuple[SeatSpec, list[tuple[str, dict[str, Any], Tariff]]]], tuple[str, ...]]
# Medium and large worlds have ~57 zones, ~11,800 offers: their hall parts take ~5.5 MB with the
# client's `select`, ~16 MB whole. Past this many offers kept (other selects) the cache starts over.
PLAN_CACHE_OFFERS = 100_000


class PlanCache:
    """Hall plans by (zone, select) for one world's halls (which never change)."""

    __slots__ = ("_plans", "offers")

    def __init__(self) -> None:
        self.offers = 0
        self._plans: dict[tuple[int, tuple[str, ...] | None], tuple[ZoneSpec, HallPlan]] = {}

    def __len__(self) -> int:
        return len(self._plans)

    def get(self, zone: ZoneSpec, select: tuple[str, ...] | None) -> HallPlan | None:
        hit = self._plans.get((id(zone), select))
        return hit[1] if hit is not None and hit[0] is zone else None  # the entry holds the zone

    def put(self, zone: ZoneSpec, select: tuple[str, ...] | None, plan: HallPlan) -> None:
        count = len(zone.seats) * len(zone.tariffs)
        if self.offers + count > PLAN_CACHE_OFFERS:
            self._plans.clear()
            self.offers = 0
        self._plans[(id(zone), select)] = (zone, plan)
        self.offers += count


def hall_plan(zone: ZoneSpec, select: tuple[str, ...] | None, plans: PlanCache) -> HallPlan:
    hit = plans.get(zone, select)
    if hit is not None:
        return hit
    seats = []
    for seat in zone.seats:
        offers = []
        for tariff in zone.tariffs:
            full = hall_offer(zone, seat, tariff)
            part = full if select is None else {k: v for k, v in full.items() if k in select}
            offers.append((full["id"], part, tariff))
        seats.append((seat, offers))
    plan: HallPlan = (seats, tuple(k for k in SHOW_KEYS if select is None or k in select))
    plans.put(zone, select, plan)
    return plan


def zone_offers(
    show: Show, zone: ZoneSpec, select: tuple[str, ...] | None = None, plans: PlanCache | None = None
) -> dict[str, dict[str, Any]]:
    """{offer id: seat}, each seat with only the `select` keys (in the seat's own order).

    With `plans` (a cache the caller keeps for one world), the hall part of each offer is made once
    per zone and select and copied: the same dicts as `seat_offer` makes, their lists shared.
    """
    if plans is None:
        full = {
            tariff.prefix + seat.root_id: seat_offer(show, zone, seat, tariff)
            for seat in zone.seats
            for tariff in zone.tariffs
        }
        if select is None or not full:
            return full
        keys = [k for k in next(iter(full.values())) if k in select]  # the seat's own order
        return {key: {k: seat[k] for k in keys} for key, seat in full.items()}
    seats, dynamic = hall_plan(zone, select, plans)
    out: dict[str, dict[str, Any]] = {}
    if not dynamic:
        for _, offers in seats:
            for key, part, _ in offers:
                out[key] = part.copy()
        return out
    quantities = tuple(k for k in dynamic if k != "price")
    priced = "price" in dynamic
    values: dict[str, Any] = {}
    for seat, offers in seats:
        if quantities:
            values = seat_values(show, seat)
        for key, part, tariff in offers:
            offer = out[key] = part.copy()  # every key is there already: assignments keep the order
            for k in quantities:
                offer[k] = values[k]
            if priced:
                offer["price"] = offer_price(show, zone, tariff)
    return out


def render_seats(
    show: Show,
    event: Event,
    flat: bool,
    select: tuple[str, ...] | None = None,
    plans: PlanCache | None = None,
) -> dict[str, Any]:
    """Flat: {offer_id: seat}. Otherwise zones -> seats (the shape the REPO developer described).

    With `select`, each seat keeps only those keys, in the seat's own order. `plans`: see zone_offers.
    """
    zones = event.venue.layout.zones
    if flat:
        data: dict[str, Any] = {}
        for zone in zones:
            data.update(zone_offers(show, zone, select, plans))
        return {"data": data}
    return {
        "data": {
            z.zone_id: {"zone_id": z.zone_id, "name": z.name, "seats": zone_offers(show, z, select, plans)}
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
