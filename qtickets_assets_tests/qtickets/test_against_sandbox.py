"""The real client over loopback against the sandbox (an independent oracle with its own truth)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from qtickets_assets.lib.qtickets.client import QticketsClient
from qtickets_assets.lib.qtickets.errors import QticketsProtocolError
from qtickets_assets.lib.qtickets.filters import Where
from qtickets_assets.lib.qtickets.list_reports import OrderMarker
from qtickets_assets.lib.qtickets.models import Event, Order, Seat
from qtickets_assets.lib.qtickets.rules import basket_status, event_dates, show_inventory
from qtickets_assets.sandbox.testing import SandboxHandle, run_sandbox


@dataclass
class Crawl:
    events: list[Event]
    orders: list[Order]
    seats: dict[int, list[Seat]]


def _z(ts: datetime | None) -> str | None:
    return None if ts is None else ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def crawl(sb: SandboxHandle, max_concurrency: int = 4) -> Crawl:
    with QticketsClient(sb.base_url, sb.token, max_concurrency=max_concurrency) as client:
        events = [e for page in client.iter_event_pages() for e in page]
        orders = [o for page in client.iter_order_pages() for o in page]
        live = [s.id for e in events if e.deleted_at is None for s in e.shows if s.deleted_at is None]
        return Crawl(events, orders, dict(client.iter_show_seats(live)))


# One world for the whole module: tests compare crawls of several sandboxes with one another, and
# the default anchor (now, to the minute) would differ between two made on either side of a minute.
ANCHOR = int(time.time()) // 60 * 60


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxHandle]:
    with run_sandbox(size="small", seed=1, anchor=ANCHOR) as sb:
        yield sb


@pytest.fixture(scope="module")
def full(sandbox: SandboxHandle) -> Crawl:
    sandbox.reset_stats()
    return crawl(sandbox)


def dim_events(c: Crawl) -> list[dict[str, Any]]:
    rows = []
    for e in c.events:
        starts, ends = event_dates(e)
        assert e.city is not None
        rows.append({
            "event_id": e.id, "event_name": e.name, "city_id": e.city.id, "city_name": e.city.name,
            "city_timezone": e.city.timezone, "venue_name": e.place_name, "venue_address": e.place_address,
            "starts_at": _z(starts), "ends_at": _z(ends), "is_active": int(e.is_active),
            "is_deleted": int(e.deleted_at is not None), "updated_at": _z(e.updated_at),
        })  # fmt: skip
    return rows


def inventory(c: Crawl) -> list[dict[str, Any]]:
    rows = []
    for e in sorted(c.events, key=lambda event: event.id):  # pages arrive in any order
        for s in (s for s in e.shows if e.deleted_at is None and s.deleted_at is None):
            inv = show_inventory(c.seats[s.id], s.id)
            rows.append({"event_id": e.id, "show_id": s.id, "show_starts_at": _z(s.start_date),
                         "tickets_total": inv.tickets_total, "tickets_left": inv.tickets_left,
                         "tickets_sold": inv.tickets_sold})  # fmt: skip
    return rows


def sales(orders: list[Order]) -> list[dict[str, Any]]:
    return [
        {"basket_id": b.id, "order_id": o.id, "event_id": o.event_id, "show_id": b.show_id,
         "created_at": _z(b.created_at), "paid_at": _z(o.payed_at) if o.payed else None,
         "status": basket_status(o, b), "quantity": b.quantity, "price": str(b.price),
         "currency": o.currency_id, "utm_source": o.utm.source or "", "utm_medium": o.utm.medium or "",
         "utm_campaign": o.utm.campaign or ""}
        for o in sorted(orders, key=lambda order: order.id) for b in o.baskets
    ]  # fmt: skip


def _by(rows: list[dict[str, Any]], *key: str) -> dict[tuple[Any, ...], dict[str, Any]]:
    return {tuple(r[k] for k in key): r for r in rows}


def test_every_record_is_collected_with_the_expected_requests(sandbox: SandboxHandle, full: Crawl) -> None:
    truth, expected, stats = sandbox.truth(), sandbox.expected_requests(), sandbox.stats()
    assert len(full.events) == len(truth["dim_events"])
    assert len({b.id for o in full.orders for b in o.baskets}) == len(truth["fact_sales"])
    assert len(full.seats) == expected["seat_maps"]
    assert stats["requests"] == {
        "GET events": expected["events_pages"],
        "GET orders": expected["orders_pages"],
        "GET shows/{id}/seats": expected["seat_maps"],
    }
    assert stats["peak_in_flight"] <= 4


def test_events_match_the_truth(sandbox: SandboxHandle, full: Crawl) -> None:
    assert _by(dim_events(full), "event_id") == _by(sandbox.truth()["dim_events"], "event_id")


def test_inventory_matches_the_truth(sandbox: SandboxHandle, full: Crawl) -> None:
    truth = _by(sandbox.truth()["fact_inventory_latest"], "show_id")
    assert _by(inventory(full), "show_id") == truth


def test_sales_and_statuses_match_the_truth(sandbox: SandboxHandle, full: Crawl) -> None:
    mine = sales(full.orders)
    # The columns this crawl-level recount knows; the analytics columns are checked end to end.
    truth = [{name: row[name] for name in mine[0]} for row in sandbox.truth()["fact_sales"]]
    assert _by(mine, "basket_id") == _by(truth, "basket_id")
    assert {r["status"] for r in mine} == {"paid", "unpaid", "cancelled", "refunded"}


def test_incremental_filters_give_identical_orders_when_the_server_ignores_them(full: Crawl) -> None:
    ids = sorted(o.id for o in full.orders)
    since = sorted(o.updated_at for o in full.orders)[-100]
    wheres = [[Where("id", ">", ids[-120])], [Where("updated_at", ">=", since)]]
    expected = [ids[-119:], sorted(o.id for o in full.orders if o.updated_at >= since)]
    for ignore in (False, True):
        with (
            run_sandbox(size="small", seed=1, anchor=ANCHOR, ignore_filters=ignore) as sb,
            QticketsClient(sb.base_url, sb.token) as c,
        ):
            got = [sorted(o.id for page in c.iter_order_pages(w) for o in page) for w in wheres]
            requests = sb.stats()["requests"]["GET orders"]
        assert got == expected
        assert requests == (30 * 2 if ignore else 3 + 2)  # ignored: two full crawls of 1500 orders


def test_marker_sorted_and_unsorted(sandbox: SandboxHandle, full: Crawl) -> None:
    newest = OrderMarker(max(o.id for o in full.orders), max(o.updated_at for o in full.orders))
    with QticketsClient(sandbox.base_url, sandbox.token) as client:
        assert client.latest_order_marker() == newest
    with (
        run_sandbox(size="small", seed=1, anchor=ANCHOR, ignore_filters=True) as sb,
        QticketsClient(sb.base_url, sb.token) as c,
    ):
        assert c.latest_order_marker() == OrderMarker(newest.max_id, None)
        assert sb.stats()["total_requests"] == 2


def test_faults_are_retried_to_the_exact_same_records(full: Crawl, waits: list[float]) -> None:
    faults = {"fault_503": 0.08, "fault_429": 0.04, "drop_share": 0.04, "truncate_share": 0.02, "seed": 3}
    with run_sandbox(size="small", seed=1, anchor=ANCHOR) as sb:
        sb.set_faults(**faults)
        again = crawl(sb)
        injected = sb.stats()["faults"]
    assert sum(injected.values()) > 0 and len(waits) == sum(injected.values())
    assert sales(again.orders) == sales(full.orders)
    assert inventory(again) == inventory(full)


def test_an_empty_page_before_the_total_is_an_error() -> None:
    with run_sandbox(size="small", seed=1, anchor=ANCHOR, empty_page_share=1.0) as sb:
        # The world's size depends on ANCHOR (the wall clock): the message states the server's total.
        stated_total = (
            rf"^GET /orders: page 1 is empty but the total is {len(sb.world.orders)} \(50 per page\)"
        )
        with (
            QticketsClient(sb.base_url, sb.token) as c,
            pytest.raises(QticketsProtocolError, match=stated_total),
        ):
            list(c.iter_order_pages())
