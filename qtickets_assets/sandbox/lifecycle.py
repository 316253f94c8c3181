"""What happens to an order after it is placed: cancelled, restored, a ticket refunded (some keep
~10% back), a ticket scanned at the entrance. Each change stamps updated_at, as the API's does.

Shared by the generator (history) and by `advance` (the present), so both obey the same rules."""

from __future__ import annotations

import random
from collections.abc import Iterable

from qtickets_assets.sandbox.model import Basket, Order, Show, holds_seat

HOUR = 3600
DEDUCTION_SHARE = 0.2  # refunds that keep ~10% back
SCAN_SHARE = 0.8  # paid, seat-holding tickets of started shows that were scanned at the door


def cancel(order: Order, at: int) -> None:
    order.deleted_at = order.updated_at = at
    for basket in order.baskets:
        if basket.deleted_at is None:
            basket.deleted_at = basket.updated_at = at


def restore(order: Order, baskets: Iterable[Basket], at: int) -> None:
    """Undo a cancellation: the order and `baskets` (those it took back) live again, stamped `at`
    (call `hold` afterwards: the seats are taken again)."""
    order.deleted_at = None
    order.updated_at = at
    for basket in baskets:
        basket.deleted_at = None
        basket.updated_at = at


def refund_deduction(rng: random.Random, price: int) -> int:
    """Most refunds give the whole price back; some keep ~10% (a late return), to the kopeck."""
    return (price + 5) // 10 if rng.random() < DEDUCTION_SHARE else 0


def refund(order: Order, basket: Basket, at: int, deduction: int = 0) -> None:
    basket.refunded_at = basket.updated_at = order.updated_at = at
    basket.refunded_deduction = deduction
    basket.refunded_amount = basket.price - deduction
    order.refunds.append((basket.refunded_amount, at))


def scan(order: Order, basket: Basket, at: int) -> None:
    """A ticket checked at the entrance; the change shows in both updated_at, as any other does."""
    basket.checked_at = at
    basket.updated_at = max(basket.updated_at, at)
    order.updated_at = max(order.updated_at, at)


def scannable(order: Order, basket: Basket) -> bool:
    """A valid ticket not used yet: paid, holding its seat, not scanned."""
    return order.payed and basket.checked_at is None and holds_seat(order, basket)


def scan_history(rng: random.Random, orders: Iterable[Order], started: dict[int, Show], now: int) -> None:
    """Most valid tickets of shows that have started were scanned within an hour of the start."""
    for order in orders:
        if not order.payed or order.payed_at is None:
            continue
        for basket in order.baskets:
            show = started.get(basket.show_id)
            if show is None or not scannable(order, basket) or rng.random() >= SCAN_SHARE:
                continue
            lo = max(show.start - HOUR, order.payed_at)
            hi = min(show.start + HOUR, now)
            if lo <= hi:
                scan(order, basket, rng.randint(lo, hi))
