from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from decimal import Decimal

import orjson
import pytest

from qtickets_assets.lib.qtickets.errors import QticketsPayloadError
from qtickets_assets.lib.qtickets.models import Event, Order, parse_record

from .fakes import raw_basket, raw_event, raw_order


def test_order_with_php_isms_parses_to_typed_utc_values() -> None:
    raw = raw_order(
        1652749,
        payed="1",
        utm={"utm_source": "vk", "utm_medium": "posty", "utm_campaign": 62384014, "utm_term": "кубики"},
        baskets=[raw_basket(1, price="294.5", quantity="2", refunded_at="")],
    )
    order = parse_record(Order, orjson.loads(orjson.dumps(raw)))
    assert order.payed is True
    assert order.payed_at == datetime(2025, 11, 20, 11, 5, 11, tzinfo=UTC)
    assert (order.utm.source, order.utm.medium, order.utm.campaign) == ("vk", "posty", "62384014")
    basket = order.baskets[0]
    assert (basket.price, basket.quantity, basket.refunded_at) == (Decimal("294.50"), 2, None)


def test_empty_maps_as_lists_and_strings_mean_empty() -> None:
    order = parse_record(Order, raw_order(3, utm=[], custom="", payed=0))
    assert (order.utm.source, order.utm.medium, order.utm.campaign, order.payed) == (None, None, None, False)


def test_money_keeps_the_decimal_text_not_the_float() -> None:
    # orjson gives 0.1 + 0.2 style floats; Decimal(float) would be 1222.029999...
    order = parse_record(
        Order,
        orjson.loads(
            b'{"id":1,"event_id":2,"payed":true,"currency_id":"RUB",'
            b'"created_at":"2025-11-20T14:03:40+03:00",'
            b'"updated_at":"2025-11-20T14:03:40+03:00",'
            b'"baskets":[{"id":5,"show_id":6,"price":1222.03,"quantity":1,'
            b'"created_at":"2025-11-20T14:03:40+03:00"}]}'
        ),
    )
    assert order.baskets[0].price == Decimal("1222.03")
    assert str(order.baskets[0].price) == "1222.03"


def test_no_personal_data_is_kept() -> None:
    order = parse_record(Order, raw_order(1))
    dumped = orjson.dumps(order.model_dump(mode="json")).decode()
    for personal in ("buyer@example.org", "+79990000000", "Анна", "220220"):
        assert personal not in dumped
    assert not {"client", "payment_card_number"} & set(Order.model_fields)


def test_event_city_is_an_object_and_a_localised_name_takes_russian() -> None:
    event = parse_record(Event, raw_event(51012, name={"en": "Dinosaurs", "ru": "Динозавры"}, is_active="0"))
    assert (event.name, event.is_active) == ("Динозавры", False)
    assert event.city is not None
    assert (event.city.id, event.city.name, event.city.timezone) == (24, "Томск", "Asia/Krasnoyarsk")
    assert parse_record(Event, raw_event(1, name={"en": "Only English"})).name == "Only English"


def test_a_mistyped_basket_field_names_order_id_and_path() -> None:
    raw = raw_order(1652749, baskets=[raw_basket(1), raw_basket(2), raw_basket(3, price="free")])
    with pytest.raises(QticketsPayloadError) as err:
        parse_record(Order, raw)
    assert (
        str(err.value)
        == "Order 1652749: field baskets[2].price: Value error, not an amount: got a text of 4 characters"
    )


def test_a_rejected_value_is_described_never_quoted() -> None:
    """A field in the wrong place may hold a buyer's e-mail, phone or name: the message (which
    reaches logs and the run's event log) says what the value looks like, not what it is."""
    personal = {"payed": "ivan.petrov@mail.ru", "created_at": "+79161234567"}
    raw = raw_order(1600001, **personal, baskets=[raw_basket(1, price="Иван Петров")])
    with pytest.raises(QticketsPayloadError) as err:
        parse_record(Order, raw)
    message = str(err.value)
    assert (
        "field payed: Value error, not a flag (bool, 0/1 or '0'/'1'): got a text of 19 characters" in message
    )
    assert "field baskets[0].price: Value error, not an amount: got a text of 11 characters" in message
    assert not {"ivan", "7916", "Иван"} & set(
        re.findall(r"\w+", message) + [message[i : i + 4] for i in range(len(message))]
    )


def test_lists_sent_as_php_maps_and_empty_objects_as_php_arrays_are_read() -> None:
    """A PHP array filtered without array_values() is encoded as a map keyed by index; an empty
    object as [] and an absent id as "": each stopped the whole crawl."""
    order = parse_record(
        Order,
        raw_order(7, baskets={"0": raw_basket(70), "2": raw_basket(72)}, discount_id="", promo_code_id=""),
    )
    assert [b.id for b in order.baskets] == [70, 72]
    assert (order.discount_id, order.promo_code_id) == (None, None)
    show = {"id": 9, "is_active": 1, "start_date": "2025-12-01T19:00:00+03:00"}
    event = parse_record(Event, raw_event(5, city=[], city_id="", shows={"1": show}))
    assert (event.city, event.city_id, [s.id for s in event.shows]) == (None, None, [9])


def test_an_order_whose_baskets_are_null_is_refused_not_read_as_ticketless() -> None:
    with pytest.raises(QticketsPayloadError, match=r"^Order 9: field baskets: Input should be a valid list"):
        parse_record(Order, raw_order(9, baskets=None))


def test_a_missing_required_field_is_named() -> None:
    raw = raw_event(24089)
    del raw["is_active"]
    with pytest.raises(QticketsPayloadError, match=r"^Event 24089: field is_active: Field required$"):
        parse_record(Event, raw)


def test_error_messages_do_not_echo_the_records_they_reject() -> None:
    # pydantic's own message would print the whole rejected basket, buyer's e-mail and phone included
    raw = raw_order(9, baskets="buyer@example.org, +79990000000")
    with pytest.raises(QticketsPayloadError) as err:
        parse_record(Order, raw)
    assert str(err.value) == "Order 9: field baskets: Input should be a valid list"
    assert err.value.__cause__ is None and err.value.__suppress_context__
    assert "buyer" not in str(err.value)


def test_unknown_fields_are_logged_once_by_name(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="qtickets_assets.lib.qtickets.models")
    parse_record(Event, raw_event(1, brand_new_field=1, age="0+", poster={"id": 1}))
    parse_record(Event, raw_event(2, brand_new_field=2))
    lines = [r.getMessage() for r in caplog.records if r.name.endswith("models")]
    # Documented fields the mart does not use (age, poster) are dropped silently; only new ones show.
    assert lines == ["Qtickets Event has a new field the client does not know: brand_new_field"]
