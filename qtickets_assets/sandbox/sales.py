"""Building orders: seat picking, prices after discount, a new order's plan (what becomes of it:
`lifecycle.py`).

Shared by the generator (history) and by `advance` (the present), so both obey the same rules:
a basket holds its seat unless it or its order is cancelled or it was refunded.
"""

from __future__ import annotations

import random
import string
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from qtickets_assets.sandbox.catalog import CARD_PAYMENT_TYPES, ONLINE_PAYMENT_TYPES, SITES, seat_name
from qtickets_assets.sandbox.lifecycle import cancel, refund, refund_deduction
from qtickets_assets.sandbox.model import (
    Basket,
    Client,
    Discount,
    Event,
    Order,
    PromoCode,
    SeatSpec,
    Show,
    Site,
    Tariff,
    ZoneSpec,
    holds_seat,
    seat_free,
    usable_at,
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
    {
        "utm_source": "yandex",
        "utm_medium": "cpc",
        "utm_campaign": "62384014",
        "utm_content": "10766680211",
        "utm_term": "куда сходить с ребенком",
    },
    {"utm_source": "vk", "utm_medium": "posty", "utm_campaign": "anons2"},
    {
        "utm_source": "vk",
        "utm_medium": "target",
        "utm_campaign": "osen",
        "utm_content": "banner_3",
        "utm_term": "дети 5-10",
    },
    {"utm_source": "telegram", "utm_medium": "post", "utm_campaign": "osen"},
    {"utm_source": "google"},
)
ALNUM = string.ascii_letters + string.digits
DAY = 86400
DISCOUNTED_SHARE = 0.15  # of orders for an event with a discount on
PROMO_SHARE = 0.55  # of discounted orders: the code typed in (when the discount has a usable one)
SITELESS_SHARE = 0.10  # orders with site null: the box office, and managers booking by phone
BOX_OFFICE_SHARE = 0.6  # of siteless orders: payment_type_id null too
SERVICE_FEE_SHARE = 0.27  # of orders placed on a site: ~25% of all baskets carry a fee
SERVICE_FEE_BP = (250, 300, 500, 700)  # of the price, in basis points
# Each choice repeated as many times as its weight: one rng.choice a draw (rng.choices is ~4x dearer).
SITE_DRAW = tuple(site for site, weight in SITES for _ in range(weight))
PAYMENT_DRAW = tuple(kind for kind, weight in ONLINE_PAYMENT_TYPES for _ in range(weight))


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


def hold(show: Show, order: Order, baskets: Iterable[Basket] | None = None) -> None:
    """Record the seats an order's baskets (or `baskets` of them) keep in the show's counters."""
    target = show.held_paid if order.payed else show.held_reserved
    for basket in order.baskets if baskets is None else baskets:
        if basket.show_id == show.id and holds_seat(order, basket):
            target[basket.seat_root_id] = target.get(basket.seat_root_id, 0) + basket.quantity


def release(show: Show, order: Order, basket: Basket) -> None:
    """Give a basket's seat back (call before marking it cancelled or refunded)."""
    if not holds_seat(order, basket):
        return
    target = show.held_paid if order.payed else show.held_reserved
    target[basket.seat_root_id] = target.get(basket.seat_root_id, 0) - basket.quantity


class Offers:
    """The discounts and promo codes buyers can apply, and how often each code was used so far."""

    def __init__(
        self, discounts: Iterable[Discount], promo_codes: Iterable[PromoCode], orders: Iterable[Order]
    ) -> None:
        self.by_event: dict[int, list[Discount]] = {}
        for discount in discounts:
            for event_id in discount.event_ids:
                self.by_event.setdefault(event_id, []).append(discount)
        self.codes: dict[int, list[PromoCode]] = {}
        for code in promo_codes:
            self.codes.setdefault(code.discount_id, []).append(code)
        self.uses = Counter(o.promo_code_id for o in orders if o.promo_code_id is not None)

    def pick(self, rng: random.Random, event_id: int, at: int) -> tuple[Discount | None, PromoCode | None]:
        """A discount live at `at` for some orders, and for about half of those one of its codes."""
        if rng.random() >= DISCOUNTED_SHARE:
            return None, None
        live = [d for d in self.by_event.get(event_id, ()) if usable_at(d, at)]
        if not live:
            return None, None
        discount = rng.choice(live)
        if rng.random() >= PROMO_SHARE:
            return discount, None
        codes = [c for c in self.codes.get(discount.id, ()) if usable_at(c, at) and self._left(c)]
        if not codes:
            return discount, None
        code = rng.choice(codes)
        self.uses[code.id] += 1
        return discount, code

    def _left(self, code: PromoCode) -> bool:
        return code.max_uses_count == 0 or self.uses[code.id] < code.max_uses_count


