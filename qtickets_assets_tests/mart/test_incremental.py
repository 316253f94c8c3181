"""The incremental sales crawl: a list that grows while it is read is read again, an update
committed late still lands, and an order that changes between the run's two crawls is stored as
it was last read."""

from datetime import UTC, datetime
from decimal import Decimal

import httpx
import msgspec
import orjson
import pytest

from qtickets_assets.lib import orders
from qtickets_assets.lib.orders import changed_order_pages
from qtickets_assets.lib.qtickets import retry
from qtickets_assets.lib.qtickets.client import QticketsClient
from qtickets_assets.lib.qtickets.errors import QticketsProtocolError, QticketsUnavailable
from qtickets_assets.lib.qtickets.models import Order, parse_record
from qtickets_assets.lib.qtickets.native import NativeOrder, native_order
from qtickets_assets.sandbox.testing import run_sandbox
from qtickets_assets_tests.graph.mart import materialize_all, read_mart
from qtickets_assets_tests.qtickets.fakes import FakeApi, json_response, make_client, raw_order


class GrowingList:
    """A client whose `updated_at` list gains order 3 while it is crawled the first time."""

    def __init__(self) -> None:
        self.totals = iter([3, 3])  # counted after each crawl; the first crawl began at 2
        self.crawls: list[list[int]] = []

    def count_orders(self, where) -> int:
        return next(self.totals)

    def iter_native_order_pages(self, where, report, keep=None):
        if where[0].column == "id":
            return iter([[order(9)]])
        ids = [1, 2] if not self.crawls else [1, 2, 3]
        self.crawls.append(ids)
        report.total = report.received = len(ids)
        return iter([[order(i) for i in ids]])


def order(order_id: int, updated_at: str = "2025-11-20T14:05:11+03:00") -> NativeOrder:
    return native_order(parse_record(Order, raw_order(order_id, updated_at=updated_at)))


def test_an_order_that_joins_the_list_mid_crawl_is_read_by_a_second_crawl() -> None:
    client = GrowingList()
    pages = changed_order_pages(client, max_order_id=8, since=datetime(2025, 11, 1, tzinfo=UTC))
    assert [o.id for page in pages for o in page] == [9, 1, 2, 3]
    assert client.crawls == [[1, 2], [1, 2, 3]]


class CountingTheWholeList(GrowingList):
    """A server whose total counts the unfiltered 800 orders, however many match; old order 2
    joins the updated orders while they are crawled the first time."""

    def count_orders(self, where) -> int:
        return 800

    def iter_native_order_pages(self, where, report, keep=None):
        if where[0].column == "id":
            return iter([[order(9)]])
        ids = [1, 3] if not self.crawls else [1, 2, 3]
        self.crawls.append(ids)
        report.total, report.received = 800, len(ids)
        return iter([[order(i) for i in ids]])


def test_where_the_total_counts_the_whole_list_two_crawls_alike_prove_a_whole_read() -> None:
    """The recount (800 = 800) proves nothing there: an update does not change it. The crawl that
    met order 2 joining is not taken as whole; the next one, reading what the one before it read,
    is."""
    client = CountingTheWholeList()
    pages = changed_order_pages(client, max_order_id=8, since=datetime(2025, 11, 1, tzinfo=UTC))
    assert [o.id for page in pages for o in page] == [9, 1, 3, 2]
    assert client.crawls == [[1, 3], [1, 2, 3], [1, 2, 3]]


class BusyAccount(CountingTheWholeList):
    """An order is paid (a new, higher id) during every crawl of the updated orders."""

    def iter_native_order_pages(self, where, report, keep=None):
        if where[0].column == "id":
            return iter([[order(9)]])
        ids = [1, 2, 3, *range(10, 10 + len(self.crawls))]
        self.crawls.append(ids)
        report.total, report.received = 800, len(ids)
        return iter([[order(i) for i in ids]])


