from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import orjson
import pytest

from qtickets_assets.lib.qtickets.errors import QticketsClosed, QticketsError, QticketsProtocolError
from qtickets_assets.lib.qtickets.filters import Where
from qtickets_assets.lib.qtickets.paging import unordered_map

from .fakes import FakeApi, json_response, make_client, raw_event, raw_order


def test_every_order_page_is_collected_once() -> None:
    api = FakeApi(orders=[raw_order(i) for i in range(1, 124)])
    with make_client(api) as client:
        pages = list(client.iter_order_pages())
    assert sorted(len(p) for p in pages) == [23, 50, 50]
    assert sorted(o.id for p in pages for o in p) == list(range(1, 124))
    assert sorted(b["page"] for b in api.bodies("/orders")) == [1, 2, 3]
    assert {b["orderBy"]["id"] for b in api.bodies("/orders")} == {"asc"}


def test_events_use_their_own_page_size() -> None:
    api = FakeApi(events=[raw_event(i) for i in range(100, 131)])
    with make_client(api) as client:
        pages = list(client.iter_event_pages())
    # Page 1 first; pages 2..4 in the order they answer.
    assert len(pages[0]) == 10 and sorted(len(p) for p in pages) == [1, 10, 10, 10]
    assert sorted(e.id for p in pages for e in p) == list(range(100, 131))


def test_empty_account_gives_no_pages_after_one_request() -> None:
    api = FakeApi()
    with make_client(api) as client:
        assert list(client.iter_order_pages()) == []
    assert len(api.requests) == 1


def test_requests_in_flight_never_exceed_the_limit() -> None:
    api = FakeApi(orders=[raw_order(i) for i in range(1, 501)], delay=0.05)
    with make_client(api, max_concurrency=3) as client:
        ids = [o.id for p in client.iter_order_pages() for o in p]
    assert len(ids) == 500
    assert api.peak == 3  # 9 pages after page 1, fetched 3 at a time, never 4


def test_one_limit_covers_pool_work_and_calls_from_the_caller() -> None:
    seats = {
        sid: {"s": {"id": "s", "root_id": "r", "max_quantity": 1, "free_quantity": 0}} for sid in range(20)
    }
    api = FakeApi(orders=[raw_order(1)], seats=seats, delay=0.03)
    with make_client(api, max_concurrency=2) as client:
        for show_id, _ in client.iter_show_seats(range(20)):
            if show_id % 4 == 0:
                client.get_order(1)  # from the consumer thread while workers are busy
    assert api.peak == 2


def test_empty_page_before_the_total_is_an_error_naming_endpoint_page_total() -> None:
    api = FakeApi(orders=[raw_order(i) for i in range(1, 124)])
    api.override = lambda r: (
        json_response({"data": [], "paging": {"perPage": 50, "currentPage": 2, "total": 123}})
        if b'"page":2' in r.content
        else None
    )
    with make_client(api) as client, pytest.raises(QticketsProtocolError) as err:
        list(client.iter_order_pages())
    assert "GET /orders: page 2 is empty but the total is 123" in str(err.value)


ORDERS = [raw_order(i) for i in range(1, 161)]


def serving(held: list[dict], total: int, whole: int | None = None, lost: tuple[int, ...] = ()) -> FakeApi:
    """A server whose filtered pages hold `held` (whatever is asked) while their paging says
    `total`; the unfiltered list says `whole` (`total` when not given: a total that counts the
    unfiltered list). The pages in `lost` come back empty."""

    def answer(request: httpx.Request) -> httpx.Response:
        body = orjson.loads(request.content)
        page = body["page"]
        count = total if "where" in body else (total if whole is None else whole)
        data = [] if page in lost else held[(page - 1) * 50 : page * 50]
        return json_response({"data": data, "paging": {"perPage": 50, "currentPage": page, "total": count}})

    api = FakeApi(orders=ORDERS)
    api.override = answer
    return api


def above_100(api: FakeApi, **client: int) -> list[int]:
    with make_client(api, **client) as c:
        return sorted(o.id for page in c.iter_order_pages([Where("id", ">", 100)]) for o in page)


def pages_asked(api: FakeApi) -> list[tuple[bool, int]]:
    """(filtered, page) of each request, in the order sent."""
    return [("where" in body, body["page"]) for body in api.bodies("/orders")]