@dataclass(frozen=True, slots=True)
class Checkout:
    """How an order was placed and paid, and what it was charged beyond the tickets."""

    discount: Discount | None
    promo: PromoCode | None
    site: Site | None
    payment_type_id: str | None
    fee_bp: int  # service fee in basis points of each basket's price; 0 when none


def pick_site_and_payment(rng: random.Random) -> tuple[Site | None, str | None]:
    if rng.random() < SITELESS_SHARE:
        if rng.random() < BOX_OFFICE_SHARE:
            return None, None
        return None, rng.choice(PAYMENT_DRAW)
    return rng.choice(SITE_DRAW), rng.choice(PAYMENT_DRAW)


def service_fee(price: int, fee_bp: int) -> int:
    """A share of the price, rounded half up to the kopeck."""
    return (price * fee_bp + 5000) // 10000


def discounted(original: int, discount: Discount | None) -> int:
    return original if discount is None else (original * (100 - discount.percent) + 50) // 100


class OrderFactory:
    def __init__(
        self,
        rng: random.Random,
        clients: list[Client],
        offers: Offers,
        order_ids: IdCounter,
        basket_ids: IdCounter,
    ) -> None:
        self.rng = rng
        self.clients = clients
        self.offers = offers
        self.order_ids = order_ids
        self.basket_ids = basket_ids

    def create(self, event: Event, show: Show, created: int, plan: Plan, now: int) -> Order | None:
        """An order created at `created`, living its planned life up to `now`; None if sold out."""
        rng = self.rng
        picks = pick_seats(show, event.venue.layout.zones, rng, rng.choice((1, 1, 1, 2, 2, 3, 4)))
        if not picks:
            return None
        checkout = self._checkout(event, created)
        order_id = self.order_ids.next(rng)
        baskets = [self._basket(order_id, show, p, created, checkout) for p in picks]
        order = self._order(order_id, event, created, checkout, baskets)
        self._live(order, plan, now)
        hold(show, order)
        return order

    def _checkout(self, event: Event, created: int) -> Checkout:
        rng = self.rng
        discount, promo = self.offers.pick(rng, event.id, created)
        site, payment_type_id = pick_site_and_payment(rng)
        fee_bp = rng.choice(SERVICE_FEE_BP) if site is not None and rng.random() < SERVICE_FEE_SHARE else 0
        return Checkout(discount, promo, site, payment_type_id, fee_bp)

    def _basket(
        self,
        order_id: int,
        show: Show,
        pick: tuple[ZoneSpec, SeatSpec, Tariff, int],
        created: int,
        checkout: Checkout,
    ) -> Basket:
        zone, seat, tariff, qty = pick
        original = show.zone_prices[zone.zone_id] * tariff.factor_pct // 100 * qty
        price = discounted(original, checkout.discount)
        at = created - self.rng.randint(5, 60)
        barcode = f"{self.rng.randrange(10**12):012d}"
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
            service_fee(price, checkout.fee_bp),
            at,
            at,
        )

    def _order(
        self,
        order_id: int,
        event: Event,
        created: int,
        checkout: Checkout,
        baskets: list[Basket],
    ) -> Order:
        rng = self.rng
        # UTM tags come with a visit to a site: the box office has none.
        utm = dict(rng.choice(UTM_CHOICES)) if checkout.site is not None and rng.random() < 0.44 else {}
        card = f"220220******{rng.randint(0, 9999):04d}"
        return Order(
            id=order_id,
            uniqid="".join(rng.choices(ALNUM, k=10)),
            event_id=event.id,
            client=rng.choice(self.clients),
            payed=False,
            payed_at=None,
            created_at=created,
            updated_at=created,
            deleted_at=None,
            reserved_to=created + DAY,
            currency_id="RUB",
            discount_id=None if checkout.discount is None else checkout.discount.id,
            promo_code_id=None if checkout.promo is None else checkout.promo.id,
            utm=utm,
            payment_type_id=checkout.payment_type_id,
            card_number=card if checkout.payment_type_id in CARD_PAYMENT_TYPES else None,
            site=checkout.site,
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
            basket = rng.choice(order.baskets)
            refund(order, basket, later, refund_deduction(rng, basket.price))
