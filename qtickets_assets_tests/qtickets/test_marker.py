from __future__ import annotations

from datetime import UTC, datetime

import httpx
import orjson
import pytest

from qtickets_assets.lib.qtickets.errors import QticketsUnavailable
from qtickets_assets.lib.qtickets.list_reports import OrderMarker

from .fakes import FakeApi, json_response, make_client, raw_order

ORDERS = [raw_order(i) for i in range(1, 124)]  # newest update: ids with id % 28 == 27, on Nov 28


def test_marker_when_the_server_sorts() -> None:
    api = FakeApi(orders=ORDERS)
    with make_client(api) as client:
        marker = client.latest_order_marker()
    assert marker == OrderMarker(123, datetime(2025, 11, 28, 7, 0, tzinfo=UTC))
    assert [b["orderBy"] for b in api.bodies("/orders")] == [{"id": "desc"}, {"updated_at": "desc"}]


def test_marker_when_the_server_ignores_order_by_reads_the_last_page() -> None:
    api = FakeApi(orders=ORDERS, honour_order=False)
    with make_client(api) as client:
        marker = client.latest_order_marker()
    assert marker == OrderMarker(123, None)  # update time unknown without a full crawl
    assert [b["page"] for b in api.bodies("/orders")] == [1, 3]


def test_marker_when_the_server_ignores_order_by_and_pages_newest_first() -> None:
    """Its page "by update time" was its page of newest ids: an old order refunded now (order 3,
    updated after every other) is on neither, and its newest update read as Nov 28. The sensor then
    saw nothing change until the nightly rebuild; now the update time is unknown (a run on a new id,
    or every 10 minutes)."""
    orders = [raw_order(i) for i in range(1, 124)]
    orders[2]["updated_at"] = "2025-11-30T09:00:00+03:00"
    api = FakeApi(orders=orders, honour_order=False, newest_first=True)
    with make_client(api) as client:
        assert client.latest_order_marker() == OrderMarker(123, None)
    assert [b["orderBy"] for b in api.bodies("/orders")] == [
        {"id": "desc"},
        {"updated_at": "desc"},
        {"updated_at": "asc"},
    ]


def test_marker_when_the_latest_updated_are_the_newest_orders() -> None:
    """An honouring server whose newest orders are also its latest updated (no old order changed):
    the same page for both sorts, told from a server ignoring orderBy by the oldest updates."""
    orders = [
        raw_order(i, updated_at=f"2025-11-20T10:{i // 60:02d}:{i % 60:02d}+03:00") for i in range(1, 124)
    ]
    api = FakeApi(orders=orders)
    with make_client(api) as client:
        assert client.latest_order_marker() == OrderMarker(123, datetime(2025, 11, 20, 7, 2, 3, tzinfo=UTC))
    assert len(api.bodies("/orders")) == 3


def test_marker_when_an_order_is_stamped_ahead_of_our_clock(caplog) -> None:
    """An order stamped a year ahead stayed the API's newest update: no real update could pass it,
    and the sensor saw none. Unknown instead (a run on a new id, or every 10 minutes)."""
    orders = [raw_order(i) for i in range(1, 124)]
    orders[40]["updated_at"] = f"{datetime.now(UTC).year + 1}-01-01T10:00:00+03:00"
    with make_client(FakeApi(orders=orders)) as client:
        assert client.latest_order_marker() == OrderMarker(123, None)
    assert "ahead of our clock" in caplog.text


def test_marker_of_an_empty_account() -> None:
    api = FakeApi()
    with make_client(api) as client:
        assert client.latest_order_marker() == OrderMarker(None, None)
    assert len(api.requests) == 1


def test_marker_of_a_single_order() -> None:
    with make_client(FakeApi(orders=[raw_order(5)])) as client:
        assert client.latest_order_marker() == OrderMarker(5, datetime(2025, 11, 6, 7, 0, tzinfo=UTC))


UNKNOWN_ERROR = {"error": "Unknown error", "status": 503, "code": "UNKNOWN_ERROR", "info": []}


def refusing_sort_by_update(api: FakeApi) -> FakeApi:
    """The docs name only payed, event_id and id as columns known to filter or sort: a server may
    answer a sort on updated_at as it answers a `where` it cannot take, 503 UNKNOWN_ERROR."""

    def refuse(request: httpx.Request) -> httpx.Response | None:
        body = orjson.loads(request.content or b"{}")
        return json_response(UNKNOWN_ERROR, 503) if "updated_at" in body.get("orderBy", {}) else None

    api.override = refuse
    return api


def test_marker_when_the_server_refuses_to_sort_by_update(waits: list[float]) -> None:
    """The sensor's tick failed on every evaluation; the newest update is now unknown (the sensor
    then asks for a run on a new id, or every 10 minutes)."""
    with make_client(refusing_sort_by_update(FakeApi(orders=ORDERS)), max_retries=1) as client:
        assert client.latest_order_marker() == OrderMarker(123, None)


def test_marker_when_a_burst_of_updates_shares_one_second() -> None:
    """Fifty orders refunded in one second made a page of equal times, read as "the server ignores
    orderBy": the sensor then ran sales every 10 minutes with nothing changed."""
    same = [raw_order(i, updated_at="2025-11-28T10:00:00+03:00") for i in range(1, 124)]
    with make_client(FakeApi(orders=same)) as client:
        assert client.latest_order_marker() == OrderMarker(123, datetime(2025, 11, 28, 7, 0, tzinfo=UTC))


def test_a_passing_fault_on_the_sort_by_update_is_not_a_refusal(waits: list[float]) -> None:
    """A 503 that outlasted the sort's retries and then passed read as "the server refuses to sort
    by updated_at": an unknown update time, and the sensor asked for a run with nothing changed."""
    api = FakeApi(orders=ORDERS)
    failures = iter(range(2))

    def briefly_down(request: httpx.Request) -> httpx.Response | None:
        body = orjson.loads(request.content or b"{}")
        if "updated_at" in body.get("orderBy", {}) and next(failures, None) is not None:
            return json_response(UNKNOWN_ERROR, 503)
        return None

    api.override = briefly_down
    with make_client(api, max_retries=1) as client, pytest.raises(QticketsUnavailable):
        client.latest_order_marker()