def test_new_orders_at_the_end_of_the_list_do_not_keep_a_crawl_from_proving_whole() -> None:
    """Orders added after a crawl join the list at its end and push nothing back onto a page
    already read: the second crawl, alike but for them, proves the first (on a busy account every
    crawl differed, and every run read the list three times and warned)."""
    client = BusyAccount()
    pages = changed_order_pages(client, max_order_id=8, since=datetime(2025, 11, 1, tzinfo=UTC))
    assert [o.id for page in pages for o in page] == [9, 1, 2, 3, 10]
    assert client.crawls == [[1, 2, 3], [1, 2, 3, 10]]


class ChangedBetweenCrawls:
    """Orders 8 and 9 are new; the crawl of updated orders reads both again, 9 refunded since.
    Order 8's time is written as the API sends it in one read, in UTC in the other (a page read
    the validated way): the same instant."""

    def count_orders(self, where) -> int:
        return 2

    def iter_native_order_pages(self, where, report, keep=None):
        if where[0].column == "id":
            return iter([[order(8), order(9)]])
        report.total = report.received = 2
        as_sent = msgspec.structs.replace(order(8), updated_at_text="2025-11-20T14:05:11+03:00")
        return iter([[as_sent, order(9, updated_at="2025-11-21T10:00:00+03:00")]])


def test_an_order_read_again_is_handed_on_again_only_if_it_changed() -> None:
    pages = changed_order_pages(
        ChangedBetweenCrawls(), max_order_id=7, since=datetime(2025, 11, 1, tzinfo=UTC)
    )
    assert [(o.id, o.updated_at_text) for page in pages for o in page] == [
        (8, "2025-11-20T11:05:11+00:00"),
        (9, "2025-11-20T11:05:11+00:00"),
        (9, "2025-11-21T07:00:00+00:00"),
    ]


def test_an_update_committed_late_with_an_earlier_stamp_is_still_read(tmp_path) -> None:
    """The API may commit an update after one with a later `updated_at` was already read (stamps
    are taken when a request starts, rows become visible when it commits). The incremental crawl
    reads `overlap_minutes` before the stored watermark, so such a refund still lands."""
    url = f"chdb://{tmp_path / 'ch'}"
    with run_sandbox(size="small", seed=11) as sandbox:
        assert materialize_all(sandbox.base_url, sandbox.token, url, job_name="sales_job").success
        world = sandbox.world
        with world.lock:
            newest = max(order.updated_at for order in world.orders)
            order = next(
                o for o in world.orders if o.payed and o.deleted_at is None and o.updated_at < newest
            )
            basket = next(b for b in order.baskets if b.deleted_at is None and b.refunded_at is None)
            late = newest - 5 * 60  # five minutes before the watermark the last run stored
            basket.refunded_at = basket.updated_at = order.updated_at = late
            basket.refunded_amount = basket.price
            world.version += 1
        assert materialize_all(sandbox.base_url, sandbox.token, url, job_name="sales_job").success
    stored = {row["basket_id"]: row for row in read_mart(url, "fact_sales")}
    assert stored[basket.id]["status"] == "refunded"


def stamp_ahead(sandbox, orders) -> None:
    """`orders` (of the sandbox's world) stamped a day after its newest update."""
    with sandbox.world.lock:
        newest = max(order.updated_at for order in sandbox.world.orders)
        for order in orders:
            order.updated_at = newest + 86_400
        sandbox.world.version += 1


def test_every_order_stamped_ahead_leaves_a_watermark_that_reads_them_all(tmp_path) -> None:
    """With no stored update before now the watermark is 1970: the filter's bound (1969, less the
    overlap) failed every incremental run with "a time in the year 1969"; it reads every order."""
    url = f"chdb://{tmp_path / 'ch'}"
    with run_sandbox(size="small", seed=11) as sandbox:
        stamp_ahead(sandbox, sandbox.world.orders)
        assert materialize_all(sandbox.base_url, sandbox.token, url, job_name="sales_job").success
        sandbox.advance(new_orders=5)
        assert materialize_all(sandbox.base_url, sandbox.token, url, job_name="sales_job").success
        truth = {row["basket_id"] for row in sandbox.truth()["fact_sales"]}
    assert {row["basket_id"] for row in read_mart(url, "fact_sales")} == truth