def test_a_total_that_counts_the_unfiltered_list_ends_at_the_short_page_asking_nothing_past_it() -> None:
    """A server that filters the records but counts the whole list in `total`: every incremental
    run failed with "page 3 is empty", then asked ~15 pages past the short one (a whole window),
    all empty. A filtered list whose total says more pages than a window goes out one page, then
    two... while they come back full."""
    api = serving(ORDERS[100:], 10_000)
    assert above_100(api) == list(range(101, 161))
    assert pages_asked(api) == [(True, 1), (True, 2)]


def test_a_filtered_list_of_a_window_or_less_goes_out_at_once_and_ends_at_its_short_page(caplog) -> None:
    """Total 160 counting the unfiltered list, 60 new orders: pages 2-4 go out together (a list
    that a total says fits a window is read at full speed), 3 and 4 come back empty past the short
    page 2, and the unfiltered total says the list ends there."""
    caplog.set_level("INFO")
    api = serving(ORDERS[100:], 160)
    assert above_100(api) == list(range(101, 161))
    assert "the total says 160 but the pages hold 60 (pages 3-4 empty after page 2)" in caplog.text
    assert sorted(pages_asked(api)) == [(False, 1), (True, 1), (True, 2), (True, 3), (True, 3), (True, 4)]


def test_a_filtered_list_that_fills_its_last_page_exactly_ends_there(caplog) -> None:
    """Exactly 50 new orders (a full page) with a total counting the unfiltered list: page 2 came
    back empty, and every incremental run failed with "page 2 is empty but the total is 10000" until
    the count of new orders changed. Page 2 asked again is empty again, its total the unfiltered
    list's: the list ends there (a note), and no page past page 2 is asked for."""
    caplog.set_level("INFO")
    api = serving(ORDERS[100:150], 10_000)
    assert above_100(api, max_concurrency=2) == list(range(101, 151))
    assert "the total says 10000 but the pages hold 50" in caplog.text
    assert sorted(pages_asked(api)) == [(False, 1), (True, 1), (True, 2), (True, 2)]


def test_a_filtered_list_with_nothing_to_match_is_empty_whatever_its_total_counts(caplog) -> None:
    """No new order, on a server whose total counts the unfiltered 160: page 1 came back empty and
    every incremental run with nothing new failed with "page 1 is empty but the total is 160"."""
    caplog.set_level("INFO")
    api = serving([], 160)
    assert above_100(api) == []
    assert sorted(pages_asked(api)) == [(False, 1), (True, 1), (True, 1)], "no page past page 1"
    assert "nothing matches (page 1 is empty; the total 160 counts more)" in caplog.text


@pytest.mark.parametrize("lost", [(1,), (2,)], ids=["page 1", "page 2 of 2"])
def test_a_filtered_page_lost_below_a_total_that_is_the_lists_own_is_a_hole(lost) -> None:
    """60 new orders, the total the filtered list's own (the unfiltered list has 160): a page that
    came back empty lost its records. Taken for "nothing more matches", the run succeeded with its
    checks green and those orders missing (a refund on them stayed a sale)."""
    api = serving(ORDERS[100:], 60, whole=160, lost=lost)
    with pytest.raises(QticketsProtocolError, match=f"page {lost[0]} is empty but the total is 60"):
        above_100(api)


@pytest.mark.parametrize("page", [1, 2])
def test_a_filtered_page_lost_for_a_moment_is_a_hole_whatever_the_total_counts(page) -> None:
    """A page that came back empty and holds records when asked again lost them for a moment,
    also where the total counts the unfiltered list (120 new orders on such a server: taken for
    the list's end, 70 or all 120 of them were missed by a run that succeeded)."""
    held = [raw_order(i) for i in range(101, 221)]
    api = serving(held, 1_000)
    answer, asked = api.override, []

    def lost_once(request: httpx.Request) -> httpx.Response:
        body = orjson.loads(request.content)
        asked.append(("where" in body, body["page"]))
        if asked.count((True, page)) == 1 and asked[-1] == (True, page):
            paging = {"perPage": 50, "currentPage": page, "total": 1_000}
            return json_response({"data": [], "paging": paging})
        return answer(request)

    api.override = lost_once
    with pytest.raises(QticketsProtocolError, match=f"page {page} is empty but the total is 1000"):
        above_100(api)


