"""`fact_sales`: typed orders → one Arrow row per ticket (basket), named and typed like the DDL.

Built in two steps, because a ticket's calendar days depend on its event's time zone, which a
crawl of orders does not carry (orders have no city) and may learn only after the page arrived:
- `tickets_table(orders)`: every column the orders give, per block of orders
  (`orders.BLOCK_ORDERS`), straight to Arrow from the values as the wire sent them (no Decimal
  or datetime object per ticket: see bench/decode.py);
- `local_days.Calendar.with_local_dates(block)`: the `_local` dates, from each event's city zone,
  on the blocks the writer inserts.
Pure functions: no I/O, no Dagster.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from functools import cache
from operator import attrgetter
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from qtickets_assets.lib.clickhouse.convert import conform_arrow
from qtickets_assets.lib.clickhouse.ddl import TableSchema, table_schema, to_arrow_schema
from qtickets_assets.lib.contacts import without_contacts
from qtickets_assets.lib.local_days import DERIVED_COLUMNS
from qtickets_assets.lib.qtickets.models import Order
from qtickets_assets.lib.qtickets.native import (
    BASKET_AMOUNTS,
    BASKET_TIMES,
    UTC_SECONDS,
    NativeBasket,
    NativeOrder,
    native_order,
)
from qtickets_assets.lib.qtickets.rules import ticket_status

# A seat's label is "<zone>: Ряд <row>, Место <place>" (docs/qtickets-api.md, the seat map's `name`);
# a general-admission ticket's label is its zone's name.
SEAT_LABEL = re.compile(r"^(?P<zone>.+): Ряд [^,]*, Место .*$")
MONEY = pa.decimal128(12, 2)
ZERO = pa.scalar(Decimal("0.00"), MONEY)


def crawled_schema() -> TableSchema:
    """fact_sales' DDL columns but the calendar ones: what a page of orders gives on its own."""
    schema = table_schema("fact_sales")
    return TableSchema(schema.name, [c for c in schema.columns if c.name not in DERIVED_COLUMNS])


def tariff_and_zone(seat_name: str, multiprice_code: str | None) -> tuple[str, str]:
    """(tariff_name, zone_name) of a ticket. The basket names its tariff only in a multi-price zone
    (the code: its display name is on the seat map alone); a single-price zone's one tariff is the
    zone itself, e.g. "Детский билет"."""
    seat = SEAT_LABEL.match(seat_name)
    zone = seat.group("zone") if seat else seat_name
    return multiprice_code or zone, zone


def tickets_table(orders: Iterable[Order | NativeOrder]) -> pa.Table:
    """The crawled columns of every ticket of `orders` (crawled_schema()), one per basket.

    Built in Arrow from the values as the wire gave them (amounts as floats, times as ISO text):
    no Decimal or datetime object per ticket, a few Arrow calls per page rather than one per
    column and value, and the defaults and the version as Arrow kernels over whole columns.
    `orders` is a block of pages (`orders.order_blocks`): each Arrow call costs more than its rows. A
    validated Order is read as its NativeOrder."""
    page = [order if isinstance(order, NativeOrder) else native_order(order) for order in orders]
    try:  # ids and counts built straight in their columns' types (uint64, uint32)
        columns = _ticket_columns(page, pa.uint64(), pa.uint32())
    except (pa.ArrowInvalid, OverflowError):
        # A value that does not fit its column (an id of -1): the checked conversion names each one.
        return conform_arrow(pa.table(_ticket_columns(page, pa.int64(), pa.int64())), crawled_schema())
    schema = crawled_arrow_schema()
    return pa.Table.from_arrays([columns[field.name] for field in schema], schema=schema)


@cache
def crawled_arrow_schema() -> pa.Schema:
    return to_arrow_schema(crawled_schema())


def _original_price(price: pa.Array[Any], original: pa.Array[Any], value: pa.Array[Any]) -> pa.Array[Any]:
    """The price before the discount: as sent, else the price plus the discount the API states
    (the price itself when it states neither)."""
    stated: pa.Array[Any] = pc.coalesce(original, pc.add(price, value.fill_null(ZERO)).cast(MONEY))
    return stated


def _discount_amount(
    price: pa.Array[Any], original: pa.Array[Any], value: pa.Array[Any], per_order: pa.Table
) -> pa.Array[Any]:
    """What a discounted ticket was let off, `original_price - price` (the column's definition); 0
    for a ticket without a discount.

    `discount_value` equals that difference in every captured basket, but it is null on tickets
    given away with a promo code, and it is no basket total when a basket holds several places:
    a ticket counts as discounted when it has a value or its order a discount or promo code. A
    price above the original (never seen) is no discount: 0."""
    of_order = pc.or_kleene(
        pc.is_valid(per_order.column("discount_id")), pc.is_valid(per_order.column("promo_code_id"))
    )
    discounted = pc.or_kleene(pc.is_valid(value), of_order)
    off = pc.max_element_wise(pc.subtract(original, price).cast(MONEY), ZERO)
    amount: pa.Array[Any] = pc.if_else(discounted, off, ZERO)
    return amount


