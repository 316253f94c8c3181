"""Moving the world to "now": new sales, refunds and cancellations, with seats kept consistent."""

from __future__ import annotations

import random
import time
from typing import Any

from qtickets_assets.sandbox.generate_orders import order_factory
from qtickets_assets.sandbox.model import Order, World, holds_seat
from qtickets_assets.sandbox.render import msk
from qtickets_assets.sandbox.sales import cancel, refund, release


def clock(world: World, now: int | None) -> int:
    """Never after the wall clock, never before the world's own clock."""
    wall = int(time.time())
    wanted = wall if now is None else min(int(now), wall)
    return max(wanted, world.now)


def add_orders(world: World, rng: random.Random, n: int, now: int) -> list[int]:
    """Paid orders for shows still on sale; ids continue above the current maximum."""
    on_sale = [
        (e, s)
        for e in world.events
        if e.deleted_at is None
        for s in e.shows
        if s.deleted_at is None and s.start > now
    ]
    if not on_sale or n <= 0:
        return []
    last_basket = max((b.id for o in world.orders for b in o.baskets), default=12_500_000)
    factory = order_factory(rng, world, world.orders[-1].id if world.orders else 1_600_000, last_basket)
    created: list[int] = []
    for _ in range(n * 4):
        if len(created) == n:
            break
        event, show = rng.choice(on_sale)
        order = factory.create(event, show, now, "paid", now)
        if order is not None:
            world.orders.append(order)
            created.append(order.id)
    return created


def refund_baskets(world: World, rng: random.Random, n: int, now: int) -> list[int]:
    candidates = [(o, b) for o in world.orders if o.payed for b in o.baskets if holds_seat(o, b)]
    chosen = rng.sample(candidates, k=min(n, len(candidates)))
    for order, basket in chosen:
        release(world.shows_by_id[basket.show_id], order, basket)
        refund(order, basket, now)
    return sorted(b.id for _, b in chosen)


def cancel_orders(world: World, rng: random.Random, n: int, now: int) -> list[int]:
    candidates = [o for o in world.orders if o.deleted_at is None]
    chosen: list[Order] = rng.sample(candidates, k=min(n, len(candidates)))
    for order in chosen:
        for basket in order.baskets:
            release(world.shows_by_id[basket.show_id], order, basket)
        cancel(order, now)
    return sorted(o.id for o in chosen)


def advance(
    world: World,
    new_orders: int = 0,
    refunds: int = 0,
    cancellations: int = 0,
    seed: int = 0,
    now: int | None = None,
) -> dict[str, Any]:
    """Mutate the world at `now` (default: the wall clock) and say what changed."""
    with world.lock:
        at = clock(world, now)
        rng = random.Random(f"advance:{world.seed}:{seed}:{world.version}")
        # Refunds and cancellations first, so they never pick the orders created in this same step.
        refunded = refund_baskets(world, rng, refunds, at)
        cancelled = cancel_orders(world, rng, cancellations, at)
        added = add_orders(world, rng, new_orders, at)
        world.now = at
        world.version += 1
        world.reindex()
        return {
            "now": msk(at),
            "new_order_ids": added,
            "refunded_basket_ids": refunded,
            "cancelled_order_ids": cancelled,
            "version": world.version,
        }
