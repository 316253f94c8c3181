"""Every page of a list endpoint, fetched concurrently and handed on as each one arrives.

The envelope is `{"data": [...], "paging": {"perPage", "currentPage", "total"}}` (no lastPage).
Page 1 fixes the page count, so the crawl cannot loop forever; pages 2..N are fetched through
`unordered_map`: a bounded window (memory stays flat), each page handed on when it arrives, so one
slow answer never holds back the others nor the requests behind them.

A list asked with a `where` has two readings of its `total` to survive: the filtered list's own
(documented) or the unfiltered list's (the pages filtered, the count not). Such a list ends at its
first short page, its pages go out a few at a time until then, and an empty page below the total
is the list's end only when the unfiltered total says the server counts that way (`ends_at`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, TypeVar

from .errors import QticketsProtocolError

log = logging.getLogger(__name__)
T = TypeVar("T")
ItemT = TypeVar("ItemT")
MAX_PAGES = 100_000  # 5 M orders at 50 per page: far beyond any organiser, small enough to stop a runaway


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    per_page: int
    current_page: int
    total: int


def read_envelope(payload: Any, endpoint: str, page: int) -> tuple[list[Any], int, int, int]:
    """(raw items, perPage, currentPage, total) from a list response, or a protocol error."""
    if not isinstance(payload, dict) or "data" not in payload:
        raise QticketsProtocolError(f"GET {endpoint} page {page}: the answer has no `data` list")
    data, paging = payload["data"], payload.get("paging")
    if isinstance(data, dict):  # a PHP associative array keyed by id
        data = list(data.values())
    if not isinstance(data, list):
        kind = type(data).__name__
        raise QticketsProtocolError(f"GET {endpoint} page {page}: `data` is a {kind}, not a list")
    if not isinstance(paging, dict):
        # Without a total there is no way to know the list is complete: refuse rather than stop early.
        raise QticketsProtocolError(f"GET {endpoint} page {page}: the answer has no `paging` object")
    try:
        per_page, current, total = (int(paging[k]) for k in ("perPage", "currentPage", "total"))
    except (KeyError, TypeError, ValueError):
        raise QticketsProtocolError(f"GET {endpoint} page {page}: unreadable paging {paging!r}") from None
    return data, per_page, current, total


def check_number(page: Page[Any], endpoint: str, requested: int) -> None:
    """A page must be the one asked for."""
    if page.current_page != requested:
        # The server ignored `page`: every "page" would be page 1 and de-duplication would hide it.
        raise QticketsProtocolError(
            f"GET {endpoint}: asked for page {requested}, got page {page.current_page} (total {page.total})"
        )


def is_hole(page: Page[Any], requested: int) -> bool:
    """An empty page where the total says records remain."""
    return not page.items and (requested - 1) * max(page.per_page, 1) < page.total


def hole_error(page: Page[Any], endpoint: str, requested: int) -> QticketsProtocolError:
    return QticketsProtocolError(
        f"GET {endpoint}: page {requested} is empty but the total is {page.total} "
        f"({page.per_page} per page); the list changed or the server lost records mid-crawl"
    )


def page_count(first: Page[Any], endpoint: str, max_pages: int = MAX_PAGES) -> int:
    if first.total < 0 or (first.total > 0 and first.per_page <= 0):
        raise QticketsProtocolError(
            f"GET {endpoint}: impossible paging perPage={first.per_page} total={first.total}"
        )
    count = math.ceil(first.total / first.per_page) if first.total else 1
    if count > max_pages:
        raise QticketsProtocolError(f"GET {endpoint}: {count} pages exceeds the cap of {max_pages}")
    return count


def crawl(
    fetch: Callable[[int], Page[T]],
    endpoint: str,
    executor: Executor,
    window: int,
    *,
    unfiltered_total: Callable[[], int] | None = None,
) -> Iterator[Page[T]]:
    """Page 1 first, then pages 2..N concurrently, at most `window` ahead, in the order they arrive.

    `unfiltered_total`, for a list asked with a `where`: the total of the list without it (one
    request). Asked only when pages come back empty below the total, to tell a server whose total
    counts the unfiltered list (the filtered list ended: nothing more matches) from one that lost
    the records of those pages (an error; the run stores nothing of the list).
    """
    filtered = unfiltered_total is not None
    first = fetch(1)
    check_number(first, endpoint, 1)
    if is_hole(first, 1):
        # Nothing matches, on a server whose total counts the unfiltered list: every incremental
        # run with nothing new failed "page 1 is empty". Taken only when the totals say so: an
        # empty page 1 on an honest server lost its records (read as "nothing new", they were
        # missed without a word).
        if not ends_at(1, fetch, executor, unfiltered_total):
            raise hole_error(first, endpoint, 1)
        log.info(f"GET {endpoint}: nothing matches (page 1 is empty; the total {first.total} counts more)")
    yield first
    held = {1: len(first.items)}  # records per page read
    holes: dict[int, Page[T]] = {}
    # A filtered list (new ids, or updated since: it never shrinks) ends at its first short page:
    # no page after it is asked for. When its total says more pages than a window holds, they go
    # out one at a time, one more with each page that comes back full (twice as many a round
    # trip, up to `window`): where the total counts the unfiltered list (hundreds of pages), a
    # whole window asked ~15 pages past the short one, all empty; now at most the pages in flight
    # when the short one arrives. A list of a window or less goes out at once.
    short = [1] if filtered and len(first.items) < first.per_page else []
    pages = page_count(first, endpoint)
    in_flight = [1 if filtered and pages - 1 > window else window]
    numbers = _until_short(iter(range(2, pages + 1)), short)
    for number, page in unordered_map(executor, fetch, numbers, lambda: in_flight[0]):
        check_number(page, endpoint, number)
        if is_hole(page, number):
            holes[number] = page  # judged once every page is in
            if filtered:  # an empty page is a short one: a filtered list may end on a full page
                short[:] = [min([number, *short])]
            continue
        held[number] = len(page.items)
        if filtered and len(page.items) < page.per_page:
            short[:] = [min([number, *short])]
        elif filtered:
            in_flight[0] = min(in_flight[0] + 1, window)
        yield page
    if holes:
        _judge_holes(
            holes,
            held,
            first,
            endpoint,
            partial(ends_at, fetch=fetch, executor=executor, unfiltered_total=unfiltered_total),
        )


def _until_short(numbers: Iterator[int], short: list[int]) -> Iterator[int]:
    """`numbers`, read lazily, up to the first short page once one is seen (`short`, filled in)."""
    for number in numbers:
        if short and number > short[0]:
            return
        yield number


def _judge_holes(
    holes: dict[int, Page[Any]],
    held: dict[int, int],
    first: Page[Any],
    endpoint: str,
    ends_at: Callable[[int], bool],
) -> None:
    """Empty pages after the last page that held records, on a server whose total counts the
    unfiltered list: the filtered list ended there, short or exactly full (a note). Any other empty
    page is a hole: one before a page with records, or one below a total that is the list's own."""
    last, number = max(held), min(holes)
    if number > last and ends_at(number):
        log.info(
            f"GET {endpoint}: the total says {first.total} but the pages hold {sum(held.values())} "
            f"(pages {number}-{max(holes)} empty after page {last}): the list ends there"
        )
        return
    raise hole_error(holes[number], endpoint, number)


