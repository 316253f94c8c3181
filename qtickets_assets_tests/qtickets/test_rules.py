from __future__ import annotations

from datetime import UTC, datetime

import pytest

from qtickets_assets.lib.qtickets.errors import QticketsPayloadError, QticketsProtocolError
from qtickets_assets.lib.qtickets.models import Event, Order, Seat, parse_record
from qtickets_assets.lib.qtickets.rules import (
    basket_status,
    event_dates,
    show_inventory,
)
from qtickets_assets.lib.qtickets.seats import parse_show_seats, show_seat_counts

from .fakes import FakeApi, make_client, raw_basket, raw_event, raw_order, raw_seat

# The API doc's §3.2 hall: one seat at two tariffs (sold) and a 500-place dance floor (137 free).
HALL_32 = {
    "full_PARTERRE-1;1": raw_seat("full_PARTERRE-1;1", "PARTERRE-1;1", 1, 0),
    "preferential_PARTERRE-1;1": raw_seat("preferential_PARTERRE-1;1", "PARTERRE-1;1", 1, 0),
    "full_DANCE-1;1": raw_seat("full_DANCE-1;1", "DANCE-1;1", 500, 137, admission=True),
}


# Both ways of reading a seat map: validated Seat records, and the counts the snapshot uses.
READERS = pytest.mark.parametrize("read", [parse_show_seats, show_seat_counts])


@READERS
def test_inventory_of_the_documented_hall_is_501_total_137_left(read) -> None:
    # qtickets-api.md §3.2 prints "left = 0 + 137 = 138": the sum is 137 (its arithmetic slipped).
    inventory = show_inventory(read({"data": HALL_32}, 300777))
    assert (inventory.tickets_total, inventory.tickets_left, inventory.tickets_sold) == (501, 137, 364)


@READERS
def test_disabled_seats_and_ga_tariffs_count_once(read) -> None:
    seats = {
        **HALL_32,
        "preferential_DANCE-1;1": raw_seat("preferential_DANCE-1;1", "DANCE-1;1", 500, 137, admission="1"),
        "full_PARTERRE-1;2": raw_seat("full_PARTERRE-1;2", "PARTERRE-1;2", 1, 1, disabled="1"),
        "full_PARTERRE-1;3": raw_seat("full_PARTERRE-1;3", "PARTERRE-1;3", 1, 1),
    }
    inventory = show_inventory(read({"data": seats}, 1))
    assert (inventory.tickets_total, inventory.tickets_left) == (502, 138)


@READERS
def test_offers_of_one_seat_that_disagree_count_the_same_in_any_order(read) -> None:
    """A 500-place floor with a child tariff of its own 50 places (10 left), and a seat one tariff
    shows sold: the first offer listed decided, so the order of the keys changed the hall."""
    offers = [
        raw_seat("full_DANCE-1;1", "DANCE-1;1", 500, 137, admission=True),
        raw_seat("child_DANCE-1;1", "DANCE-1;1", 50, 10, admission=True),
        raw_seat("full_PARTERRE-1;1", "PARTERRE-1;1", 1, 1),
        raw_seat("preferential_PARTERRE-1;1", "PARTERRE-1;1", 1, 0),
    ]
    for listed in (offers, offers[::-1], [offers[1], offers[0], offers[3], offers[2]]):
        inventory = show_inventory(read({"data": {seat["id"]: seat for seat in listed}}, 1))
        assert (inventory.tickets_total, inventory.tickets_left) == (501, 138)


@READERS
def test_the_non_flat_zone_shape_gives_the_same_inventory(read) -> None:
    zones = {
        "PARTERRE": {
            "zone_id": "PARTERRE",
            "name": "Партер",
            "seats": {k: v for k, v in HALL_32.items() if "PARTERRE" in k},
        },
        "DANCE": {"zone_id": "DANCE", "name": "Танцпол", "seats": [HALL_32["full_DANCE-1;1"]]},
    }
    assert show_inventory(read({"data": zones}, 1)) == (501, 137)


def test_seat_id_comes_from_the_flat_key_when_absent() -> None:
    raw = raw_seat("x", "A-1;1", 1, 1)
    del raw["id"]
    assert parse_show_seats({"data": {"full_A-1;1": raw}}, 1)[0].id == "full_A-1;1"


