"""QticketsClient: every event, order and seat the API holds, typed, read with GET only."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from itertools import pairwise
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from . import paging
from .errors import (
    QticketsNotFound,
    QticketsPayloadError,
    QticketsProtocolError,
    QticketsRejected,
    QticketsUnavailable,
)
from .filters import Where, check_columns, matches_all
from .list_reports import MAX_CRAWLS, ListReport, OrderMarker, read_whole_in_id_order
from .models import Discount, Event, Order, PromoCode, Record, Seat, parse_record
from .native import NOT_FILTERABLE, NativeOrder, NativeOrderPage, decode_order_page, native_order
from .retry import RetryPolicy
from .rules import CLOCK_SKEW, ShowInventory, show_inventory
from .seats import SEAT_SELECT, joined_seat_pages, parse_show_seats, seat_map_pages, show_seat_counts
from .transport import ApiTransport

log = logging.getLogger(__name__)
RecordT = TypeVar("RecordT", bound=Record)
T = TypeVar("T")


class QticketsClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        max_concurrency: int = 8,
        timeout: float = 30.0,
        max_retries: int = 6,
        max_total_wait: float = 120.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        policy = RetryPolicy(max_retries=max_retries, max_total_wait=max_total_wait)
        self._api = ApiTransport(
            base_url,
            token,
            max_concurrency=max_concurrency,
            timeout=timeout,
            policy=policy,
            transport=transport,
        )
        # Workers only wait on the transport's semaphore, so the pool size just matches it.
        self._pool = ThreadPoolExecutor(max_workers=max_concurrency, thread_name_prefix="qtickets")
        # Pages or shows submitted and not yet handed on, at most: every worker busy, and as many
        # answers waiting for the consumer (memory stays bounded by this many pages or seat maps).
        self._window = 2 * max_concurrency

    def __repr__(self) -> str:
        return f"QticketsClient({self._api.root!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Stop: pages and seat maps not yet requested fail at once with QticketsClosed, so whoever
        still waits on them gets that error; requests in flight end as they would."""
        # Not shutdown(cancel_futures=True): a future cancelled that way never wakes a
        # concurrent.futures.wait() on it, and a crawl waiting for its last pages hung for good.
        self._api.refuse_new_requests()
        self._pool.shutdown(wait=True)
        self._api.close()

    # -- lists -----------------------------------------------------------------------------------

    def iter_event_pages(self, where: Sequence[Where] | None = None) -> Iterator[list[Event]]:
        """Every event (deleted ones too unless filtered), page by page as pages arrive (the server
        pages in id order; pages are handed on in the order their answers come back)."""
        if where:
            return self._records("/events", Event, list(where))
        return self._every_record("/events", Event)

    def iter_discount_pages(self) -> Iterator[list[Discount]]:
        """Every discount, deleted ones too, page by page (100 a page)."""
        return self._every_record("/discounts", Discount)

    def iter_promo_code_pages(self) -> Iterator[list[PromoCode]]:
        """Every promo code, deleted ones too, page by page (500 a page)."""
        return self._every_record("/promo-codes", PromoCode)

    def _every_record(self, endpoint: str, model: type[RecordT]) -> Iterator[list[RecordT]]:
        """Every record of an unfiltered list, each once: a table is replaced from it.

        A server that ignores `orderBy` may page by a column with ties (promo codes "grouped by
        discount_id") and order the ties anew for each request: a record then comes on two pages
        and another on none. The list counts as read when its pages came in id order, or when
        every record of its total was handed on; else it is read again, handing on only the
        records not read yet, and a list still short after MAX_CRAWLS reads fails the crawl.
        """
        handed: set[int] = set()
        shortfall: int | None = None
        for _ in range(MAX_CRAWLS):
            report = ListReport()
            for page in self._records(endpoint, model, [], report):
                fresh = [record for record in page if record.id not in handed]  # type: ignore[attr-defined]
                handed.update(record.id for record in fresh)  # type: ignore[attr-defined]
                yield fresh
            if read_whole_in_id_order(report, shortfall, endpoint) or len(handed) >= (report.total or 0):
                return
            shortfall = report.shortfall
            log.warning(
                f"GET {endpoint}: {len(handed)} distinct records of a total of {report.total} "
                f"({report.moved()}): reading it again"
            )
        raise QticketsProtocolError(
            f"GET {endpoint}: read {len(handed)} distinct records of a total of {report.total} in "
            f"{MAX_CRAWLS} reads, the list moving under each ({report.moved()}), so records came twice "
            "or not at all; nothing of it was stored"
        )

    def iter_order_pages(
        self, where: Sequence[Where] | None = None, *, report: ListReport | None = None
    ) -> Iterator[list[Order]]:
        """Every order matching `where`, page by page as pages arrive, each clause re-checked here.

        `report`, when given, is filled in as the pages arrive (see ListReport).
        """
        return self._records("/orders", Order, list(where or []), report)

    def iter_native_order_pages(
        self,
        where: Sequence[Where] | None = None,
        *,
        report: ListReport | None = None,
        keep: Callable[[NativeOrder], bool] | None = None,
    ) -> Iterator[list[NativeOrder]]:
        """`iter_order_pages`, each order read natively (see native.py): the same orders, as
        NativeOrder records, for a crawl that turns them into Arrow at once. Page 1, and any page
        the native reading cannot take exactly, are read the validated way (so fields the client
        does not know are still logged, and a bad field is named as `iter_order_pages` names it).

        `keep` replaces the local re-check of `where` (it must keep every order `where` matches):
        a crawl can then also keep orders a server that ignores `where` sends anyway."""
        where = list(where or [])
        check_columns(where, Order)
        if objects := [w.column for w in where if w.column in NOT_FILTERABLE]:
            raise ValueError(f"natively read orders cannot be filtered on {', '.join(objects)}")
        fetch = self._native_order_fetcher(_list_body(where))
        unfiltered = self._unfiltered_total("/orders", where)
        pages = paging.crawl(fetch, "/orders", self._pool, self._window, unfiltered_total=unfiltered)
        return self._kept(pages, where, report, keep)

    def _records(
        self,
        endpoint: str,
        model: type[RecordT],
        where: list[Where],
        report: ListReport | None = None,
    ) -> Iterator[list[RecordT]]:
        check_columns(where, model)
        fetch = self._page_fetcher(endpoint, model, _list_body(where))
        unfiltered = self._unfiltered_total(endpoint, where)
        pages = paging.crawl(fetch, endpoint, self._pool, self._window, unfiltered_total=unfiltered)
        return self._kept(pages, where, report)

    def _unfiltered_total(self, endpoint: str, where: list[Where]) -> Callable[[], int] | None:
        """For a crawl with a `where`: how to ask the total of the list without it (paging.crawl)."""
        return partial(self._list_total, endpoint, []) if where else None

    def _list_total(self, endpoint: str, where: list[Where]) -> int:
        """The server's `paging.total` for `where`, from page 1's envelope alone: an odd record on
        that page must not fail a count that never needed it."""
        body = {**_list_body(where), "page": 1}
        return paging.read_envelope(self._api.get_json(endpoint, body), endpoint, 1)[3]

    @staticmethod
    def _kept(
        pages: Iterator[paging.Page[T]],
        where: list[Where],
        report: ListReport | None,
        keep: Callable[[T], bool] | None = None,
    ) -> Iterator[list[T]]:
        """Each page's records that match `where` (re-checked here) or `keep`, and were not handed
        on before."""
        seen: set[int] = report.ids if report is not None else set()
        for page in pages:
            matching = [matches_all(where, r) for r in page.items]
            if report is not None:
                ids = [r.id for r in page.items]  # type: ignore[attr-defined]
                report.note(page, ids, matching.count(False), sum(i in seen for i in ids))
            wanted = matching if keep is None else [keep(r) for r in page.items]
            kept = [r for r, w in zip(page.items, wanted, strict=True) if w and r.id not in seen]  # type: ignore[attr-defined]
            seen.update(r.id for r in kept)  # type: ignore[attr-defined]
            if kept:
                yield kept

    def _page_fetcher(
        self, endpoint: str, model: type[RecordT], body: dict[str, Any]
    ) -> Callable[[int], paging.Page[RecordT]]:
        def fetch(number: int) -> paging.Page[RecordT]:
            payload = self._api.get_json(endpoint, {**body, "page": number})
            return _validated_page(payload, endpoint, number, model)

        return fetch

    def _native_order_fetcher(self, body: dict[str, Any]) -> Callable[[int], paging.Page[NativeOrder]]:
        def fetch(number: int) -> paging.Page[NativeOrder]:
            fast = decode_order_page if number > 1 else None
            payload = self._api.get_json("/orders", {**body, "page": number}, fast=fast)
            if isinstance(payload, NativeOrderPage):
                sent = payload.paging
                return paging.Page(payload.data, sent.per_page, sent.current_page, sent.total)
            page = _validated_page(payload, "/orders", number, Order)
            items = [native_order(order) for order in page.items]
            return paging.Page(items, page.per_page, page.current_page, page.total)

        return fetch

    # -- single objects and seats ----------------------------------------------------------------

    def get_order(self, order_id: int) -> Order | None:
        """One order, or None when the API says it does not exist (JSON 404 RESOURCE_NOT_FOUND)."""
        return self._get_one(f"/orders/{int(order_id)}", Order)

    def get_event(self, event_id: int) -> Event | None:
        """One event with its shows, or None when the API says it does not exist."""
        return self._get_one(f"/events/{int(event_id)}", Event)

    def _get_one(self, path: str, model: type[RecordT]) -> RecordT | None:
        try:
            payload = self._api.get_json(path)
        except QticketsNotFound:
            return None
        data = payload.get("data") if isinstance(payload, dict) else None
        return parse_record(model, data if data is not None else payload)

    def iter_show_seats(self, show_ids: Iterable[int]) -> Iterator[tuple[int, list[Seat]]]:
        """(show id, seats) for each show, fetched concurrently, as each answer arrives."""
        return self._per_show(show_ids, lambda show_id: parse_show_seats(self._seat_map(show_id), show_id))

    def iter_show_inventory(self, show_ids: Iterable[int]) -> Iterator[tuple[int, ShowInventory]]:
        """(show id, capacity and free places) for each show, fetched concurrently and counted as
        each answer arrives (without building a Seat per seat). `show_ids` is read lazily: it may
        be fed while the events are still being crawled."""
        return self._per_show(show_ids, self._show_inventory)

    def iter_show_inventory_or_why(
        self, show_ids: Iterable[int]
    ) -> Iterator[tuple[int, ShowInventory | str]]:
        """`iter_show_inventory`, but a show whose seats cannot be read for a reason of its own
        gives that reason instead of failing the others: the show is gone (a JSON 404), or its
        seat map is one the rules refuse (no seat, a seat with more free places than it has).
        Anything else (the API unavailable, the token refused, a wrong route) still fails."""
        return self._per_show(show_ids, self._show_inventory_or_why)

    def _show_inventory_or_why(self, show_id: int) -> ShowInventory | str:
        try:
            return self._show_inventory(show_id)
        except (QticketsNotFound, QticketsPayloadError) as error:
            return str(error)

    def _per_show(self, show_ids: Iterable[int], read: Callable[[int], T]) -> Iterator[tuple[int, T]]:
        return paging.unordered_map(self._pool, read, (int(show_id) for show_id in show_ids), self._window)

    def _show_inventory(self, show_id: int) -> ShowInventory:
        return show_inventory(show_seat_counts(self._seat_map(show_id), show_id), show_id)

    def _seat_map(self, show_id: int) -> Any:
        """The show's seat map, documented unpaged (conf. M): an answer that carries `paging` with
        more pages is read to its last one (one page of a hall counted as the hall would undercount
        its seats without a word), and their `data` joined."""
        path, body = f"/shows/{show_id}/seats", {"flat": True, "select": list(SEAT_SELECT)}
        first = self._api.get_json(path, body)
        more = seat_map_pages(first, path)
        if not more:
            return first
        parts = [first["data"], *(self._api.get_json(path, {**body, "page": n})["data"] for n in more)]
        return {**first, "data": joined_seat_pages(parts, first["paging"], path)}

    # -- the sensor's cheap check ----------------------------------------------------------------

    def latest_order_marker(self) -> OrderMarker:
        """Newest order id and update time in at most 3 requests.

        Asks for page 1 sorted descending. If the server ignored `orderBy` (ids ascending on a page
        of several orders), the newest id is on the last page, and the newest update time cannot
        be found without a full crawl, so it is reported as unknown (None). So it is when the
        server ignores `orderBy` while paging newest id first (see `_ignores_sort_by_update`).
        """
        by_id = self._first_page({"orderBy": {"id": "desc"}})
        if not by_id.items:
            return OrderMarker(None, None)
        ids = [o.id for o in by_id.items]
        if _descending(ids) or by_id.total <= 1:
            max_id = max(ids)
        else:
            last = paging.page_count(by_id, "/orders")
            if last > 1:
                ids += [
                    o.id
                    for o in self._page_fetcher("/orders", Order, {"orderBy": {"id": "desc"}})(last).items
                ]
            return OrderMarker(max(ids), None)
        try:
            by_update = self._first_page({"orderBy": {"updated_at": "desc"}})
        except (QticketsUnavailable, QticketsRejected) as refused:
            if self.answers(order_by="updated_at") or not self.answers(retries=None):
                raise  # a passing fault (it answers now), or the API down: not the sort
            log.warning(
                f"GET /orders refuses to sort by updated_at ({refused}); its newest update is unknown"
            )
            return OrderMarker(max_id, None)
        stamps = [o.updated_at for o in by_update.items]
        if self._ignores_sort_by_update(by_update, ids):
            return OrderMarker(max_id, None)
        # The server honours orderBy (the page by id came back descending), so equal times are a
        # burst of updates in one second, not a sort it ignored.
        honoured = all(a >= b for a, b in pairwise(stamps))
        newest = max(stamps) if honoured and stamps else None
        if newest is not None and newest > datetime.now(UTC) + CLOCK_SKEW:
            # An order stamped ahead (a clock running fast, a bad record) would stay the newest
            # update, and hide every real one behind it: unknown, as for a server that cannot sort.
            log.warning(f"GET /orders: the newest update is stamped {newest.isoformat()}, ahead of our clock")
            return OrderMarker(max_id, None)
        return OrderMarker(max_id, newest)

    def _ignores_sort_by_update(self, by_update: paging.Page[Order], ids_by_id: list[int]) -> bool:
        """Whether a server that sent page 1 by id descending ignores a sort by update time.

        A server that ignores `orderBy` and pages newest id first passes the check by id, and its
        page "by update" holds the newest orders, not the latest updated: an old order refunded
        now is on no page 1, and the sensor would never see it. The same page for both sorts is
        also what an honouring server sends while no old order changed, so the oldest update first
        tells them apart (one more request, only then): an honouring server sends other orders.
        """
        ids = [o.id for o in by_update.items]
        if by_update.total <= len(ids) or ids != ids_by_id:
            return False  # the whole list (its newest update is on it), or a sort by update time
        oldest_first = self._first_page({"orderBy": {"updated_at": "asc"}})
        return [o.id for o in oldest_first.items] == ids

    def count_orders(self, where: Sequence[Where] | None = None) -> int:
        """The server's `paging.total` for `where` (one request; the whole list if it ignores filters)."""
        where = list(where or [])
        check_columns(where, Order)
        return self._list_total("/orders", where)

    def answers(self, where: Sequence[Where] = (), order_by: str = "id", *, retries: int | None = 0) -> bool:
        """Whether GET /orders answers page 1 with `where`, sorted by `order_by` descending, at the
        first try by default: tells a filter or sort the server refuses from a fault that passed
        (`retries=None`: as the policy retries, to tell an API that answers from one that is down)."""
        body = {**_list_body(list(where)), "orderBy": {order_by: "desc"}, "page": 1}
        try:
            self._api.get_json("/orders", body, retries=retries)
        except (QticketsUnavailable, QticketsRejected):
            return False
        return True

    def _first_page(self, body: dict[str, Any]) -> paging.Page[Order]:
        return self._page_fetcher("/orders", Order, body)(1)


def _validated_page(payload: Any, endpoint: str, number: int, model: type[RecordT]) -> paging.Page[RecordT]:
    raw, per_page, current, total = paging.read_envelope(payload, endpoint, number)
    return paging.Page([parse_record(model, item) for item in raw], per_page, current, total)


def _list_body(where: Sequence[Where]) -> dict[str, Any]:
    """A list request: id order (stable while new records are appended), filters in the JSON body."""
    body: dict[str, Any] = {"orderBy": {"id": "asc"}}
    if where:
        body["where"] = [clause.to_json() for clause in where]
    return body


def _descending(values: Sequence[Any]) -> bool:
    """Non-increasing, and strictly lower at the end when there are several (so not a flat run)."""
    return all(a >= b for a, b in pairwise(values)) and (len(values) < 2 or values[0] > values[-1])