def test_an_order_stamped_a_day_ahead_does_not_hide_the_refunds_after_it(tmp_path, caplog) -> None:
    """One order's updated_at a day ahead (a clock running fast, a bad record) became the stored
    watermark: every later incremental run asked for the orders updated since tomorrow and missed
    every refund, a full rebuild included (it keeps the API's stamp). The watermark leaves it out."""
    url = f"chdb://{tmp_path / 'ch'}"
    with run_sandbox(size="small", seed=11) as sandbox:
        stamp_ahead(sandbox, [next(o for o in sandbox.world.orders if o.payed and o.deleted_at is None)])
        assert materialize_all(sandbox.base_url, sandbox.token, url, job_name="sales_job").success
        sandbox.advance(refunds=4, cancellations=2)
        assert materialize_all(sandbox.base_url, sandbox.token, url, job_name="sales_job").success
        truth = {row["basket_id"]: row["status"] for row in sandbox.truth()["fact_sales"]}
    stored = {row["basket_id"]: row["status"] for row in read_mart(url, "fact_sales")}
    assert stored == truth
    assert "stored tickets carry an update time ahead of this machine's clock" in caplog.text


def test_an_order_changed_between_the_runs_two_crawls_is_stored_as_last_read(tmp_path, monkeypatch) -> None:
    """A new order, read by the crawl of new ids, is refunded before the crawl of updated orders
    reads it again: the run stores the refund, not the first read (the run would otherwise end
    successfully with the ticket still "paid" until the next run)."""
    url = f"chdb://{tmp_path / 'ch'}"
    with run_sandbox(size="small", seed=11) as sandbox:
        assert materialize_all(sandbox.base_url, sandbox.token, url, job_name="sales_job").success
        (new_id, *_) = sandbox.advance(new_orders=3)["new_order_ids"]
        world = sandbox.world
        with world.lock:
            order = next(o for o in world.orders if o.id == new_id)
            basket = order.baskets[0]
        read_updated_orders = orders.updated_order_pages

        def refunded_before_the_second_crawl(client, since):
            with world.lock:
                basket.refunded_at = basket.updated_at = order.updated_at = order.updated_at + 1
                basket.refunded_amount = basket.price
                world.version += 1
            yield from read_updated_orders(client, since)

        monkeypatch.setattr(orders, "updated_order_pages", refunded_before_the_second_crawl)
        assert materialize_all(sandbox.base_url, sandbox.token, url, job_name="sales_job").success
    stored = {row["basket_id"]: row for row in read_mart(url, "fact_sales")}
    assert stored[basket.id]["status"] == "refunded"
    assert Decimal(stored[basket.id]["refunded_amount"]) == Decimal(basket.price) / 100  # kopecks