def test_an_empty_seat_list_is_an_error_not_zero_tickets() -> None:
    api = FakeApi(seats={300501: [], 300502: HALL_32})
    with make_client(api) as client:
        got = dict(client.iter_show_seats([300501, 300502]))
        assert got[300501] == [] and len(got[300502]) == 3
        with pytest.raises(QticketsPayloadError, match="show 300501: the seat list is empty"):
            show_inventory(got[300501], 300501)
        with pytest.raises(QticketsPayloadError, match="show 300501: the seat list is empty"):
            dict(client.iter_show_inventory([300502, 300501]))


@READERS
def test_unparseable_seat_answers_are_errors(read) -> None:
    with pytest.raises(QticketsProtocolError, match="`data` is a str"):
        read({"data": "Wrong authorization"}, 7)
    with pytest.raises(QticketsPayloadError, match=r"^Seat s1 \(show 7\): field max_quantity: "):
        read({"data": {"s1": raw_seat("s1", "A-1;1", 1, 1, max_quantity=None)}}, 7)
    with pytest.raises(QticketsPayloadError, match=r"^Seat s2 \(show 7\): field free_quantity: "):
        read({"data": {"s2": raw_seat("s2", "A-1;1", 1, True)}}, 7)  # True is not a quantity


@pytest.mark.parametrize(
    ("order_over", "basket_over", "expected"),
    [
        ({"payed": True}, {}, "paid"),
        ({"payed": False, "payed_at": None}, {}, "unpaid"),
        ({"payed": True}, {"refunded_at": "2025-11-22T10:00:00+03:00"}, "refunded"),
        ({"payed": False}, {"refunded_at": "2025-11-22T10:00:00+03:00"}, "refunded"),
        ({"payed": True}, {"deleted_at": "2025-11-22T10:00:00+03:00"}, "cancelled"),
        ({"payed": False, "deleted_at": "2025-11-21T14:20:03+03:00"}, {}, "cancelled"),
        (
            {"payed": True, "deleted_at": "2025-11-21T14:20:03+03:00"},
            {"refunded_at": "2025-11-22T10:00:00+03:00"},
            "cancelled",
        ),
    ],
)
def test_basket_status_matrix(order_over: dict, basket_over: dict, expected: str) -> None:
    order = parse_record(Order, raw_order(1, baskets=[raw_basket(5, **basket_over)], **order_over))
    assert basket_status(order, order.baskets[0]) == expected


def _show(show_id: int, start: str, finish: str, deleted: str | None = None) -> dict:
    return {
        "id": show_id,
        "is_active": 1,
        "start_date": start,
        "finish_date": finish,
        "deleted_at": deleted,
        "updated_at": start,
    }


def test_event_dates_span_live_shows_only() -> None:
    shows = [
        _show(1, "2025-12-05T10:00:00+03:00", "2025-12-05T19:00:00+03:00"),
        _show(2, "2025-12-01T10:00:00+03:00", "2025-12-01T19:00:00+03:00"),
        _show(
            3, "2025-11-01T10:00:00+03:00", "2026-01-01T19:00:00+03:00", deleted="2025-10-01T00:00:00+03:00"
        ),
    ]
    event = parse_record(Event, raw_event(1, shows=shows))
    assert event_dates(event) == (datetime(2025, 12, 1, 7, tzinfo=UTC), datetime(2025, 12, 5, 16, tzinfo=UTC))
    only_deleted = parse_record(Event, raw_event(2, shows=shows[2:]))
    assert event_dates(only_deleted) == (None, None)


def test_a_seat_with_more_free_places_than_places_names_the_show_and_seat() -> None:
    seats = [parse_record(Seat, raw_seat("full_A-1;1", "A-1;1", max_q=1, free_q=3))]
    with pytest.raises(QticketsPayloadError, match=r"show 42: seat A-1;1 has 3 free of 1"):
        show_inventory(seats, 42)


def test_a_disabled_seats_figures_do_not_fail_the_show() -> None:
    """Disabled seats are not counted; odd figures on one (its max_quantity can be "" in the hall's
    scheme) must not fail the whole snapshot."""
    seats = [
        parse_record(Seat, raw_seat("full_A-1;1", "A-1;1", max_q=1, free_q=3, disabled=True)),
        parse_record(Seat, raw_seat("full_A-1;2", "A-1;2", max_q=1, free_q=1)),
    ]
    assert show_inventory(seats, 42) == (1, 1)