def test_a_long_filtered_list_is_read_whole_in_as_many_requests_as_pages() -> None:
    """Its pages go out one, two, four... at a time, up to the window: no page is asked twice or
    past the end, and every record is read."""
    orders = [raw_order(i) for i in range(1, 1001)]
    api = FakeApi(orders=orders, delay=0.01)
    with make_client(api, max_concurrency=4) as client:
        read = sorted(o.id for page in client.iter_order_pages([Where("id", ">", 100)]) for o in page)
    assert read == list(range(101, 1001))
    assert sorted(page for _, page in pages_asked(api)) == list(range(1, 19))
    assert api.peak == 4


def test_an_empty_page_before_one_with_records_is_a_hole_on_a_filtered_list_too() -> None:
    """Records after an empty page: the server lost the empty page's records, the list did not end,
    whatever its total counts. (Pages 1 and 2 full, so pages 3 and 4 go out together.)"""
    orders = [raw_order(i) for i in range(101, 261)]

    def answer(request: httpx.Request) -> httpx.Response:
        page = orjson.loads(request.content)["page"]
        held = {1: orders[:50], 2: orders[50:100], 4: orders[150:160]}.get(page, [])
        return json_response({"data": held, "paging": {"perPage": 50, "currentPage": page, "total": 500}})

    api = FakeApi(orders=orders)
    api.override = answer
    with pytest.raises(QticketsProtocolError, match="page 3 is empty but the total is 500"):
        above_100(api, max_concurrency=4)


def test_an_unfiltered_list_that_ends_short_of_its_total_is_a_hole() -> None:
    """Its total is the list's own: a short page then empty ones is a server that lost records,
    and a full load replacing fact_sales with it would delete them."""
    api = serving(ORDERS[:110], 160)
    with (
        make_client(api) as client,
        pytest.raises(QticketsProtocolError, match="page 4 is empty but the total is 160"),
    ):
        list(client.iter_native_order_pages())


def test_a_server_that_ignores_page_is_caught_not_deduplicated_away() -> None:
    api = FakeApi(orders=[raw_order(i) for i in range(1, 124)])
    api.override = lambda r: json_response(
        {
            "data": [raw_order(i) for i in range(1, 51)],
            "paging": {"perPage": 50, "currentPage": 1, "total": 123},
        }
    )
    with (
        make_client(api) as client,
        # Pages 2 and 3 are in flight together: whichever answers first is caught.
        pytest.raises(QticketsProtocolError, match=r"asked for page [23], got page 1 \(total 123\)"),
    ):
        list(client.iter_order_pages())


def test_missing_paging_is_refused() -> None:
    transport = httpx.MockTransport(lambda r: json_response({"data": [raw_order(1)]}))
    with make_client(transport) as client, pytest.raises(QticketsProtocolError, match="no `paging`"):
        list(client.iter_order_pages())


def test_ids_repeated_across_pages_are_yielded_once() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.content.decode().split('"page":')[1].rstrip("}"))
        ids = {1: [1, 2], 2: [2, 3]}[page]  # a row slid from page 1 to page 2 mid-crawl
        return json_response(
            {"data": [raw_order(i) for i in ids], "paging": {"perPage": 2, "currentPage": page, "total": 4}}
        )

    with make_client(httpx.MockTransport(handler)) as client:
        assert [o.id for p in client.iter_order_pages() for o in p] == [1, 2, 3]


def test_page_count_is_fixed_by_page_one() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.content.decode().split('"page":')[1].rstrip("}"))
        calls.append(page)
        total = 3 if page == 1 else 10_000  # a total that grows mid-crawl does not extend the crawl
        return json_response(
            {"data": [raw_order(page)], "paging": {"perPage": 1, "currentPage": page, "total": total}}
        )

    with make_client(httpx.MockTransport(handler)) as client:
        # Pages 2 and 3 are in flight together and handed on as they answer.
        assert sorted(o.id for p in client.iter_order_pages() for o in p) == [1, 2, 3]
    assert sorted(calls) == [1, 2, 3]


def held_back_until(others_handed_on: threading.Event) -> None:
    """The slow answer: it comes only once the consumer holds every other answer. No race with the
    clock (a fixed sleep lost to 18 fast pages on a loaded machine); the wait's limit only ends the
    test when answers are handed on in request order, where the others could never arrive first."""
    others_handed_on.wait(timeout=30)


