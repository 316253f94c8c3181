"""The sandbox's world: plain dataclasses the server renders and the oracle counts.

Times are UTC epoch seconds and money is integer kopecks, so that the oracle's sums are exact
and the rendering step alone decides how the wire looks (PHP style, Moscow offsets).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class City:
    id: int
    name: str
    timezone: str
    host: str
    coords: tuple[float, float]


@dataclass(frozen=True, slots=True)
class Tariff:
    code: str | None  # multiprice_code; None for a single-price zone
    name: str | None
    prefix: str  # seat-offer id prefix, e.g. "full_"
    factor_pct: int  # price of this tariff as a percentage of the zone price


@dataclass(frozen=True, slots=True)
class SeatSpec:
    root_id: str  # "<ZONE>-<row>;<place>"
    row: str
    place: str
    max_quantity: int
    disabled: bool
    coords: tuple[int, int]


@dataclass(frozen=True, slots=True)
class ZoneSpec:
    zone_id: str
    name: str
    admission: bool  # general admission: one seat "<zone>-1;1" with a big max_quantity
    tariffs: tuple[Tariff, ...]
    seats: tuple[SeatSpec, ...]
    color_theme_id: int


@dataclass(frozen=True, slots=True)
class Layout:
    """A venue's hall; shared (immutable) by every show held there."""

    scheme_id: int
    zones: tuple[ZoneSpec, ...]


@dataclass(slots=True)
class Venue:
    name: str
    address: str
    layout: Layout


@dataclass(slots=True)
class Show:
    id: int
    event_id: int
    start: int
    finish: int
    is_active: int
    created_at: int
    updated_at: int
    deleted_at: int | None
    zone_prices: dict[str, int]  # zone_id -> kopecks (full tariff)
    price_ids: dict[str, int]  # zone_id -> price id
    held_paid: dict[str, int] = field(default_factory=dict)  # root_id -> tickets held by paid orders
    held_reserved: dict[str, int] = field(default_factory=dict)  # root_id -> held by live reservations


@dataclass(slots=True)
class Event:
    id: int
    name: str
    slug: str
    city: City
    venue: Venue
    event_type_id: int
    age: str
    is_active: int
    created_at: int
    updated_at: int
    deleted_at: int | None
    shows: list[Show]


@dataclass(frozen=True, slots=True)
class Client:
    id: int
    details_id: int
    email: str
    name: str
    surname: str
    middlename: str | None
    phone: str


@dataclass(frozen=True, slots=True)
class Site:
    """The site an order was placed on (the organiser's domain, the widget host, a partner)."""

    id: int
    host: str


@dataclass(slots=True)
class Basket:
    id: int
    order_id: int
    show_id: int
    seat_root_id: str
    seat_name: str
    multiprice_code: str | None
    barcode: str
    quantity: int
    original_price: int  # kopecks, for the whole basket
    price: int  # kopecks, after discount
    service_fee: int  # kopecks charged on top of the price; 0 when none
    created_at: int
    updated_at: int
    deleted_at: int | None = None
    refunded_at: int | None = None
    refunded_amount: int | None = None  # price - refunded_deduction
    refunded_deduction: int | None = None  # kept back by the organiser; 0 for most refunds
    checked_at: int | None = None  # scanned at the entrance


@dataclass(slots=True)
class Order:
    id: int
    uniqid: str
    event_id: int
    client: Client
    payed: bool
    payed_at: int | None
    created_at: int
    updated_at: int
    deleted_at: int | None
    reserved_to: int
    currency_id: str
    discount_id: int | None
    promo_code_id: int | None
    utm: dict[str, str]
    payment_type_id: str | None  # None: sold at the box office
    card_number: str | None
    site: Site | None
    baskets: list[Basket]
    refunds: list[tuple[int, int]] = field(default_factory=list)  # (amount refunded kopecks, at)


@dataclass(frozen=True, slots=True)
class Discount:
    id: int
    name: str
    percent: int
    event_ids: tuple[int, ...]
    is_active: int
    created_at: int
    deleted_at: int | None
    active_from: int | None = None
    active_to: int | None = None  # a configured end: may lie in the world's future


@dataclass(frozen=True, slots=True)
class PromoCode:
    id: int
    discount_id: int
    code: str
    max_uses_count: int  # 0: unlimited
    is_active: int
    created_at: int
    deleted_at: int | None
    active_from: int | None = None
    active_to: int | None = None


def usable_at(offer: Discount | PromoCode, at: int) -> bool:
    """A discount or promo code a buyer could apply at `at`: live, switched on, within its window."""
    return (
        offer.deleted_at is None
        and offer.is_active == 1
        and offer.created_at <= at
        and (offer.active_from is None or offer.active_from <= at)
        and (offer.active_to is None or at <= offer.active_to)
    )


@dataclass(slots=True)
class World:
    size: str
    seed: int
    anchor: int
    now: int  # the world's clock: the anchor, then the time of the latest advance()
    events: list[Event]
    orders: list[Order]  # id ascending
    clients: list[Client]
    discounts: list[Discount]
    promo_codes: list[PromoCode]
    version: int = 0  # bumped by every mutation; keys the render caches
    lock: threading.RLock = field(default_factory=threading.RLock)
    events_by_id: dict[int, Event] = field(default_factory=dict)
    shows_by_id: dict[int, Show] = field(default_factory=dict)
    orders_by_id: dict[int, Order] = field(default_factory=dict)
    baskets_by_show: dict[int, list[Basket]] = field(default_factory=dict)

    def reindex(self) -> None:
        self.events_by_id = {e.id: e for e in self.events}
        self.shows_by_id = {s.id: s for e in self.events for s in e.shows}
        self.orders_by_id = {o.id: o for o in self.orders}
        by_show: dict[int, list[Basket]] = {}
        for order in self.orders:
            for basket in order.baskets:
                by_show.setdefault(basket.show_id, []).append(basket)
        self.baskets_by_show = by_show


def holds_seat(order: Order, basket: Basket) -> bool:
    """A basket keeps its seat unless it or its order is cancelled or it was refunded."""
    return order.deleted_at is None and basket.deleted_at is None and basket.refunded_at is None


def seat_free(show: Show, seat: SeatSpec) -> int:
    if seat.disabled:
        return 0
    held = show.held_paid.get(seat.root_id, 0) + show.held_reserved.get(seat.root_id, 0)
    return seat.max_quantity - held
