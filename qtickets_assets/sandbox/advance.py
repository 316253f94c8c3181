"""Moving the world to "now": new sales, refunds, cancellations and entrance scans, seats kept consistent."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from qtickets_assets.sandbox.catalog import CITIES
from qtickets_assets.sandbox.generate_orders import order_factory
from qtickets_assets.sandbox.lifecycle import cancel, refund, refund_deduction, restore, scan, scannable
from qtickets_assets.sandbox.model import Basket, Order, SeatSpec, Show, World, seat_free
from qtickets_assets.sandbox.render import msk
from qtickets_assets.sandbox.sales import hold, release


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
    """Valid tickets not used yet (a scanned ticket is not taken back)."""
    candidates = [(o, b) for o in world.orders for b in o.baskets if scannable(o, b)]
    chosen = rng.sample(candidates, k=min(n, len(candidates)))
    for order, basket in chosen:
        release(world.shows_by_id[basket.show_id], order, basket)
        refund(order, basket, now, refund_deduction(rng, basket.price))
    return sorted(b.id for _, b in chosen)


def cancel_orders(world: World, rng: random.Random, n: int, now: int) -> list[int]:
    """Live orders none of whose tickets was scanned."""
    candidates = [
        o for o in world.orders if o.deleted_at is None and all(b.checked_at is None for b in o.baskets)
    ]
    chosen: list[Order] = rng.sample(candidates, k=min(n, len(candidates)))
    for order in chosen:
        for basket in order.baskets:
            release(world.shows_by_id[basket.show_id], order, basket)
        cancel(order, now)
    return sorted(o.id for o in chosen)


def _taken_back(order: Order) -> list[Basket]:
    """The tickets a cancelled order's cancellation took back (stamped with the order's deletion;
    a ticket cancelled on its own before stays cancelled)."""
    return [b for b in order.baskets if b.deleted_at == order.deleted_at]


def _restorable(world: World, order: Order, now: int, seats: dict[int, dict[str, SeatSpec]]) -> bool:
    """A paid order cancelled with tickets not refunded, whose shows are live and to come and whose
    seats are still free (`seats`: each venue's seats by root id, filled as venues come up)."""
    if order.deleted_at is None or not order.payed:
        return False
    needed: dict[tuple[int, str], int] = {}
    for basket in _taken_back(order):
        if basket.refunded_at is None:
            key = (basket.show_id, basket.seat_root_id)
            needed[key] = needed.get(key, 0) + basket.quantity
    for (show_id, root_id), quantity in needed.items():
        show = world.shows_by_id[show_id]
        event = world.events_by_id[show.event_id]
        if show.deleted_at is not None or event.deleted_at is not None or show.start <= now:
            return False
        layout = event.venue.layout
        if layout.scheme_id not in seats:
            seats[layout.scheme_id] = {seat.root_id: seat for zone in layout.zones for seat in zone.seats}
        if seat_free(show, seats[layout.scheme_id][root_id]) < quantity:
            return False
    return bool(needed)


def restore_orders(world: World, rng: random.Random, n: int, now: int) -> list[int]:
    """Paid orders cancelled and restored (POST /orders/{id}/restore: `deleted_at` null again),
    as an organiser undoing a cancellation made by mistake; their tickets hold their seats again."""
    seats: dict[int, dict[str, SeatSpec]] = {}
    candidates = [o for o in world.orders if _restorable(world, o, now, seats)]
    chosen: list[Order] = rng.sample(candidates, k=min(max(n, 0), len(candidates)))
    for order in chosen:
        baskets = _taken_back(order)
        restore(order, baskets, now)
        for show_id in sorted({b.show_id for b in baskets}):
            hold(world.shows_by_id[show_id], order, baskets)
    return sorted(o.id for o in chosen)


def scan_baskets(world: World, rng: random.Random, n: int, now: int) -> list[int]:
    """Valid unscanned tickets of live shows that have started; short of those, of the soonest shows."""
    candidates: list[tuple[Order, Basket, Show]] = []
    for order in world.orders:
        for basket in order.baskets:
            show = world.shows_by_id[basket.show_id]
            live = show.deleted_at is None and world.events_by_id[show.event_id].deleted_at is None
            if live and scannable(order, basket):
                candidates.append((order, basket, show))
    started = [c for c in candidates if c[2].start <= now]
    chosen = rng.sample(started, k=min(max(n, 0), len(started)))
    if len(chosen) < n:
        upcoming = sorted((c for c in candidates if c[2].start > now), key=lambda c: (c[2].start, c[1].id))
        chosen += upcoming[: n - len(chosen)]
    for order, basket, _ in chosen:
        scan(order, basket, now)
    return sorted(b.id for _, b, _ in chosen)


def drop_baskets(world: World, rng: random.Random, n: int, now: int) -> list[int]:
    """Take tickets out of their orders, as an organiser's edit or an exchange might if the API
    dropped a basket from the order's list instead of flagging it deleted (a reading the notes do
    not support, which the loader must survive): unscanned, not refunded tickets of live orders that
    keep at least one other; the seat is freed and the order counts as changed at `now`."""
    if n <= 0:
        return []  # draws nothing: a replayed world without such steps stays the same
    candidates = [
        (o, b)
        for o in world.orders
        if o.deleted_at is None and len(o.baskets) > 1
        for b in o.baskets
        if b.deleted_at is None and b.refunded_at is None and b.checked_at is None
    ]
    chosen: list[tuple[Order, Basket]] = []
    for order, basket in rng.sample(candidates, k=len(candidates)):
        if len(chosen) == n:
            break
        if len(order.baskets) > 1:  # one ticket taken from an order at most per step's pick
            release(world.shows_by_id[basket.show_id], order, basket)
            order.baskets.remove(basket)
            order.updated_at = now
            chosen.append((order, basket))
    return sorted(b.id for _, b in chosen)


def keeping_updated_at(world: World, change: Callable[[], list[int]]) -> list[int]:
    """`change()`, with every order's and basket's updated_at put back afterwards: an API whose
    refunds, cancellations and scans do not move updated_at, so an incremental crawl by updated_at
    misses them."""
    before = [
        (order, order.updated_at, [basket.updated_at for basket in order.baskets]) for order in world.orders
    ]
    changed = change()
    for order, updated_at, basket_updates in before:
        order.updated_at = updated_at
        for basket, basket_updated_at in zip(order.baskets, basket_updates, strict=True):
            basket.updated_at = basket_updated_at
    return changed


DAY = 86_400


def postpone_shows(world: World, show_ids: list[int], days: int, now: int) -> list[int]:
    """Move each show (start and finish) `days` later, as an organiser postponing it does; the
    show and its event count as changed at `now`."""
    for show_id in show_ids:
        show = world.shows_by_id[show_id]
        show.start += days * DAY
        show.finish += days * DAY
        show.updated_at = now
        world.events_by_id[show.event_id].updated_at = now
    return sorted(show_ids)


def move_events(world: World, event_ids: list[int], now: int) -> list[dict[str, Any]]:
    """Move each event to the catalog's city farthest from its own in time zone, as an organiser
    correcting an event's city does: its tickets' calendar days change (up to a day). The event
    counts as changed at `now`."""
    moved = []
    for event_id in event_ids:
        event = world.events_by_id[event_id]
        own = _offset(event.city.timezone, now)
        event.city = max(CITIES, key=lambda city: abs(_offset(city.timezone, now) - own))
        event.updated_at = now
        moved.append({"event_id": event_id, "city": event.city.name, "timezone": event.city.timezone})
    return moved


def _offset(zone: str, at: int) -> float:
    """Hours ahead of UTC in `zone` at `at`."""
    return datetime.fromtimestamp(at, ZoneInfo(zone)).utcoffset().total_seconds() / 3600  # type: ignore[union-attr]


def advance(
    world: World,
    new_orders: int = 0,
    refunds: int = 0,
    cancellations: int = 0,
    scans: int = 0,
    restorations: int = 0,
    seed: int = 0,
    now: int | None = None,
    touch_updated_at: bool = True,
    postpone_show_ids: list[int] | None = None,
    postpone_days: int = 14,
    move_event_ids: list[int] | None = None,
    dropped_baskets: int = 0,
) -> dict[str, Any]:
    """Mutate the world at `now` (default: the wall clock) and say what changed. With
    `touch_updated_at=False`, refunds, cancellations and scans leave updated_at as it was (new
    orders still carry theirs): what only a full re-read of the orders sees. `restorations`
    restores paid orders cancelled before this step. The shows of `postpone_show_ids` move
    `postpone_days` later; the events of `move_event_ids` move to the city farthest in time zone.
    `dropped_baskets` tickets are taken out of their orders' lists (not flagged deleted)."""
    with world.lock:
        at = clock(world, now)
        rng = random.Random(f"advance:{world.seed}:{seed}:{world.version}")
        silently: Callable[[Callable[[], list[int]]], list[int]] = (
            (lambda change: change())
            if touch_updated_at
            else (lambda change: keeping_updated_at(world, change))
        )
        # Restorations first, so they restore only orders cancelled in an earlier step; refunds,
        # cancellations and scans before the new orders, so they never pick the orders created in
        # this same step; scans after the other two, so a ticket taken back in this step is not scanned.
        restored = silently(lambda: restore_orders(world, rng, restorations, at))
        refunded = silently(lambda: refund_baskets(world, rng, refunds, at))
        cancelled = silently(lambda: cancel_orders(world, rng, cancellations, at))
        scanned = silently(lambda: scan_baskets(world, rng, scans, at))
        dropped = drop_baskets(world, rng, dropped_baskets, at)
        added = add_orders(world, rng, new_orders, at)
        postponed = postpone_shows(world, postpone_show_ids or [], postpone_days, at)
        moved = move_events(world, move_event_ids or [], at)
        world.now = at
        world.version += 1
        world.reindex()
        return {
            "now": msk(at),
            "new_order_ids": added,
            "refunded_basket_ids": refunded,
            "cancelled_order_ids": cancelled,
            "scanned_basket_ids": scanned,
            "restored_order_ids": restored,
            "postponed_show_ids": postponed,
            "moved_events": moved,
            "dropped_basket_ids": dropped,
            "version": world.version,
        }
