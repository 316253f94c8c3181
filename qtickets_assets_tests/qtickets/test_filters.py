from __future__ import annotations

from datetime import UTC, datetime

import httpx
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qtickets_assets.lib.qtickets.filters import Where
from qtickets_assets.lib.qtickets.models import Order, parse_record

from .fakes import FakeApi, json_response, make_client, raw_order, server_side

ORDERS = [raw_order(i) for i in range(1, 124)]


def _crawl(honour: bool, where: list[Where]) -> tuple[list[int], FakeApi]:
    api = FakeApi(orders=ORDERS, honour_filters=honour)
    with make_client(api) as client:
        return sorted(o.id for page in client.iter_order_pages(where) for o in page), api


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ([Where("id", ">", 100)], list(range(101, 124))),
        ([Where("payed", "=", 1), Where("id", "<=", 9)], [1, 2, 4, 5, 7, 8]),
        # updated_at day = 1 + id % 28, so ids with id % 28 >= 26 were updated on the 27th or later
        (
            [Where("updated_at", ">=", datetime(2025, 11, 27, 7, 0, tzinfo=UTC))],
            [i for i in range(1, 124) if i % 28 >= 26],
        ),
    ],
)
def test_filters_honoured_or_ignored_give_identical_records(where: list[Where], expected: list[int]) -> None:
    honoured, api_h = _crawl(True, where)
    ignored, api_i = _crawl(False, where)
    assert honoured == expected
    assert ignored == expected
    assert len(api_h.requests) < len(api_i.requests) == 3  # ignored filters: the client crawls all 123


def test_where_goes_in_the_json_body_in_the_documented_shape() -> None:
    since = datetime(2025, 11, 27, 7, 0, tzinfo=UTC)
    _, api = _crawl(
        True, [Where("id", ">", 100), Where("updated_at", ">=", since), Where("deleted_at", "null")]
    )
    body = api.bodies("/orders")[0]
    assert body["where"] == [
        {"column": "id", "operator": ">", "value": 100},
        {"column": "updated_at", "operator": ">=", "value": "2025-11-27T07:00:00+00:00"},
        {"column": "deleted_at", "operator": "null"},
    ]
    # Only the page in the query string too: a `where` there was ignored or answered 503.
    assert [r.url.query for r in api.requests] == [b"page=1"]


def test_a_server_that_reads_only_the_urls_page_is_crawled_whole() -> None:
    """A proxy that drops a GET's body, or a server that takes `page` from the query string
    alone: every page is still read, and the `where` the server never saw is applied here."""
    api = FakeApi(orders=ORDERS)

    def body_lost(request: httpx.Request) -> httpx.Response | None:
        return api._list("orders", {"page": int(request.url.params["page"])})

    api.override = body_lost
    with make_client(api) as client:
        assert sum(len(page) for page in client.iter_order_pages()) == len(ORDERS)
        assert [o.id for page in client.iter_order_pages([Where("id", ">", 100)]) for o in page] == list(
            range(101, 124)
        )


def test_a_column_the_client_cannot_recheck_is_refused_before_any_request() -> None:
    api = FakeApi(orders=ORDERS)
    with make_client(api) as client, pytest.raises(ValueError, match="cannot filter Order on client_id"):
        list(client.iter_order_pages([Where("client_id", "=", 5)]))
    assert api.requests == []


def test_in_and_null_operators_evaluate_locally() -> None:
    ids, _ = _crawl(False, [Where("id", "in", [3, 5, 200]), Where("deleted_at", "null")])
    assert ids == [3, 5]
    assert _crawl(False, [Where("deleted_at", "not null")])[0] == []


PARSED = [parse_record(Order, raw) for raw in ORDERS[:60]]


@settings(max_examples=60, deadline=None)
@given(
    column=st.sampled_from(["id", "payed", "updated_at"]),
    operator=st.sampled_from(["=", "!=", "<", ">", "<=", ">="]),
    number=st.integers(min_value=-2, max_value=64),
)
def test_local_evaluation_agrees_with_an_independent_server_evaluator(
    column: str, operator: str, number: int
) -> None:
    value = {
        "id": number,
        "payed": number % 2,
        "updated_at": datetime(2025, 11, 1 + number % 28, 7, tzinfo=UTC),
    }[column]
    clause = Where(column, operator, value)  # type: ignore[arg-type]
    server = [raw["id"] for raw in server_side("orders", ORDERS[:60], [clause.to_json()])]
    local = [order.id for order in PARSED if clause.matches(order)]
    assert local == server


def test_a_lower_bound_on_a_time_reads_every_change_on_a_server_that_compares_digits_in_utc() -> None:
    """A server that stores UTC and compares the clause's digits, ignoring its offset (qtickets-api.md
    §8, question 1): "since 07:30+03:00" read as 07:30 UTC lost the changes of 04:30-07:30 UTC, and
    every incremental run missed them silently until the nightly rebuild. The bound goes out in UTC."""
    stamps = {i: f"2025-11-27T{5 + i % 4:02d}:00:00+03:00" for i in range(1, 41)}  # 02:00-05:00 UTC
    orders = [raw_order(i, updated_at=stamps[i]) for i in range(1, 41)]

    def digits_in_utc(request: httpx.Request) -> httpx.Response:
        body = orjson.loads(request.content)
        (clause,) = body["where"]
        stored = {o["id"]: datetime.fromisoformat(o["updated_at"]).astimezone(UTC) for o in orders}
        bound = clause["value"][:19]  # the digits alone
        held = [o for o in orders if stored[o["id"]].strftime("%Y-%m-%dT%H:%M:%S") >= bound]
        return json_response({"data": held, "paging": {"perPage": 50, "currentPage": 1, "total": len(held)}})

    api = FakeApi(orders=orders)
    api.override = digits_in_utc
    since = datetime(2025, 11, 27, 3, 30, tzinfo=UTC)  # 06:30 in Moscow
    with make_client(api) as client:
        read = sorted(
            o.id for page in client.iter_order_pages([Where("updated_at", ">=", since)]) for o in page
        )
    assert read == sorted(i for i in stamps if 5 + i % 4 >= 7)  # updated at 07:00 or 08:00 Moscow time


def test_an_upper_bound_on_a_time_goes_out_in_moscow_time() -> None:
    clause = Where("updated_at", "<", datetime(2025, 11, 27, 7, 0, tzinfo=UTC)).to_json()
    assert clause["value"] == "2025-11-27T10:00:00+03:00"