def ends_at(
    number: int,
    fetch: Callable[[int], Page[Any]],
    executor: Executor,
    unfiltered_total: Callable[[], int] | None,
) -> bool:
    """Whether a filtered list whose page `number` came back empty below its total ends there.

    The page is asked again beside the unfiltered list's total, both sent at once (a record added
    in between would tell them apart): it ends there when the page is empty again and its total
    is the unfiltered list's (a server that counts the list without its filter). A total below that
    is the filtered list's own, so the page lost its records; records on the page now: it lost them
    for a moment. Either is a hole. (A filter that matches every record, or a page lost at every
    asking, cannot be told apart.)
    """
    if unfiltered_total is None:
        return False
    again, whole = _submitted(executor, fetch, number), _submitted(executor, lambda _: unfiltered_total(), 0)
    page = again.result()
    return not page.items and page.total == whole.result()


def unordered_map(
    executor: Executor, fn: Callable[[ItemT], T], items: Iterable[ItemT], window: int | Callable[[], int]
) -> Iterator[tuple[ItemT, T]]:
    """(item, fn(item)) for every item, computed on `executor`, yielded as each one finishes.

    At most `window` items (or as many as it says, asked each time) are submitted and not yet
    handed on, so memory stays bounded; since results leave in the order they finish, a slow one
    holds back only itself. `items` is read lazily and may block (a queue fed by another crawl).
    The first error is raised as its item's turn comes; whatever is still pending is cancelled
    when the consumer stops or fails.
    """
    pending: dict[Future[T], ItemT] = {}
    upcoming = iter(items)
    exhausted = False
    limit = window if callable(window) else lambda: window
    try:
        while True:
            while not exhausted and len(pending) < limit():
                try:
                    item = next(upcoming)
                except StopIteration:
                    exhausted = True
                else:
                    pending[_submitted(executor, fn, item)] = item
            if not pending:
                return
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield pending.pop(future), future.result()
    finally:
        for future in pending:  # the consumer stopped early or a result failed: drop the rest
            future.cancel()


def _submitted(executor: Executor, fn: Callable[[ItemT], T], item: ItemT) -> Future[T]:
    """`fn(item)` submitted to `executor`; once the executor is shut down (its client closing while
    a crawl was still handing out pages), run here instead, so that the crawl ends with `fn`'s own
    error (a closing client's fetch fails at once, sending nothing: QticketsClosed) rather than
    the executor's "cannot schedule new futures after shutdown"."""
    try:
        return executor.submit(fn, item)
    except RuntimeError:
        ran: Future[T] = Future()
        try:
            ran.set_result(fn(item))
        except Exception as exc:
            ran.set_exception(exc)
        return ran
