"""fact_sales rows: every column from its own field, and calendar days in each event's own zone."""

from datetime import UTC, date, datetime
from decimal import Decimal

import orjson
import pyarrow as pa
import pytest

from qtickets_assets.lib import contacts, local_days, order_flags, tickets
from qtickets_assets.lib.clickhouse.ddl import table_schema
from qtickets_assets.lib.clickhouse.errors import SchemaMismatchError
from qtickets_assets.lib.orders import spool_tickets, with_local_dates
from qtickets_assets.lib.qtickets.errors import QticketsPayloadError
from qtickets_assets.lib.qtickets.models import Event, Order, parse_record
from qtickets_assets.lib.qtickets.native import decode_order_page
from qtickets_assets_tests.qtickets.fakes import raw_basket, raw_event, raw_order

VLADIVOSTOK = {"id": 68, "name": "Владивосток", "timezone": "Asia/Vladivostok"}  # UTC+10
KALININGRAD = {"id": 73, "name": "Калининград", "timezone": "Europe/Kaliningrad"}  # UTC+2


def test_sales_rows_take_currency_status_utm_and_version_from_their_real_fields() -> None:
    order = parse_record(
        Order,
        raw_order(
            7,
            currency_id="KZT",
            price=1603.03,
            utm=[],
            site=[],
            updated_at="2025-11-22T10:00:00+03:00",
            baskets=[
                raw_basket(70, price=1222.03, updated_at="2025-11-20T14:05:11+03:00"),
                raw_basket(71, price=381, refunded_at="2025-11-22T10:00:00+03:00", refunded_amount=300),
            ],
        ),
    )
    rows = tickets.tickets_table([order]).to_pandas().set_index("basket_id")
    assert rows.loc[70, "currency"] == "KZT"
    assert rows.loc[70, "price"] == rows.loc[70, "original_price"] == Decimal("1222.03")
    assert (rows.loc[70, "utm_source"], rows.loc[70, "utm_campaign"], rows.loc[70, "site_host"]) == (
        "",
        "",
        "",
    )
    assert rows.loc[70, "updated_at"] == datetime(2025, 11, 22, 7, tzinfo=UTC)
    assert (rows.loc[70, "discount_amount"], rows.loc[70, "refunded_amount"]) == (
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert rows.loc[71, "status"] == "refunded"
    assert rows.loc[71, "refunded_amount"] == Decimal("300.00")  # paid back less a deduction
    assert order_flags.price_mismatches([order]) == 0
    assert order_flags.price_mismatches([order.model_copy(update={"price": Decimal("1603.02")})]) == 1


def test_a_ticket_changed_after_its_order_carries_its_own_change_time() -> None:
    """fact_sales.updated_at ("last change of the order or the ticket") is the later of the two: a
    ticket scanned or refunded after its order last changed carries the ticket's own time."""
    order = parse_record(
        Order,
        raw_order(
            1,
            price=1002,
            updated_at="2025-11-21T10:00:00+03:00",
            baskets=[
                raw_basket(
                    10, updated_at="2025-11-24T18:01:00+03:00", checked_at="2025-11-24T18:01:00+03:00"
                ),
                raw_basket(11, updated_at="2025-11-20T14:05:11+03:00"),
            ],
        ),
    )
    rows = tickets.tickets_table([order]).select(["basket_id", "updated_at"]).to_pylist()
    assert rows == [
        {"basket_id": 10, "updated_at": datetime(2025, 11, 24, 15, 1, tzinfo=UTC)},  # the scan
        {"basket_id": 11, "updated_at": datetime(2025, 11, 21, 7, tzinfo=UTC)},  # the order's change
    ]


def test_an_amount_on_a_ticket_that_was_not_refunded_is_not_money_paid_back() -> None:
    """refunded_amount is what was paid back for a refunded ticket, 0 for any other (the column's
    comment): an amount the API leaves on a basket without `refunded_at` is no refund, and summed over
    v_sales it would show money paid back that never was."""
    order = parse_record(
        Order,
        raw_order(
            1,
            price=1002,
            baskets=[
                raw_basket(10, price=501, refunded_at=None, refunded_amount=501),
                raw_basket(11, price=501, refunded_at="2025-11-22T10:00:00+03:00", refunded_amount=450),
            ],
        ),
    )
    rows = tickets.tickets_table([order]).select(["basket_id", "status", "refunded_amount"]).to_pylist()
    assert rows == [
        {"basket_id": 10, "status": "paid", "refunded_amount": Decimal("0.00")},
        {"basket_id": 11, "status": "refunded", "refunded_amount": Decimal("450.00")},
    ]


PAYMENT_TIME = "2025-11-20T14:05:11+03:00"


def status_and_paid_at(**order: object) -> dict[str, object]:
    """The one ticket of an order with these fields: its status and paid_at."""
    parsed = parse_record(Order, raw_order(1, **order))
    [row] = tickets.tickets_table([parsed]).select(["status", "paid_at"]).to_pylist()
    return row


def test_an_unpaid_order_with_a_payment_time_is_unpaid_and_has_no_paid_at() -> None:
    """A ticket is paid when its order says `payed`, not when the order carries a payment time.

    The contract: `paid` is "the order is paid" and `paid_at` is NULL when unpaid. An order whose flag
    says unpaid must not be counted as sold, nor get a payment day, whatever its `payed_at` holds.
    """
    assert status_and_paid_at(payed=False, payed_at=PAYMENT_TIME) == {"status": "unpaid", "paid_at": None}


def test_a_paid_order_is_paid_at_its_payment_time() -> None:
    assert status_and_paid_at(payed=True, payed_at=PAYMENT_TIME) == {
        "status": "paid",
        "paid_at": datetime(2025, 11, 20, 11, 5, 11, tzinfo=UTC),
    }


def test_a_paid_order_without_a_payment_time_is_paid_when_it_was_created() -> None:
    """Left without paid_at, its tickets were counted paid on 1970-01-01 in v_sales_daily and
    v_sales_pace, with every check passing (an independent fake of the API found it)."""
    created = raw_order(1)["created_at"]
    assert status_and_paid_at(payed=True, payed_at=None) == {
        "status": "paid",
        "paid_at": datetime.fromisoformat(created).astimezone(UTC),
    }


def test_contacts_in_utm_tags_are_not_stored() -> None:
    """A mailing's merge tags put the subscriber's e-mail or phone in utm_content/utm_term; they
    were stored in fact_sales (and its preview in the run's event log)."""
    utm = {
        "utm_source": "email",
        "utm_medium": "newsletter_2025_11",
        "utm_campaign": "2025-11-20_newyear",
        "utm_content": "olga.216@example.org",
        "utm_term": "+7 (999) 812-00-23",
    }
    order = parse_record(Order, raw_order(7, utm=utm))
    [row] = (
        tickets.tickets_table([order])
        .select([f"utm_{t}" for t in ("source", "medium", "campaign", "content", "term")])
        .to_pylist()
    )
    assert row == {
        "utm_source": "email",
        "utm_medium": "newsletter_2025_11",
        "utm_campaign": "2025-11-20_newyear",
        "utm_content": "[redacted]",
        "utm_term": "[redacted]",
    }
    # an ad id (the docs' example), a time, ids, retina images' names
    kept = ["10766679603", "2025-11-20 12:30", "62384014", "vk_cpc", "banner_blue@2x.png", "hero@3x.webp"]
    assert [contacts.without_contacts(text) for text in kept] == kept
    assert contacts.without_contacts("id=olga@mail.ru&tel=8-916-123-45-67&p=+79161234567") == (
        "id=[redacted]&tel=[redacted]&p=[redacted]"
    )


# Numbers of 10, 11 and 15 digits, none anyone's: +999 is no country's code, +7 999 812 the
# project's usual example.
PHONES = ("+999 123 4567", "+7 (999) 812-00-23", "+999 1234 5678 9012")


def test_phones_of_ten_to_fifteen_digits_are_redacted_from_utm_tags() -> None:
    """A phone number a mailing's merge tag put in a UTM tag is not stored, however few its digits:
    an international number written with "+" has 10 to 15 digits (some countries' mobiles have 10),
    and the shortest of them is as much a buyer's contact as a Russian one."""
    orders = [
        parse_record(Order, raw_order(i, utm={"utm_source": "email", "utm_term": phone}))
        for i, phone in enumerate(PHONES, 1)
    ]

    stored = tickets.tickets_table(orders).column("utm_term").to_pylist()

    assert stored == ["[redacted]"] * len(PHONES)


def test_each_sales_column_takes_its_own_field() -> None:
    # Every value distinct, so a column filled from its neighbour's field cannot pass.
    order = parse_record(
        Order,
        raw_order(
            8,
            event_id=51013,
            currency_id="KZT",
            price=1500,
            utm={"utm_source": "vk", "utm_medium": "cpc", "utm_campaign": "winter", "utm_content": "ad7",
                 "utm_term": "выставка"},
            discount_id=6861,
            promo_code_id=244529,
            payment_type_id="sbp",
            site={"id": 1356, "host": "dino-show.example"},
            deleted_at="2025-11-23T09:00:00+03:00",
            updated_at="2025-11-21T10:00:00+03:00",
            baskets=[
                raw_basket(80, show_id=300502, quantity=2, price=1500, original_price=1875,
                           discount_value=375,
                           service_fee_amount=45.5, seat_name="Детский билет (будни)",
                           created_at="2025-11-20T14:03:02+03:00", checked_at="2025-11-24T18:01:00+03:00",
                           refunded_at="2025-11-22T12:00:00+03:00", refunded_amount=1350)
            ],
        ),
    )  # fmt: skip
    assert tickets.tickets_table([order]).to_pylist() == [
        {
            "basket_id": 80,
            "order_id": 8,
            "event_id": 51013,
            "show_id": 300502,
            "created_at": datetime(2025, 11, 20, 11, 3, 2, tzinfo=UTC),
            "paid_at": datetime(2025, 11, 20, 11, 5, 11, tzinfo=UTC),
            "status": "cancelled",
            "quantity": 2,
            "price": Decimal("1500.00"),
            "currency": "KZT",
            "utm_source": "vk",
            "utm_medium": "cpc",
            "utm_campaign": "winter",
            "updated_at": datetime(2025, 11, 21, 7, tzinfo=UTC),
            "original_price": Decimal("1875.00"),
            "discount_amount": Decimal("375.00"),
            "service_fee": Decimal("45.50"),
            "discount_id": 6861,
            "promo_code_id": 244529,
            "ticket_name": "Детский билет (будни)",
            "payment_type": "sbp",
            "site_host": "dino-show.example",
            "utm_content": "ad7",
            "utm_term": "выставка",
            "refunded_at": datetime(2025, 11, 22, 9, tzinfo=UTC),
            "refunded_amount": Decimal("1350.00"),
            "cancelled_at": datetime(2025, 11, 23, 6, tzinfo=UTC),
            "checked_at": datetime(2025, 11, 24, 15, 1, tzinfo=UTC),
            "tariff_name": "Детский билет (будни)",  # a single-price zone: its one tariff is the zone
            "zone_name": "Детский билет (будни)",
        }
    ]


def test_discount_amount_is_what_a_discounted_ticket_was_let_off() -> None:
    """discount_amount was discount_value as sent: 0 for a ticket given away with a promo code
    (discount_value null) and one place's discount for a basket of two. It is the column's
    definition, original_price - price, for a ticket with a discount; 0 for one without."""
    order = parse_record(
        Order,
        raw_order(
            9,
            price=1800,
            discount_id=6861,
            promo_code_id=244529,
            baskets=[
                raw_basket(90, price=0, original_price=1000, discount_value=None),  # FREE2025
                raw_basket(91, quantity=2, price=1800, original_price=2000, discount_value=100),  # a place's
                raw_basket(92, price=501, discount_value=89),  # no original price: the price plus 89
            ],
        ),
    )
    plain = parse_record(
        Order, raw_order(10, price=0, baskets=[raw_basket(100, price=0, original_price=1000)])
    )
    rows = tickets.tickets_table([order, plain]).to_pandas().set_index("basket_id")
    assert rows["discount_amount"].to_dict() == {
        90: Decimal("1000.00"),
        91: Decimal("200.00"),
        92: Decimal("89.00"),
        100: Decimal("0.00"),
    }
    assert rows.loc[92, "original_price"] == Decimal("590.00")


def test_tariff_is_the_price_category_and_zone_the_seats_zone() -> None:
    """ticket_name mixes tariffs and seat labels; tariff_name and zone_name do not."""
    assert tickets.tariff_and_zone("Балкон: Ряд 6, Место 18", "preferential") == ("preferential", "Балкон")
    assert tickets.tariff_and_zone("Правый боковой партер: Ряд 1, Место 6", "full") == (
        "full",
        "Правый боковой партер",
    )
    assert tickets.tariff_and_zone("Взрослый билет", None) == ("Взрослый билет", "Взрослый билет")
    assert tickets.tariff_and_zone("", None) == ("", "")


def event(event_id: int, city: dict, show_id: int, show_start: str) -> Event:
    show = {"id": show_id, "is_active": 1, "start_date": show_start, "finish_date": show_start}
    return parse_record(Event, raw_event(event_id, city=city, shows=[show]))


def block(*rows: tuple[int, int, str, str | None, str | None]) -> pa.Table:
    """Crawled ticket rows (event, show, created, paid, refunded), the other columns filled in."""
    orders = [
        parse_record(
            Order,
            raw_order(
                basket_id,
                event_id=event_id,
                payed=paid is not None,
                payed_at=paid,
                baskets=[raw_basket(basket_id, show_id=show_id, created_at=created, refunded_at=refunded)],
            ),
        )
        for basket_id, (event_id, show_id, created, paid, refunded) in enumerate(rows, 1)
    ]
    return tickets.tickets_table(orders)


def test_calendar_days_are_each_events_own_around_local_midnight() -> None:
    """The same instants are different days in Vladivostok (UTC+10) and Kaliningrad (UTC+2):
    13:59 UTC is 23:59 in Vladivostok, 14:00 UTC is 00:00 the next day; 21:59 UTC is 23:59 in
    Kaliningrad. Timestamps arrive in Moscow time (+03:00)."""
    calendar = local_days.Calendar.of_events(
        [
            event(1, VLADIVOSTOK, 11, "2025-12-05T09:00:00+03:00"),  # 16:00 local, Dec 5
            event(2, KALININGRAD, 21, "2025-12-06T01:30:00+03:00"),  # 00:30 local, Dec 6
        ]
    )
    rows = calendar.with_local_dates(
        block(
            (1, 11, "2025-11-30T16:59:00+03:00", "2025-11-30T17:00:00+03:00", "2025-12-01T00:59:00+03:00"),
            (2, 21, "2025-11-30T16:59:00+03:00", "2025-12-01T00:59:00+03:00", "2025-12-01T01:00:00+03:00"),
            (2, 21, "2025-11-30T16:59:00+03:00", None, None),
        )
    ).to_pylist()
    columns = ("created_date_local", "paid_date_local", "refunded_date_local")
    local = [tuple(row[name] for name in columns) for row in rows]
    assert local == [
        (date(2025, 11, 30), date(2025, 12, 1), date(2025, 12, 1)),  # Vladivostok
        (date(2025, 11, 30), date(2025, 11, 30), date(2025, 12, 1)),  # Kaliningrad
        (date(2025, 11, 30), None, None),  # unpaid: no paid day
    ]
    assert list(rows[0]) == table_schema("fact_sales").column_names


# 01:30 on Dec 1st in Moscow is 22:30 on Nov 30th in UTC.
AFTER_MOSCOW_MIDNIGHT = "2025-12-01T01:30:00+03:00"


def test_an_event_missing_from_the_calendar_has_moscow_days_not_utc_days() -> None:
    """A ticket whose event's zone is not known (the event is not in the calendar yet) gets Moscow
    calendar days, the zone the API stamps every time in.

    Checked between UTC midnight and Moscow midnight, where the two calendars disagree: a time before
    21:00 UTC is the same day in both, so it could not tell Moscow days from UTC days.
    """
    basket = raw_basket(
        10, created_at=AFTER_MOSCOW_MIDNIGHT, refunded_at=AFTER_MOSCOW_MIDNIGHT, refunded_amount=501
    )
    order = parse_record(
        Order, raw_order(1, event_id=777, payed=True, payed_at=AFTER_MOSCOW_MIDNIGHT, baskets=[basket])
    )

    [row] = local_days.Calendar().with_local_dates(tickets.tickets_table([order])).to_pylist()

    december_1 = date(2025, 12, 1)
    assert (row["created_date_local"], row["paid_date_local"], row["refunded_date_local"]) == (
        december_1,
        december_1,
        december_1,
    )


@pytest.mark.parametrize("city", [{"id": 75, "name": "Тверь"}, {"id": 75, "name": "Тверь", "timezone": ""}])
def test_a_city_without_a_zone_is_read_in_moscow_time_with_a_warning(city, caplog) -> None:
    """The README promises a warning for a city read in Moscow time for want of its zone; a city
    sent without `timezone` (or with an empty one) was read so silently."""
    calendar = local_days.Calendar.of_events([event(1, city, 11, "2025-12-05T09:00:00+03:00")])
    assert calendar.zones == {1: "Europe/Moscow"}
    assert "Qtickets city 75 has no time zone; Moscow time is used" in caplog.text


ZONES = {  # event id -> city: zones without DST (since 2014), a few hours apart
    1: {"id": 1, "name": "Москва", "timezone": "Europe/Moscow"},  # UTC+3
    2: {"id": 2, "name": "Екатеринбург", "timezone": "Asia/Yekaterinburg"},  # UTC+5
    3: VLADIVOSTOK,  # UTC+10
    4: KALININGRAD,  # UTC+2
}
# A second before and at each zone's local midnight of Dec 1, 2025, written in Moscow time.
MIDNIGHTS = {
    1: ("2025-11-30T23:59:59+03:00", "2025-12-01T00:00:00+03:00"),
    2: ("2025-11-30T21:59:59+03:00", "2025-11-30T22:00:00+03:00"),
    3: ("2025-11-30T16:59:59+03:00", "2025-11-30T17:00:00+03:00"),
    4: ("2025-12-01T00:59:59+03:00", "2025-12-01T01:00:00+03:00"),
}


def midnight_pages(pages: int) -> list[list[Order]]:
    """`pages` pages of orders of all four events, each ticket created, paid and refunded on either
    side of its event's local midnight (the order of the sides turning with the page)."""
    result = []
    for page in range(pages):
        orders = []
        for event_id, (before, at) in MIDNIGHTS.items():
            created, paid = (before, at) if page % 2 else (at, before)
            order_id = 100 * page + event_id
            basket = raw_basket(order_id, created_at=created, refunded_at=paid, refunded_amount=501)
            raw = raw_order(order_id, event_id=event_id, payed=True, payed_at=paid, baskets=[basket])
            orders.append(parse_record(Order, raw))
        result.append(orders)
    return result


def test_calendar_days_are_computed_per_written_block_not_per_page(monkeypatch) -> None:
    """The days of a spooled crawl are the zones' own, at every local midnight, and cost one
    calendar pass per block the writer inserts, whatever the number of pages; the crawl's tickets
    tables are built per block of orders, not per page."""
    calls: list[int] = []

    class CountingCalendar(local_days.Calendar):
        def with_local_dates(self, block: pa.Table) -> pa.Table:
            calls.append(block.num_rows)
            return super().with_local_dates(block)

    start = "2025-12-05T09:00:00+03:00"
    calendar = CountingCalendar.of_events([event(i, city, 10 + i, start) for i, city in ZONES.items()])
    pages = midnight_pages(30)
    rows = with_local_dates(spool_tickets(pages), calendar).read_all().to_pylist()
    assert calls == [120]  # 30 pages of 4 tickets: one block
    dec1, nov30 = date(2025, 12, 1), date(2025, 11, 30)
    for row in rows:
        page = row["order_id"] // 100
        created, paid = (nov30, dec1) if page % 2 else (dec1, nov30)
        assert (row["created_date_local"], row["paid_date_local"], row["refunded_date_local"]) == (
            created,
            paid,
            paid,
        ), row
    assert len(rows) == 120
    # Smaller blocks cut across pages and events: the same days, one pass per block.
    monkeypatch.setattr("qtickets_assets.lib.orders.BLOCK_ORDERS", 13)
    monkeypatch.setattr("qtickets_assets.lib.clickhouse.writers.BLOCK_ROWS", 50)
    built: list[int] = []  # the orders of each tickets table
    table = tickets.tickets_table
    monkeypatch.setattr(tickets, "tickets_table", lambda block: built.append(len(block)) or table(block))
    calls.clear()
    again = with_local_dates(spool_tickets(pages), calendar).read_all().to_pylist()
    assert built == [16] * 7 + [8]  # pages of 4 orders gathered into blocks of at least 13
    assert calls == [64, 56]  # blocks of 16 tickets gathered until at least 50 rows
    assert again == rows


def test_a_value_that_does_not_fit_its_column_is_named() -> None:
    order = parse_record(Order, raw_order(5, event_id=-1, baskets=[raw_basket(50)]))
    with pytest.raises(SchemaMismatchError) as refused:
        tickets.tickets_table([order])
    assert refused.value.problems == [
        "column event_id UInt64 is int64 and cannot become uint64: Integer value -1 not in range: "
        "0 to 9223372036854775807",
    ]


@pytest.mark.parametrize(
    ("basket", "field", "why"),
    [
        ({"quantity": 2**33}, "quantity", "less than or equal to 4294967295"),
        ({"quantity": -1}, "quantity", "greater than or equal to 0"),
        ({"updated_at": "2150-01-01T10:00:00+03:00"}, "updated_at", "the year 2150, outside what the mart"),
        ({"created_at": "1960-01-01T10:00:00+03:00"}, "created_at", "the year 1960, outside what the mart"),
    ],
)
def test_a_basket_value_the_mart_cannot_hold_is_refused_naming_the_order_and_field(
    basket, field, why
) -> None:
    """Refused only as the table was written ("column quantity UInt32 … Integer value -1 not in
    range"), with no order or basket named; natively read pages now leave such a page to the
    validated reading, which names them as every other bad field."""
    raw = raw_order(5, baskets=[raw_basket(50, **basket)])
    page = {"data": [raw], "paging": {"perPage": 50, "currentPage": 1, "total": 1}}
    assert decode_order_page(orjson.dumps(page)) is None
    with pytest.raises(QticketsPayloadError) as refused:
        parse_record(Order, raw)
    assert str(refused.value).startswith(f"Order 5: field baskets[0].{field}")
    assert why in str(refused.value)
