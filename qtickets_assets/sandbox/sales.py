"""Building orders: seat picking, prices after discount, and the life of an order.

Shared by the generator (history) and by `advance` (the present), so both obey the same rules:
a basket holds its seat unless it or its order is cancelled or it was refunded.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from typing import Literal

from qtickets_assets.sandbox.catalog import seat_name
from qtickets_assets.sandbox.model import (
    Basket,
    Client,
    Event,
    Order,
    SeatSpec,
    Show,
    Tariff,
    ZoneSpec,
    holds_seat,
    seat_free,
)

Plan = Literal["paid", "reserved", "paid_cancelled", "basket_deleted", "refunded"]

UTM_CHOICES: tuple[dict[str, str], ...] = (
    {
        "utm_source": "yandex",
        "utm_medium": "cpc",
        "utm_campaign": "62384014",
        "utm_content": "10766679603",
        "utm_term": "выставка",
    },
    {"utm_source": "vk", "utm_medium": "posty", "utm_campaign": "anons2"},
    {"utm_source": "telegram", "utm_medium": "post", "utm_campaign": "osen"},
    {"utm_source": "google"},
)
ALNUM = string.ascii_letters + string.digits
DAY = 86400


@dataclass(slots=True)
class IdCounter:
    value: int

    def next(self, rng: random.Random) -> int:
        self.value += rng.randint(1, 3)
        return self.value


def pick_seats(
    show: Show, zones: tuple[ZoneSpec, ...], rng: random.Random, count: int
) -> list[tuple[ZoneSpec, SeatSpec, Tariff, int]]:
    """Up to `count` tickets with free capacity; random probing keeps this O(count)."""
    picked: list[tuple[ZoneSpec, SeatSpec, Tariff, int]] = []
    taken: set[str] = set()
    for _ in range(count * 4):
        if len(picked) == count:
            break
        zone = rng.choice(zones)
        seat = zone.seats[0] if zone.admission else rng.choice(zone.seats)
        qty = 2 if zone.admission and rng.random() < 0.05 else 1
        if seat.disabled or (not zone.admission and seat.root_id in taken):
            continue
        already = sum(q for _, s, _, q in picked if s.root_id == seat.root_id)
        if seat_free(show, seat) - already < qty:
            continue
        taken.add(seat.root_id)
        picked.append((zone, seat, rng.choice(zone.tariffs), qty))
    return picked


def hold(show: Show, order: Order) -> None:
    """Record the seats an order's baskets keep in the show's counters."""
    target = show.held_paid if order.payed else show.held_reserved
    for basket in order.baskets:
        if basket.show_id == show.id and holds_seat(order, basket):
            target[basket.seat_root_id] = target.get(basket.seat_root_id, 0) + basket.quantity


def release(show: Show, order: Order, basket: Basket) -> None:
    """Give a basket's seat back (call before marking it cancelled or refunded)."""
    if not holds_seat(order, basket):
        return
    target = show.held_paid if order.payed else show.held_reserved
    target[basket.seat_root_id] = target.get(basket.seat_root_id, 0) - basket.quantity


class OrderFactory:
    def __init__(
        self,
        rng: random.Random,
        clients: list[Client],
        discounts: dict[int, list[tuple[int, int]]],
        order_ids: IdCounter,
        basket_ids: IdCounter,
    ) -> None:
        self.rng = rng
        self.clients = clients
        self.discounts = discounts  # event_id -> [(discount_id, percent)]
        self.order_ids = order_ids
        self.basket_ids = basket_ids

    def create(self, event: Event, show: Show, created: int, plan: Plan, now: int) -> Order | None:
        """An order created at `created`, living its planned life up to `now`; None if sold out."""
        rng = self.rng
        picks = pick_seats(show, event.venue.layout.zones, rng, rng.choice((1, 1, 1, 2, 2, 3, 4)))
        if not picks:
            return None
        discount = None
        if rng.random() < 0.15 and self.discounts.get(event.id):
            discount = rng.choice(self.discounts[event.id])
        order_id = self.order_ids.next(rng)
        baskets = [self._basket(order_id, show, p, created, discount) for p in picks]
        order = self._order(order_id, event, created, discount, baskets)
        self._live(order, plan, now)
        hold(show, order)
        return order

    def _basket(
        self,
        order_id: int,
        show: Show,
        pick: tuple[ZoneSpec, SeatSpec, Tariff, int],
        created: int,
        discount: tuple[int, int] | None,
    ) -> Basket:
        zone, seat, tariff, qty = pick
        original = show.zone_prices[zone.zone_id] * tariff.factor_pct // 100 * qty
        price = original if discount is None else (original * (100 - discount[1]) + 50) // 100
        at = created - self.rng.randint(5, 60)
        barcode = "".join(self.rng.choice(string.digits) for _ in range(12))
        return Basket(
            self.basket_ids.next(self.rng),
            order_id,
            show.id,
            seat.root_id,
            seat_name(zone, seat),
            tariff.code,
            barcode,
            qty,
            original,
            price,
            at,
            at,
        )

    def _order(
        self,
        order_id: int,
        event: Event,
        created: int,
        discount: tuple[int, int] | None,
        baskets: list[Basket],
    ) -> Order:
        rng = self.rng
        utm = dict(rng.choice(UTM_CHOICES)) if rng.random() < 0.4 else {}
        card = f"220220******{rng.randint(0, 9999):04d}"
        return Order(
            id=order_id,
            uniqid="".join(rng.choice(ALNUM) for _ in range(10)),
            event_id=event.id,
            client=rng.choice(self.clients),
            payed=False,
            payed_at=None,
            created_at=created,
            updated_at=created,
            deleted_at=None,
            reserved_to=created + DAY,
            currency_id="RUB",
            discount_id=discount[0] if discount else None,
            promo_code_id=None if discount is None or rng.random() < 0.5 else 170000 + discount[0],
            utm=utm,
            payment_type_id=rng.choice(("card", "card", "4326371")),
            card_number=card,
            baskets=baskets,
        )

    def _live(self, order: Order, plan: Plan, now: int) -> None:
        """Apply payment, expiry, cancellation or refund; every change bumps updated_at."""
        rng = self.rng
        if plan == "reserved":
            if order.reserved_to <= now:  # the reservation expired: the order is cancelled
                cancel(order, order.reserved_to)
            return
        order.payed = True
        order.payed_at = min(order.created_at + rng.randint(20, 600), now)
        order.updated_at = order.payed_at
        for basket in order.baskets:
            basket.updated_at = order.payed_at
        later = rng.randint(order.payed_at, now) if now > order.payed_at else now
        if plan == "paid_cancelled":
            cancel(order, later)
        elif plan == "basket_deleted" and len(order.baskets) > 1:
            basket = rng.choice(order.baskets)
            basket.deleted_at = basket.updated_at = order.updated_at = later
        elif plan == "refunded":
            refund(order, rng.choice(order.baskets), later)


def cancel(order: Order, at: int) -> None:
    order.deleted_at = order.updated_at = at
    for basket in order.baskets:
        if basket.deleted_at is None:
            basket.deleted_at = basket.updated_at = at


def refund(order: Order, basket: Basket, at: int) -> None:
    basket.refunded_at = basket.updated_at = order.updated_at = at
    basket.refunded_amount = basket.price
    order.refunds.append((basket.price, at))