def _pages(orders: int) -> int:
    return max(1, -(-orders // 50))


def test_a_server_that_ignores_where_is_read_once_not_once_per_filter() -> None:
    """Against a server that answers every `where` with the whole list, an incremental run reads the
    account once and keeps both the new and the updated orders from it (it read the whole list
    twice, and a third time whenever an order was added meanwhile)."""
    for ignore in (False, True):
        with run_sandbox(size="small", seed=1, ignore_filters=ignore) as sandbox:
            with QticketsClient(sandbox.base_url, sandbox.token) as client:
                full = [o for page in client.iter_native_order_pages() for o in page]
                max_order_id = sorted(o.id for o in full)[-100]
                since = sorted(o.updated_at for o in full)[-200]
                new = {o.id for o in full if o.id > max_order_id}
                updated = {o.id for o in full if o.updated_at >= since}
                sandbox.reset_stats()
                got = {o.id for page in changed_order_pages(client, max_order_id, since) for o in page}
            requests = sandbox.stats()["requests"]["GET orders"]
        assert got == new | updated
        # ignored: one whole read; honoured: the new orders, the updated ones, and their re-count
        assert requests == (_pages(len(full)) if ignore else _pages(len(new)) + _pages(len(updated)) + 1)


def test_a_server_that_ignores_where_and_pages_newest_first_is_still_read_twice() -> None:
    """Newest first, an order added while the crawl runs pushes every later one a place on, so
    one could slip onto a page already read: the updated orders are crawled again (and re-counted)
    rather than trusted to the first read."""
    raw = [raw_order(i) for i in range(1, 161)]
    api = FakeApi(orders=raw)

    def newest_first_whatever_asked(request: httpx.Request) -> httpx.Response:
        page = orjson.loads(request.content)["page"]
        chunk = list(reversed(raw))[(page - 1) * 50 : page * 50]
        return json_response({"data": chunk, "paging": {"perPage": 50, "currentPage": page, "total": 160}})

    api.override = newest_first_whatever_asked
    since = datetime(2025, 11, 20, tzinfo=UTC)
    with make_client(api) as client:
        got = {o.id for page in changed_order_pages(client, 150, since) for o in page}
    assert got == {o["id"] for o in raw if o["id"] > 150 or o["updated_at"] >= "2025-11-20T10"}
    assert len(api.requests) == 4 + 4 + 1  # two whole reads of 4 pages, one re-count


SINCE = datetime(2025, 11, 20, tzinfo=UTC)


def unknown_error() -> httpx.Response:
    """The real server's crash answer (qtickets-api.md §2.3)."""
    return json_response({"error": "Unknown error", "status": 503, "code": "UNKNOWN_ERROR", "info": []}, 503)


def changed_ids(api: FakeApi) -> set[int]:
    """The ids an incremental crawl above order 150, updated since SINCE, hands on from `api`."""
    with make_client(api, max_retries=1) as client:
        return {o.id for page in changed_order_pages(client, 150, SINCE) for o in page}


def filters_updated_at(request: httpx.Request) -> bool:
    return any(clause["column"] == "updated_at" for clause in orjson.loads(request.content).get("where", []))


def expected_ids(orders: list[dict]) -> set[int]:
    return {o["id"] for o in orders if o["id"] > 150 or o["updated_at"] >= "2025-11-20T10"}


def test_a_server_that_refuses_a_where_on_updated_at_is_read_whole(monkeypatch, caplog) -> None:
    """The docs name only payed, event_id and id as columns known to filter; a server that answers
    a `where` on updated_at with 503 UNKNOWN_ERROR failed every incremental run (only the nightly
    full read loaded anything). It is now read whole, in id order, and filtered here."""
    monkeypatch.setattr(retry, "sleep", lambda seconds, stop: None)
    raw = [raw_order(i) for i in range(1, 161)]
    api = FakeApi(orders=raw)

    def refuse_updated_at(request: httpx.Request) -> httpx.Response | None:
        return unknown_error() if filters_updated_at(request) else None

    api.override = refuse_updated_at
    with make_client(api, max_retries=1) as client:
        got = [o.id for page in changed_order_pages(client, 150, SINCE) for o in page]
    assert sorted(got) == sorted(expected_ids(raw)) and len(got) == len(set(got))
    assert "refuses a where on updated_at" in caplog.text


def test_an_api_that_is_down_is_not_taken_for_a_refused_filter(monkeypatch) -> None:
    """When the list fails without a `where` too, the run fails as the API being unavailable."""
    monkeypatch.setattr(retry, "sleep", lambda seconds, stop: None)
    api = FakeApi(orders=[raw_order(i) for i in range(1, 161)])
    crawled = []

    def down_after_the_new_ids(request: httpx.Request) -> httpx.Response | None:
        crawled.append(request)
        return json_response({"error": "down"}, 503) if len(crawled) > 1 else None

    api.override = down_after_the_new_ids
    with make_client(api, max_retries=1) as client, pytest.raises(QticketsUnavailable, match="HTTP 503"):
        list(changed_order_pages(client, 150, SINCE))


class NewestFirst:
    """A server that ignores orderBy and pages newest first; `arrivals(request number)` says how
    many orders are added before that request is answered (orders added while it is read)."""

    def __init__(self, orders: int, arrivals=lambda n: 0) -> None:
        self.orders = [raw_order(i) for i in range(1, orders + 1)]
        self.arrivals, self.answered = arrivals, 0
        self.api = FakeApi(orders=self.orders)
        self.api.override = self.answer

    def answer(self, request: httpx.Request) -> httpx.Response:
        with self.api._lock:
            self.answered += 1
            for _ in range(self.arrivals(self.answered)):
                self.orders.append(raw_order(len(self.orders) + 1))
            listed = list(reversed(self.orders))
        page = orjson.loads(request.content)["page"]
        chunk = listed[(page - 1) * 50 : page * 50]
        return json_response(
            {"data": chunk, "paging": {"perPage": 50, "currentPage": page, "total": len(listed)}}
        )


def read_all(api: FakeApi) -> list[int]:
    with make_client(api, max_concurrency=1) as client:
        return [order.id for page in orders.every_order_page(client) for order in page]


def test_a_full_load_in_id_order_is_read_once() -> None:
    api = FakeApi(orders=[raw_order(i) for i in range(1, 161)])
    assert sorted(read_all(api)) == list(range(1, 161))
    assert len(api.requests) == 4  # four pages; nothing re-counted


def test_a_full_load_read_newest_first_is_checked_whole() -> None:
    server = NewestFirst(160)
    assert sorted(read_all(server.api)) == list(range(1, 161))
    assert server.answered == 4 + 1  # four pages, then the total counted again


def test_orders_added_while_a_newest_first_list_is_read_are_not_lost() -> None:
    """Newest first, three orders added after page 1 (of four full pages) push every page on by
    three: the oldest three orders fell off the last page, and the nightly rebuild replaced
    fact_sales without them (no later run reads them again). The list is now read again, and
    each order handed on once."""
    server = NewestFirst(200, arrivals=lambda n: 3 if n == 2 else 0)
    got = read_all(server.api)
    assert sorted(got) == list(range(1, 204))
    assert len(got) == len(set(got))


def test_an_order_updated_between_two_reads_of_a_moving_list_is_handed_on_again() -> None:
    """The second read hands on what the first missed and what changed since it began (the
    writer keeps the newer version), never the whole list again."""
    server = NewestFirst(200, arrivals=lambda n: 3 if n == 2 else 0)
    refund = datetime.now(UTC).isoformat(timespec="seconds")

    def refunded_after_the_first_read(n: int) -> int:
        if n == 5:  # the first read's four pages are answered
            server.orders[199] = raw_order(200, updated_at=refund)
        return 3 if n == 2 else 0

    server.arrivals = refunded_after_the_first_read
    with make_client(server.api, max_concurrency=1) as client:
        got = [
            (order.id, order.updated_at_text) for page in orders.every_order_page(client) for order in page
        ]
    ids = [order_id for order_id, _ in got]
    assert sorted(set(ids)) == list(range(1, 204))
    assert [stamp for order_id, stamp in got if order_id == 200][-1].startswith(refund[:16])
    assert len(ids) == 203 + 1  # once each (the six the first read missed by the second), order 200 twice


def test_a_list_that_keeps_moving_fails_the_full_load() -> None:
    server = NewestFirst(160, arrivals=lambda n: 1)  # an order before every answer
    moved = r"the list moved while it was read \(out of id order: orderBy ignored, \d+ records repeated\)"
    with pytest.raises(QticketsProtocolError, match=moved):
        read_all(server.api)


class DeletedOutright:
    """A server that pages in id order and, before answering request `when`, deletes order
    `order_id` outright (not flagged with deleted_at); `phantoms` records its total counts but
    never lists."""

    def __init__(self, orders: int, order_id: int = 0, when: int = 0, phantoms: int = 0) -> None:
        self.orders = [raw_order(i) for i in range(1, orders + 1)]
        self.order_id, self.when, self.phantoms, self.answered = order_id, when, phantoms, 0
        self.api = FakeApi(orders=self.orders)
        self.api.override = self.answer

    def answer(self, request: httpx.Request) -> httpx.Response:
        with self.api._lock:
            self.answered += 1
            if self.answered == self.when:
                self.orders[:] = [order for order in self.orders if order["id"] != self.order_id]
            listed = list(self.orders)
        page = orjson.loads(request.content)["page"]
        paging = {"perPage": 50, "currentPage": page, "total": len(listed) + self.phantoms}
        return json_response({"data": listed[(page - 1) * 50 : page * 50], "paging": paging})


def test_an_order_deleted_outright_while_the_list_is_read_costs_no_other_order() -> None:
    """Order 30 (page 1, read) deleted before page 2 is answered: order 51 moved back onto page 1
    and no page held it, so the nightly rebuild replaced fact_sales without a live order."""
    server = DeletedOutright(160, order_id=30, when=2)
    got = read_all(server.api)
    assert sorted(got) == list(range(1, 161))  # each once; order 30 as read before it went
    assert server.answered == 4 + 4  # read again, once


def test_a_total_that_counts_orders_never_listed_is_taken_after_a_second_read(caplog) -> None:
    server = DeletedOutright(160, phantoms=2)
    assert sorted(read_all(server.api)) == list(range(1, 161))
    assert server.answered == 4 + 4
    assert "GET /orders: the total counts 2 records the list never shows" in caplog.text


def test_a_passing_503_is_not_taken_for_a_refused_filter(monkeypatch, caplog) -> None:
    """503s that outlast the retries of the updated orders' first page, then pass, read the whole
    account "because the server refuses the filter"; the filtered crawl is now tried again."""
    monkeypatch.setattr(retry, "sleep", lambda seconds, stop: None)
    api = FakeApi(orders=[raw_order(i) for i in range(1, 161)])
    failures = iter(range(2))  # the first page's try and its one retry
    api.override = lambda r: (
        unknown_error() if filters_updated_at(r) and next(failures, None) is not None else None
    )
    assert changed_ids(api) == expected_ids(api.tables["orders"])
    unfiltered = [b for b in api.bodies("/orders") if "where" not in b]
    assert len(unfiltered) == 1, "one probe without a where, never the whole account"
    assert "refuses a where" not in caplog.text


def test_a_filtered_crawl_that_keeps_failing_while_its_probe_answers_fails_the_run(monkeypatch) -> None:
    """The crawl of updated orders failed on each try while the one-request probes after it answered:
    after three tries the run returned as if it had read them, the refunds of older orders lost
    until the nightly rebuild. It now fails (the watermark stays where it was)."""
    monkeypatch.setattr(retry, "sleep", lambda seconds, stop: None)
    api = FakeApi(orders=[raw_order(i) for i in range(1, 161)])
    crawl = {"id": "asc"}  # the crawl's order; the probe asks newest first
    api.override = lambda r: (
        unknown_error() if filters_updated_at(r) and orjson.loads(r.content)["orderBy"] == crawl else None
    )
    with pytest.raises(QticketsUnavailable, match="HTTP 503"):
        changed_ids(api)


def test_a_refused_filter_falls_back_even_when_the_unfiltered_probe_meets_a_passing_503(monkeypatch) -> None:
    monkeypatch.setattr(retry, "sleep", lambda seconds, stop: None)
    raw = [raw_order(i) for i in range(1, 161)]
    api = FakeApi(orders=raw)
    blips = iter(range(1))  # the first unfiltered probe meets one 503

    def refuse_and_blip(request: httpx.Request) -> httpx.Response | None:
        if filters_updated_at(request):
            return json_response({"error": "Bad where", "status": 400}, 400)
        body = orjson.loads(request.content)
        if "where" not in body and body["orderBy"] == {"id": "desc"} and next(blips, None) is not None:
            return unknown_error()
        return None

    api.override = refuse_and_blip
    assert changed_ids(api) == expected_ids(raw)