def test_a_slow_page_holds_back_only_itself() -> None:
    """Pages are handed on as they arrive: while page 2 is held back, the other 18 pages are
    fetched and handed on through both request slots (in page order they would all wait for it)."""
    api = FakeApi(orders=[raw_order(i) for i in range(1, 1001)])
    real_route = api._route
    others_handed_on = threading.Event()

    def slow_page_two(request: httpx.Request) -> httpx.Response:
        if request.content.endswith(b'"page":2}'):
            held_back_until(others_handed_on)
        return real_route(request)

    api._route = slow_page_two  # type: ignore[method-assign]
    pages: list[int] = []
    with make_client(api, max_concurrency=2) as client:
        for page in client.iter_order_pages():
            pages.append(page[0].id)
            if len(pages) == 19:  # page 1 and pages 3..20
                others_handed_on.set()
    assert len(pages) == 20 and pages[-1] == 51, "page 2 (orders 51..100) should come last"
    assert api.peak == 2


def test_a_slow_seat_map_holds_back_only_itself() -> None:
    seats = {
        sid: {"s": {"id": "s", "root_id": "r", "max_quantity": 2, "free_quantity": 1}} for sid in range(30)
    }
    api = FakeApi(seats=seats)
    real_route = api._route
    others_handed_on = threading.Event()

    def slow_show_zero(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/shows/0/seats"):
            held_back_until(others_handed_on)
        return real_route(request)

    api._route = slow_show_zero  # type: ignore[method-assign]
    order: list[int] = []
    with make_client(api, max_concurrency=2) as client:
        for show_id, _ in client.iter_show_inventory(range(30)):
            order.append(show_id)
            if len(order) == 29:  # shows 1..29
                others_handed_on.set()
    assert sorted(order) == list(range(30)) and order[-1] == 0


def test_closing_the_client_ends_a_crawl_waiting_for_its_last_pages() -> None:
    """A run whose step failed closes its client while the orders crawl waits for pages already
    submitted (the run then never ended: `dg launch` hung after the step failure). Pages requested
    before the close may still arrive; the ones not yet sent fail at once with a clear error."""
    api = FakeApi(orders=[raw_order(i) for i in range(1, 226)])  # 5 pages of 50
    real_route = api._route
    entered, release = threading.Semaphore(0), threading.Event()

    def held_pages(request: httpx.Request) -> httpx.Response:
        if not request.content.endswith(b'"page":1}'):
            entered.release()
            release.wait(timeout=30)
        return real_route(request)

    api._route = held_pages  # type: ignore[method-assign]
    client = make_client(api, max_concurrency=2)  # pages 2..5 submitted at once: 2 sent, 2 queued
    pages: list[int] = []
    failure: list[BaseException] = []

    def consume() -> None:
        try:
            pages.extend(page[0].id for page in client.iter_order_pages())
        except QticketsError as exc:
            failure.append(exc)

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    assert entered.acquire(timeout=10) and entered.acquire(timeout=10), "two pages should be in flight"
    closer = threading.Thread(target=client.close, daemon=True)
    closer.start()
    while not client._api._closing.is_set():  # close() has begun: it now waits for the two in flight
        closer.join(timeout=0.01)
    release.set()
    consumer.join(timeout=10)
    closer.join(timeout=10)
    assert not consumer.is_alive(), "the crawl still waits 10 s after its client was closed"
    assert not closer.is_alive()
    # Page 1, then pages 2 and 3 (in flight at the close) as they arrive, until a queued page fails.
    assert pages[0] == 1 and set(pages) <= {1, 51, 101}
    assert [type(exc) for exc in failure] == [QticketsClosed]
    assert str(failure[0]) == "GET /orders was not sent: the Qtickets client is closing"
    assert sorted(body["page"] for body in api.bodies("/orders")) == [1, 2, 3]


def test_a_page_handed_out_after_the_close_fails_with_the_clients_own_error() -> None:
    """The client closed (its pool shut down) while a crawl was still handing out pages: the next
    page fails with the fetch's own clear error, not the pool's "cannot schedule new futures"."""
    pool = ThreadPoolExecutor(max_workers=1)
    pool.shutdown()
    fetched: list[int] = []

    def closed_fetch(number: int) -> int:
        fetched.append(number)
        raise QticketsClosed("GET /orders was not sent: the Qtickets client is closing")

    with pytest.raises(QticketsClosed, match="GET /orders was not sent"):
        list(unordered_map(pool, closed_fetch, [2, 3, 4], window=2))
    assert fetched == [2, 3]  # the window's pages; the crawl ends at the first failure