def _ticket_columns(page: list[NativeOrder], ids: pa.DataType, counts: pa.DataType) -> dict[str, Any]:
    """Every crawled column of the page's tickets, ids and counts built as `ids` and `counts`."""
    pairs = [(order, basket) for order in page for basket in order.baskets]
    baskets = [basket for _, basket in pairs]
    # Each ticket's order: the orders' columns are built once per order, then spread over tickets.
    owner = pa.array([i for i, order in enumerate(page) for _ in order.baskets], pa.int64())
    per_order = _order_columns(page, ids).take(owner)
    created, updated, deleted, refunded_at, checked = _times(*_fields(baskets, BASKET_TIMES))
    price, original, discount, fee, refunded = _amounts(*_fields(baskets, BASKET_AMOUNTS))
    order_updated = per_order.column("order_updated_at")
    basket_updated = pc.coalesce(updated, order_updated)
    labels = [tariff_and_zone(b.seat_name or "", b.multiprice_code) for b in baskets]
    statuses = [
        ticket_status(
            cancelled=b.deleted_at is not None or o.deleted_at_text is not None,
            refunded=b.refunded_at is not None,
            paid=o.payed,
        )
        for o, b in pairs
    ]
    columns: dict[str, Any] = {
        **{name: per_order.column(name) for name in ORDER_COLUMNS},
        "basket_id": pa.array([b.id for b in baskets], ids),
        "show_id": pa.array([b.show_id for b in baskets], ids),
        "created_at": created,
        "status": pa.array(statuses, pa.string()),
        "quantity": pa.array([b.quantity for b in baskets], counts),
        "price": price,
        # The version: the later of the order's and the basket's last change.
        "updated_at": pc.if_else(pc.greater(basket_updated, order_updated), basket_updated, order_updated),
        "original_price": (before := _original_price(price, original, discount)),
        "discount_amount": _discount_amount(price, before, discount, per_order),
        "service_fee": fee.fill_null(ZERO),
        "ticket_name": pa.array([b.seat_name or "" for b in baskets], pa.string()),
        "refunded_at": refunded_at,
        # What was paid back, for a refunded ticket only.
        "refunded_amount": pc.if_else(pc.is_valid(refunded_at), refunded.fill_null(ZERO), ZERO),
        "cancelled_at": pc.coalesce(deleted, per_order.column("order_deleted_at")),
        "checked_at": checked,
        "tariff_name": pa.array([tariff for tariff, _ in labels], pa.string()),
        "zone_name": pa.array([zone for _, zone in labels], pa.string()),
    }
    return columns


# The columns a ticket takes from its order, as `_order_columns` builds them.
ORDER_COLUMNS = (
    "order_id", "event_id", "paid_at", "currency", "utm_source", "utm_medium", "utm_campaign",
    "discount_id", "promo_code_id", "payment_type", "site_host", "utm_content", "utm_term",
)  # fmt: skip


def _order_columns(page: list[NativeOrder], ids: pa.DataType) -> pa.Table:
    """One row per order: ORDER_COLUMNS, and its own update and deletion times."""
    utms = [order.utm for order in page]
    # A paid order without a payment time (the API should not send one) is counted paid when it was
    # created: left empty, its tickets were sold on 1970-01-01 in every daily view.
    paid_at, updated_at, deleted_at = _times(
        [(order.payed_at_text or order.created_at_text) if order.payed else None for order in page],
        [order.updated_at_text for order in page],
        [order.deleted_at_text for order in page],
    )
    return pa.table(
        {
            "order_id": pa.array([order.id for order in page], ids),
            "event_id": pa.array([order.event_id for order in page], ids),
            "paid_at": paid_at,
            "currency": pa.array([order.currency_id for order in page], pa.string()),
            "utm_source": _marketing_texts([utm.source for utm in utms]),
            "utm_medium": _marketing_texts([utm.medium for utm in utms]),
            "utm_campaign": _marketing_texts([utm.campaign for utm in utms]),
            "discount_id": pa.array([order.discount_id for order in page], ids),
            "promo_code_id": pa.array([order.promo_code_id for order in page], ids),
            "payment_type": _texts([order.payment_type_id for order in page]),
            "site_host": _texts([order.site_host for order in page]),
            "utm_content": _marketing_texts([utm.content for utm in utms]),
            "utm_term": _marketing_texts([utm.term for utm in utms]),
            "order_updated_at": updated_at,
            "order_deleted_at": deleted_at,
        }
    )


def _fields(baskets: list[NativeBasket], names: tuple[str, ...]) -> list[list[Any]]:
    """The named fields of every basket, a list per field."""
    return [list(map(attrgetter(name), baskets)) for name in names]


def _times(*columns: list[str | None]) -> list[pa.Array[Any]]:
    """Columns of ISO texts as UTC instants, cast in one call (each call costs more than its values)."""
    return _split(pa.array([t for column in columns for t in column], pa.string()).cast(UTC_SECONDS), columns)


def _amounts(*columns: list[float | None]) -> list[pa.Array[Any]]:
    """Columns of amounts as Decimal(12, 2), cast in one call. Exact: every amount is whole
    kopecks (native.read_exactly), and the cast rounds a float to the nearest kopeck."""
    return _split(pa.array([a for column in columns for a in column], pa.float64()).cast(MONEY), columns)


def _split(array: pa.Array[Any], columns: tuple[list[Any], ...]) -> list[pa.Array[Any]]:
    """`array` cut back into the columns it was built from, end to end."""
    parts, start = [], 0
    for column in columns:
        parts.append(array.slice(start, len(column)))
        start += len(column)
    return parts


def _texts(values: list[str | None]) -> pa.Array[Any]:
    """Text, '' where there is none."""
    return pa.array([value or "" for value in values], pa.string())


def _marketing_texts(values: list[str | None]) -> pa.Array[Any]:
    """UTM tags as text, without the e-mails and phone numbers a mailing's merge tags put in them
    (utm_content=<subscriber's e-mail>): the mart keeps no buyer's contact."""
    return pa.array([without_contacts(value) if value else "" for value in values], pa.string())
