"""The native orders reading (msgspec) against the validated one (pydantic): the same orders for
every page the sandbox serves, and for anything else the validated reading's result or message."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from qtickets_assets.lib import order_flags, tickets
from qtickets_assets.lib.orders import spool_tickets
from qtickets_assets.lib.qtickets.errors import QticketsPayloadError
from qtickets_assets.lib.qtickets.fields import to_money, to_optional_utc
from qtickets_assets.lib.qtickets.filters import Where
from qtickets_assets.lib.qtickets.models import Order, parse_record
from qtickets_assets.lib.qtickets.native import (
    NativeBasket,
    NativeOrder,
    NativeUtm,
    decode_order_page,
    native_order,
)
from qtickets_assets.sandbox.api import Api
from qtickets_assets.sandbox.generate import generate_world

from .fakes import FakeApi, make_client, raw_basket, raw_order

ORDER_FIELDS = (
    "id", "event_id", "payed", "created_at", "updated_at", "payed_at", "deleted_at", "currency_id",
    "price", "discount_id", "promo_code_id", "payment_type_id",
)  # fmt: skip
BASKET_TIMES = {"created_at", "updated_at", "deleted_at", "refunded_at", "checked_at"}
BASKET_AMOUNTS = {"price", "original_price", "discount_value", "service_fee_amount", "refunded_amount"}


def as_validated(basket: NativeBasket) -> dict[str, Any]:
    """A native basket's fields read as the validated path types them (UTC datetimes, Decimals)."""
    values = {}
    for name in NativeBasket.__struct_fields__:
        value = getattr(basket, name)
        if name in BASKET_TIMES:
            value = to_optional_utc(value)
        elif name in BASKET_AMOUNTS and value is not None:
            value = to_money(value)
        elif name == "refunds":  # kept as sent; the validated path keeps whether it holds anything
            value = bool(value)
        values[name] = value
    return values


def assert_same_order(native: NativeOrder, order: Order) -> None:
    """Field for field, in the validated path's types: the order, its utm and site, each basket."""
    assert {f: getattr(native, f) for f in ORDER_FIELDS} == {f: getattr(order, f) for f in ORDER_FIELDS}
    assert native.utm == NativeUtm(**order.utm.model_dump())
    assert native.site_host == (order.site.host if order.site else None)
    assert bool(native.refunds) == order.refunds
    assert len(native.baskets) == len(order.baskets)
    for basket, validated in zip(native.baskets, order.baskets, strict=True):
        names = NativeBasket.__struct_fields__
        assert as_validated(basket) == {name: getattr(validated, name) for name in names}


def page_body(orders: list[dict[str, Any]], page: int = 2) -> bytes:
    return orjson.dumps({"data": orders, "paging": {"perPage": 50, "currentPage": page, "total": 100}})


@pytest.mark.parametrize(("size", "pages"), [("small", 30), ("medium", 400)])
def test_every_sandbox_order_reads_natively_as_the_validated_path_reads_it(size: str, pages: int) -> None:
    world = generate_world(size, 1)
    api = Api(world)
    read = 0
    for number in range(1, pages + 1):
        body = api.handle("/orders", {}, {"orderBy": {"id": "asc"}, "page": number}).body
        native = decode_order_page(body)
        assert native is not None, f"page {number} of the {size} world fell back to validation"
        validated = [parse_record(Order, raw) for raw in orjson.loads(body)["data"]]
        assert len(native.data) == len(validated)
        for fast, order in zip(native.data, validated, strict=True):
            assert_same_order(fast, order)
        # What the mart gets from both: the tickets and the price check.
        assert tickets.tickets_table(native.data).equals(tickets.tickets_table(validated))
        assert order_flags.price_mismatches(native.data) == order_flags.price_mismatches(validated)
        assert order_flags.refunds_unread(native.data) == order_flags.refunds_unread(validated) == 0
        read += len(native.data)
    assert read == len(world.orders)


