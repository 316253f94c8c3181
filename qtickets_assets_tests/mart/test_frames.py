"""Records → mart rows: the fields the old loader got wrong, on payloads shaped like the real API's."""

from datetime import UTC, datetime
from decimal import Decimal

from qtickets_assets.lib import frames
from qtickets_assets.lib.qtickets.models import Event, Order, parse_record
from qtickets_assets_tests.qtickets.fakes import raw_basket, raw_event, raw_order


def test_city_comes_from_the_city_object_not_its_string_form() -> None:
    row = frames.events_frame([parse_record(Event, raw_event(1))]).iloc[0]
    assert (row["city_id"], row["city_name"], row["city_timezone"]) == (24, "Томск", "Asia/Krasnoyarsk")


def test_sales_rows_take_currency_status_utm_and_version_from_their_real_fields() -> None:
    order = parse_record(
        Order,
        raw_order(
            7,
            currency_id="KZT",
            price=1603.03,
            utm=[],
            updated_at="2025-11-22T10:00:00+03:00",
            baskets=[
                raw_basket(70, price=1222.03, updated_at="2025-11-20T14:05:11+03:00"),
                raw_basket(71, price=381, refunded_at="2025-11-22T10:00:00+03:00"),
            ],
        ),
    )
    rows = frames.sales_table([order]).to_pandas().set_index("basket_id")
    assert rows.loc[70, "currency"] == "KZT"
    assert rows.loc[70, "price"] == Decimal("1222.03")
    assert (rows.loc[70, "utm_source"], rows.loc[70, "utm_campaign"]) == ("", "")
    assert rows.loc[70, "updated_at"] == datetime(2025, 11, 22, 7, tzinfo=UTC)
    assert rows.loc[71, "status"] == "refunded"
    assert frames.price_mismatches([order]) == 0
    assert frames.price_mismatches([order.model_copy(update={"price": Decimal("1603.02")})]) == 1


def test_each_sales_column_takes_its_own_field() -> None:
    # Every value distinct, so a column filled from its neighbour's field cannot pass.
    order = parse_record(
        Order,
        raw_order(
            8,
            event_id=51013,
            currency_id="KZT",
            price=1500,
            utm={"utm_source": "vk", "utm_medium": "cpc", "utm_campaign": "winter"},
            updated_at="2025-11-21T10:00:00+03:00",
            baskets=[
                raw_basket(80, show_id=300502, quantity=2, price=1500, created_at="2025-11-20T14:03:02+03:00")
            ],
        ),
    )
    assert frames.sales_table([order]).to_pylist() == [
        {
            "basket_id": 80,
            "order_id": 8,
            "event_id": 51013,
            "show_id": 300502,
            "created_at": datetime(2025, 11, 20, 11, 3, 2, tzinfo=UTC),
            "paid_at": datetime(2025, 11, 20, 11, 5, 11, tzinfo=UTC),
            "status": "paid",
            "quantity": 2,
            "price": Decimal("1500.00"),
            "currency": "KZT",
            "utm_source": "vk",
            "utm_medium": "cpc",
            "utm_campaign": "winter",
            "updated_at": datetime(2025, 11, 21, 7, tzinfo=UTC),
        }
    ]


def test_an_unknown_city_time_zone_falls_back_to_moscow_instead_of_breaking_the_view() -> None:
    raw = raw_event(1, city={"id": 24, "name": "Томск", "timezone": "UTC+7"})
    row = frames.events_frame([parse_record(Event, raw)]).iloc[0]
    assert (row["city_name"], row["city_timezone"]) == ("Томск", "Europe/Moscow")


def test_an_event_without_a_venue_is_stored_with_empty_venue_text() -> None:
    raw = raw_event(1, place_name=None)
    del raw["place_address"]
    row = frames.events_frame([parse_record(Event, raw)]).iloc[0]
    assert (row["venue_name"], row["venue_address"]) == ("", "")
