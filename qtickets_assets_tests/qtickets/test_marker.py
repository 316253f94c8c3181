from __future__ import annotations

from datetime import UTC, datetime

from qtickets_assets.lib.qtickets.client import OrderMarker

from .fakes import FakeApi, make_client, raw_order

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


def test_marker_of_an_empty_account() -> None:
    api = FakeApi()
    with make_client(api) as client:
        assert client.latest_order_marker() == OrderMarker(None, None)
    assert len(api.requests) == 1


def test_marker_of_a_single_order() -> None:
    with make_client(FakeApi(orders=[raw_order(5)])) as client:
        assert client.latest_order_marker() == OrderMarker(5, datetime(2025, 11, 6, 7, 0, tzinfo=UTC))
