"""Orders the mart would read wrong if it took them at their word: a price that is not the sum of
its tickets', a refund only a `refunds` list shows. Counted per load (metadata, the
`revenue_reconciles` check) and logged, never stored."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from qtickets_assets.lib.qtickets.models import Order
from qtickets_assets.lib.qtickets.native import NativeOrder, native_order

log = logging.getLogger(__name__)


def price_mismatches(orders: Iterable[Order | NativeOrder]) -> int:
    """Orders whose price differs from the sum of their baskets' prices (the API says they agree)."""
    page = [order if isinstance(order, NativeOrder) else native_order(order) for order in orders]
    return sum(
        order.price_amount is not None
        and _kopecks(order.price_amount) != sum(_kopecks(basket.price) for basket in order.baskets)
        for order in page
    )


def refunds_unread(orders: Iterable[Order | NativeOrder]) -> int:
    """Orders, not cancelled, with a refund only a `refunds` list shows: a live basket whose list
    holds an entry while it has no refunded_at, or the order's own list holding one while none of
    its baskets is refunded. The mart reads refunds from the baskets' refunded_at (the shape of
    refunds[] is unknown: no sample has an entry), so such a ticket would count as sold. Counted,
    and the orders' ids logged, so that it is seen."""
    unread = [order.id for order in orders if _refund_unread(order)]
    if unread:
        log.warning(
            f"{len(unread)} orders have an entry in a refunds list but no ticket refunded (ids "
            f"{', '.join(map(str, unread[:10]))}{', …' if len(unread) > 10 else ''}): counted as sold"
        )
    return len(unread)


def _refund_unread(order: Order | NativeOrder) -> bool:
    if order.deleted_at is not None:  # cancelled: nothing of it counts as sold
        return False
    if any(
        basket.refunds and basket.refunded_at is None and basket.deleted_at is None
        for basket in order.baskets
    ):
        return True
    return bool(order.refunds) and all(basket.refunded_at is None for basket in order.baskets)


def _kopecks(amount: float) -> int:
    return round(amount * 100)
