"""Order history: who bought what and when, concentrated in the recent weeks.

Creation times are drawn first and sorted, so order ids ascend with `created_at` as in the real
API; seats are then taken in that order, so the seat map always matches the baskets. Entrance
scans come last, on the tickets still valid at the anchor.
"""

from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

from qtickets_assets.sandbox.lifecycle import scan_history
from qtickets_assets.sandbox.model import Event, Order, Show, World
from qtickets_assets.sandbox.sales import IdCounter, Offers, OrderFactory, Plan

DAY = 86400
PLANS: tuple[tuple[float, Plan], ...] = (
    (0.68, "paid"),
    (0.80, "reserved"),
    (0.84, "paid_cancelled"),
    (0.89, "basket_deleted"),
    (0.95, "refunded"),
    (1.00, "paid"),
)


def pick_plan(rng: random.Random) -> Plan:
    r = rng.random()
    return next(plan for bound, plan in PLANS if r < bound)


def local_midnight(tz_name: str, at: int) -> int:
    local = datetime.fromtimestamp(at, ZoneInfo(tz_name))
    return int(local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp())


def sale_time(rng: random.Random, event: Event, show: Show, anchor: int, midnight: int) -> int | None:
    """When a ticket for this show was bought: before the show, before any deletion, not after now."""
    limits = [anchor, show.start - 60]
    limits += [t for t in (show.deleted_at, event.deleted_at) if t is not None]
    hi, lo = min(limits), show.created_at + 3600
    if hi <= lo:
        return None
    if hi == anchor and rng.random() < 0.05:  # some sales today in the city's own calendar
        return rng.randint(max(lo, midnight), anchor)
    created = hi - int(rng.expovariate(1 / (12 * DAY)))
    return created if created >= lo else rng.randint(lo, hi)


def order_factory(rng: random.Random, world: World, last_order_id: int, last_basket_id: int) -> OrderFactory:
    """A factory whose new ids continue above the given ones, with the world's discounts and codes."""
    offers = Offers(world.discounts, world.promo_codes, world.orders)
    return OrderFactory(rng, world.clients, offers, IdCounter(last_order_id), IdCounter(last_basket_id))


def started_live_shows(world: World, now: int) -> dict[int, Show]:
    """Shows that have begun by `now`, neither they nor their event deleted: the ones people attend."""
    return {
        s.id: s
        for e in world.events
        if e.deleted_at is None
        for s in e.shows
        if s.deleted_at is None and s.start <= now
    }


def generate_orders(rng: random.Random, world: World, n_orders: int) -> list[Order]:
    pairs = [(e, s) for e in world.events for s in e.shows]
    weights = [3.0 if s.start > world.anchor else 1.0 for _, s in pairs]
    midnights = {e.city.timezone: local_midnight(e.city.timezone, world.anchor) for e in world.events}
    drafts: list[tuple[int, int, Event, Show]] = []
    for k, (event, show) in enumerate(rng.choices(pairs, weights=weights, k=n_orders)):
        created = sale_time(rng, event, show, world.anchor, midnights[event.city.timezone])
        if created is not None:
            drafts.append((created, k, event, show))
    drafts.sort(key=lambda d: (d[0], d[1]))
    factory = order_factory(rng, world, 1_600_000, 12_500_000)
    orders: list[Order] = []
    for created, _, event, show in drafts:
        order = factory.create(event, show, created, pick_plan(rng), world.anchor)
        if order is not None:
            orders.append(order)
    scan_history(rng, orders, started_live_shows(world, world.anchor), world.anchor)
    return orders