def mutated(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    order = raw_order(7, baskets=[raw_basket(70), raw_basket(71, price=294.5)])
    order = copy.deepcopy(order)
    change(order)
    return order


def basket(index: int, **values: Any) -> Callable[[dict[str, Any]], None]:
    return lambda order: order["baskets"][index].update(values)


def field(**values: Any) -> Callable[[dict[str, Any]], None]:
    return lambda order: order.update(values)


# Forms the validated path reads and the native one leaves to it (the page falls back).
PHP_ISMS = {
    "flag as text": field(payed="1"),
    "flag as 0/1": field(payed=0),
    "id as text": field(id="7"),
    "quantity as text": basket(0, quantity="2"),
    "amount as text": basket(1, price="294.50"),
    "amount off the kopeck": basket(1, price=1.005),  # rounded half up to 1.01
    "empty text for null time": basket(0, refunded_at=""),
    "time with a space": basket(0, created_at="2025-11-20 14:03:01+03:00"),
    "time without offset": basket(0, created_at="2025-11-20T14:03:01"),
    "time with a fraction": basket(0, created_at="2025-11-20T14:03:01.999999+03:00"),
    "utm value as number": field(utm={"utm_campaign": 62384014}),
    "utm by field name": field(utm={"source": "vk"}),
    "time with a lower-case t": basket(0, created_at="2025-11-20t14:03:01+03:00"),
    "discount id as text": field(discount_id="6861"),
    "discount id as empty text": field(discount_id="", promo_code_id=""),
    # an array filtered without array_values: PHP encodes it {"0": …, "2": …}
    "baskets as a map keyed by index": lambda order: order.update(
        baskets={"0": order["baskets"][0], "2": order["baskets"][1]}
    ),
}
# Forms the native reading takes as they are.
PLAIN = {
    "as sent": field(),
    "utm as PHP's []": field(utm=[]),
    "utm as empty text": field(utm=""),
    "site as empty text": field(site=""),
    "site as empty map": field(site={}),
    "site as PHP's []": field(site=[]),
    "time in UTC": basket(0, created_at="2025-11-20T11:03:01Z"),
    "amount as whole rubles": basket(1, price=294),
    "a new field": field(brand_new_field={"x": 1}),
}


@pytest.mark.parametrize("change", PHP_ISMS.values(), ids=PHP_ISMS.keys())
def test_php_isms_fall_back_to_the_validated_reading(change: Callable[[dict[str, Any]], None]) -> None:
    raw = mutated(change)
    assert decode_order_page(page_body([raw])) is None
    api = FakeApi(orders=[raw_order(1), raw])
    api.per_page["orders"] = 1  # the mutated order is on page 2: page 1 is always validated
    with make_client(api) as client:
        native = [order for page in client.iter_native_order_pages() for order in page]
        validated = [order for page in client.iter_order_pages() for order in page]
    assert native == [native_order(order) for order in validated]
    assert tickets.tickets_table(native).equals(tickets.tickets_table(validated))


# 14:05:11 in Moscow is 11:05:11 UTC.
MOSCOW_TEXT, UTC_INSTANT = "2025-11-20T14:05:11", datetime(2025, 11, 20, 11, 5, 11, tzinfo=UTC)


def test_a_time_without_offset_is_a_moscow_time_on_every_page() -> None:
    """A time the API sends without an offset is read as Moscow time, the zone it stamps every time
    in: read as UTC it would move every such payment three hours later, and some onto the next day."""
    orders = [
        raw_order(i, payed=True, payed_at=MOSCOW_TEXT, baskets=[raw_basket(i * 10, created_at=MOSCOW_TEXT)])
        for i in (1, 2)
    ]
    api = FakeApi(orders=orders)
    # One order a page: page 1 is always read the validated way, page 2 the native reading gives up.
    api.per_page["orders"] = 1
    with make_client(api) as client:
        crawled = [order for page in client.iter_native_order_pages() for order in page]

    rows = tickets.tickets_table(crawled).select(["order_id", "created_at", "paid_at"]).to_pylist()

    assert rows == [{"order_id": i, "created_at": UTC_INSTANT, "paid_at": UTC_INSTANT} for i in (1, 2)]


@pytest.mark.parametrize("change", PLAIN.values(), ids=PLAIN.keys())
def test_plain_forms_read_natively_as_validated(change: Callable[[dict[str, Any]], None]) -> None:
    raw = mutated(change)
    native = decode_order_page(page_body([raw]))
    assert native is not None
    assert_same_order(native.data[0], parse_record(Order, raw))


# Records both readings refuse, and the validated reading's message for each.
REFUSED = {
    "amount as a word": (
        basket(1, price="free"),
        "baskets[1].price: Value error, not an amount: got a text of 4 characters",
    ),
    "amount too large": (
        basket(0, price=10**10),
        "baskets[0].price: Value error, amount out of range: got an int of 11 digits",
    ),
    "no creation time": (
        lambda order: order["baskets"][0].pop("created_at"),
        "baskets[0].created_at: Field required",
    ),
    "flag as a word": (
        field(payed="maybe"),
        "payed: Value error, not a flag (bool, 0/1 or '0'/'1'): got a text of 5 characters",
    ),
    "no such day": (
        basket(0, created_at="2025-02-30T14:03:01+03:00"),
        "baskets[0].created_at: Value error, not an ISO 8601 timestamp: got a text of 25 characters",
    ),
}


@pytest.mark.parametrize(("change", "field_message"), REFUSED.values(), ids=REFUSED.keys())
def test_a_bad_record_is_named_as_the_validated_path_names_it(
    change: Callable[[dict[str, Any]], None], field_message: str
) -> None:
    message = f"Order 7: field {field_message}"
    raw = mutated(change)
    assert decode_order_page(page_body([raw])) is None
    with pytest.raises(QticketsPayloadError) as validated:
        parse_record(Order, raw)
    assert str(validated.value) == message
    api = FakeApi(orders=[raw_order(1), raw])
    api.per_page["orders"] = 1
    with make_client(api) as client, pytest.raises(QticketsPayloadError) as crawled:
        list(client.iter_native_order_pages())
    assert str(crawled.value) == message


def test_a_refusal_sent_with_200_and_data_is_not_read_as_orders() -> None:
    body = orjson.dumps(
        {
            "status": "error",
            "code": "WRONG_AUTHORIZATION",
            "data": [],
            "paging": {"perPage": 1, "currentPage": 1, "total": 0},
        }
    )
    assert decode_order_page(body) is None


def test_the_documented_orders_answer_reads_natively() -> None:
    """docs/qtickets-api.md §3.3, the shape the captures show, is read natively as validated."""
    doc = (Path(__file__).parents[2] / "docs" / "qtickets-api.md").read_text(encoding="utf-8")
    section = doc[doc.index("### 3.3 `GET /orders`") :]
    start = section.index("```json") + len("```json")
    body = section[start : section.index("```", start)]
    native = decode_order_page(body.encode())
    assert native is not None and native.paging.total == 101
    [order] = native.data
    assert_same_order(order, parse_record(Order, orjson.loads(body)["data"][0]))
    assert (order.utm.campaign, order.site_host, str(order.price)) == (
        "anons2",
        "dino-show.example",
        "882.00",
    )


def test_natively_read_orders_are_filtered_as_validated_ones() -> None:
    orders = [raw_order(i, price=100 * i, baskets=[raw_basket(10 * i, price=100 * i)]) for i in range(1, 121)]
    api = FakeApi(orders=orders, honour_filters=False)  # every clause is re-checked by the client
    clauses = [
        [Where("updated_at", ">=", "2025-11-20T10:00:00+03:00")],
        [Where("price", ">", "5000"), Where("payed", "=", 1)],
        [Where("deleted_at", "null"), Where("id", "<=", 77)],
    ]
    with make_client(api) as client:
        for where in clauses:
            # Pages are handed on as they arrive: compare the sets of orders.
            native = sorted(o.id for page in client.iter_native_order_pages(where) for o in page)
            validated = sorted(o.id for page in client.iter_order_pages(where) for o in page)
            assert native == validated and 0 < len(native) < len(orders), where
        with pytest.raises(ValueError, match="natively read orders cannot be filtered on utm"):
            client.iter_native_order_pages([Where("utm", "null")])


def test_a_refund_only_a_refunds_list_shows_is_counted_on_either_reading(caplog) -> None:
    """No sample has a `refunds` entry and its shape is unknown; the mart reads refunds from the
    baskets' refunded_at. An order whose `refunds` (its own or a basket's) holds an entry while no
    basket is refunded would be stored as sold without a word: it is counted, natively and the
    validated way (page 1 of a crawl), so that revenue_reconciles warns."""
    entry = [{"amount": 501, "created_at": "2025-11-22T10:00:00+03:00"}]
    refunded = {"refunded_at": "2025-11-22T10:00:00+03:00", "refunded_amount": 501, "refunds": entry}
    gone = "2025-11-22T11:00:00+03:00"
    orders = [
        raw_order(3, baskets=[raw_basket(30, refunds=entry)]),  # page 1: read the validated way
        raw_order(4, baskets=[raw_basket(40, refunds=entry)]),
        raw_order(5, refunds=entry),  # only the order's own list
        raw_order(6, baskets=[raw_basket(60, **refunded), raw_basket(61, refunds=entry)]),  # 61 unread
        raw_order(7, refunds=entry, baskets=[raw_basket(70, **refunded)]),  # read: a refunded ticket
        raw_order(8, refunds={}),  # PHP's empty map holds nothing
        raw_order(9, deleted_at=gone, baskets=[raw_basket(90, refunds=entry)]),  # cancelled: not sold
        raw_order(10, baskets=[raw_basket(100, refunds=entry, deleted_at=gone)]),  # a deleted ticket
        raw_order(11),
    ]
    counted = [1, 1, 1, 1, 0, 0, 0, 0, 0]
    api = FakeApi(orders=orders)
    api.per_page["orders"] = 1
    with make_client(api) as client:
        pages = sorted(client.iter_native_order_pages(), key=lambda page: page[0].id)  # as they came
    assert [type(page[0]).__name__ for page in pages] == ["NativeOrder"] * len(orders)
    assert [order_flags.refunds_unread(page) for page in pages] == counted
    caplog.clear()
    assert spool_tickets(pages).refunds_unread == 4
    assert "4 orders have an entry in a refunds list but no ticket refunded (ids 3, 4, 5, 6)" in caplog.text
    validated = [parse_record(Order, order) for order in orders]
    assert [order_flags.refunds_unread([order]) for order in validated] == counted
