"""The orders a sales run reads, and their tickets spooled to disk as they arrive.

A full load reads every order; an incremental one reads new orders (id above the stored maximum)
and orders updated since the stored watermark minus an overlap. Pages become Arrow tables of the
crawled ticket columns (`tickets.tickets_table`) that go to an unnamed temporary file block by
block, so a run holds one block of orders (BLOCK_ORDERS), never the account.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import NamedTuple, cast

import pyarrow as pa
import pyarrow.compute as pc

from qtickets_assets.lib import order_flags, tickets
from qtickets_assets.lib.clickhouse.ddl import table_schema, to_arrow_schema
from qtickets_assets.lib.clickhouse.writers import in_blocks
from qtickets_assets.lib.local_days import Calendar
from qtickets_assets.lib.qtickets.client import QticketsClient
from qtickets_assets.lib.qtickets.errors import QticketsProtocolError, QticketsRejected, QticketsUnavailable
from qtickets_assets.lib.qtickets.filters import Where, matches_all
from qtickets_assets.lib.qtickets.list_reports import (
    MAX_CRAWLS,
    ListReport,
    OrderMarker,
    read_whole_in_id_order,
)
from qtickets_assets.lib.qtickets.models import Order
from qtickets_assets.lib.qtickets.native import NativeOrder
from qtickets_assets.lib.qtickets.rules import CLOCK_SKEW
from qtickets_assets.lib.spool import ArrowSpool

# Orders per tickets table: a table costs ~0.5 ms a page built from 20 pages, ~1.1 ms built from
# one (each Arrow call costs more than its values), CPU the page fetchers need while the crawl runs.
BLOCK_ORDERS = 1_000
log = logging.getLogger(__name__)


def every_order_page(client: QticketsClient) -> Iterator[list[NativeOrder]]:
    """Every order, for a full load (which replaces fact_sales: an order missed here would be
    deleted from the mart).

    Read in id order, no order added meanwhile can slip past the crawl; one deleted outright (the
    API flags deletions, this is not expected) moves the orders after it back a place, and a read
    that held fewer orders than its total is done again. A server that ignores `orderBy` and pages
    some other way (newest first, by update time) moves records from page to page as orders are
    added or updated while it is read: one may be read twice and another not at all. Such a crawl
    counts as whole only when its pages held the total, each order once, and the total did not
    change; else it is read again, handing on the orders the crawls before missed and those
    updated since the first began (the writer keeps an order's newer version), and a list that
    kept moving fails the load rather than replace the table with one that lacks orders.
    """
    began = datetime.now(UTC) - CLOCK_SKEW
    handed: set[int] = set()
    shortfall: int | None = None
    for crawl in range(MAX_CRAWLS):
        report = ListReport()
        pages = client.iter_native_order_pages(report=report)
        if crawl == 0:
            yield from pages
        else:
            yield from ([o for o in page if o.id not in handed or o.updated_at >= began] for page in pages)
        if read_whole_in_id_order(report, shortfall, "/orders"):
            return
        if report.each_once and client.count_orders() == report.total:
            return
        handed = handed | report.ids if handed else report.ids
        shortfall = report.shortfall
        log.warning(f"GET /orders moved while it was read ({report.moved()}): reading it again")
    raise QticketsProtocolError(
        f"GET /orders: the list moved while it was read ({report.moved()}), in {MAX_CRAWLS} "
        "crawls in a row; fact_sales is left as it was"
    )


def _unseen(pages: Iterable[list[NativeOrder]], seen: dict[int, datetime]) -> Iterator[list[NativeOrder]]:
    """The pages' orders not handed on before at the same update time (`seen`, updated)."""
    for page in pages:
        fresh = [order for order in page if seen.get(order.id) != order.updated_at]
        seen.update((order.id, order.updated_at) for order in fresh)
        yield fresh


def changed_order_pages(
    client: QticketsClient, max_order_id: int, since: datetime
) -> Iterator[list[NativeOrder]]:
    """Pages of new orders (id above the stored maximum) and of orders updated since `since`.

    Refunds and cancellations change an order's updated_at days after payment, so a crawl by id
    alone would miss them; a crawl by payed_at (the old loader's) misses them too. An order read
    again is handed on again only if it changed in between (a refund while the run reads): both
    reads go to fact_sales, whose version (updated_at) keeps the later one.

    A server that ignores `where` answers the crawl of new ids with every order: the orders
    updated since `since` are kept from those pages, and when they came in id order (so none
    could slip past the crawl) they are not read a second time.
    """
    new, updated = [Where("id", ">", max_order_id)], [Where("updated_at", ">=", since)]
    # Each order's updated_at as last handed on, as an instant: a page read the validated way
    # writes its text in UTC, one read natively as the API sent it.
    seen: dict[int, datetime] = {}
    report = ListReport()
    new_or_updated = client.iter_native_order_pages(
        new, report=report, keep=lambda order: matches_all(new, order) or matches_all(updated, order)
    )
    yield from _unseen(new_or_updated, seen)
    if not read_every_order(report):
        yield from _unseen(updated_order_pages(client, since), seen)


def updated_order_pages(client: QticketsClient, since: datetime) -> Iterator[list[NativeOrder]]:
    """Orders updated since `since`, crawled again while the list grew during the crawl.

    The list is in id order, so an old order updated mid-crawl joins it in the middle and pushes
    the rest one place on: a record could slip from a page not yet read to one already read.
    The total only grows then, so an unchanged total proves the crawl saw every record. A server
    that ignored `where` sent the whole list: in id order, no record could slip. A server whose
    total counts the unfiltered list (the pages held fewer records than it says) gives no such
    proof, since an update does not change that count: there, two crawls in a row that read the
    same orders at the same update times (but for new orders at the list's end) are the proof.
    Either way a record that slips is one updated during the crawl, so the next run's overlap
    (`overlap_minutes` before the watermark) reads it again too.
    """
    where = [Where("updated_at", ">=", since)]
    fault: Exception | None = None
    read_before: set[tuple[int, datetime]] | None = None
    for _ in range(MAX_CRAWLS):
        report = ListReport()
        read: set[tuple[int, datetime]] = set()
        try:
            for page in client.iter_native_order_pages(where=where, report=report):
                read.update((order.id, order.updated_at) for order in page)
                yield page
        except (QticketsUnavailable, QticketsRejected) as refused:
            if report.total is not None or not client.answers(retries=None):
                raise  # a page after the first failed, or the list fails without a where too
            if client.answers(where):
                fault = refused  # the fault passed: crawl again
                continue
            yield from every_order_updated_since(client, where, refused)
            return
        fault = None
        if read_every_order(report):
            return
        if report.received == report.total:  # the total is the filtered list's own
            if client.count_orders(where) == report.total:
                return
        elif read_before is not None and alike(read, read_before):
            return
        read_before = read
    if fault is not None:
        raise fault  # the updated orders were never read: the run fails, the watermark stays
    log.warning(f"orders kept changing during {MAX_CRAWLS} crawls; the nightly reconciliation reads them all")


def alike(read: set[tuple[int, datetime]], before: set[tuple[int, datetime]]) -> bool:
    """Whether a crawl read the (id, updated_at) pairs the crawl before it read, leaving out orders
    newer than that crawl's (added at the list's end, they push nothing onto a page already read:
    on a busy account every crawl would otherwise differ)."""
    newest = max((order_id for order_id, _ in before), default=0)
    return {pair for pair in read if pair[0] <= newest} == before


def every_order_updated_since(
    client: QticketsClient, where: list[Where], refused: Exception
) -> Iterator[list[NativeOrder]]:
    """The orders `where` matches, from a read of every order: for a server that refuses a `where`
    on updated_at while it answers without one (the docs name only payed, event_id and id as
    columns known to filter). Read in id order, so none can slip past the crawl."""
    log.warning(
        f"GET /orders refuses a where on updated_at ({refused}) and answers without one: "
        "reading every order and keeping those updated since the watermark"
    )
    yield from client.iter_native_order_pages(keep=lambda order: matches_all(where, order))


def read_every_order(report: ListReport) -> bool:
    """The crawl read the whole list (the server ignored its `where`) in id order: every order that
    existed when it began was on its pages, whatever changed meanwhile."""
    return report.unasked > 0 and report.in_id_order


class SpooledTickets(NamedTuple):
    spool: ArrowSpool  # the crawled ticket columns, block by block
    orders_read: int
    event_ids: frozenset[int]  # the events the tickets belong to (their calendars are needed)
    price_mismatches: int
    """Orders whose price disagrees with the sum of their baskets' prices."""
    newest: OrderMarker = OrderMarker(None, None)
    """The highest order id and the newest order update time read (None when no order was read)."""
    refunds_unread: int = 0
    """Orders with an entry in a `refunds` list but no basket refunded (order_flags.refunds_unread)."""
    listed: pa.Table | None = None
    """(order_id, basket_id, updated_at) of every ticket an incremental load read (None for a full
    one): which baskets the orders read again list now."""

    @property
    def tickets(self) -> int:
        return self.spool.rows


def spool_tickets(pages: Iterable[Sequence[Order | NativeOrder]], listed: bool = False) -> SpooledTickets:
    """The pages' tickets, gathered in blocks of orders, each block an Arrow table that goes to a
    temporary file at once: memory stays flat however many orders there are. With `listed`, which
    tickets each order lists is kept too (an incremental load's orders read again)."""
    spool = ArrowSpool(to_arrow_schema(tickets.crawled_schema()))
    orders_read = mismatches = unread = 0
    event_ids: set[int] = set()
    newest = OrderMarker(None, None)
    kept: list[pa.Table] = []  # three 8-byte columns: ~24 bytes a ticket
    try:
        for block in order_blocks(pages, BLOCK_ORDERS):
            table = tickets.tickets_table(block)
            spool.append(table)
            if listed:
                kept.append(table.select(["order_id", "basket_id", "updated_at"]))
            orders_read += len(block)
            mismatches += order_flags.price_mismatches(block)
            unread += order_flags.refunds_unread(block)
            event_ids.update(order.event_id for order in block)
            newest = newer(newest, block)
    except BaseException:
        spool.close()  # a failed crawl frees its file now, not when its traceback is dropped
        raise
    listed_table = pa.concat_tables(kept) if kept else None
    return SpooledTickets(spool, orders_read, frozenset(event_ids), mismatches, newest, unread, listed_table)


def unlisted_tickets(listed: pa.Table, stored: pa.Table) -> list[tuple[int, int]]:
    """(order_id, basket_id) of the `stored` tickets (order_id, basket_id, updated_at as epoch
    seconds) that their orders, as `listed` (SpooledTickets.listed), no longer list: a ticket taken
    out of its order by an edit or an exchange, if the API drops it rather than flagging it deleted.
    Only tickets stored from a state of their order older than the one read (strictly: versions are
    whole seconds), so a stale answer (an order read before a ticket was added to it) removes
    nothing. An order read with no ticket at all is not compared: more likely a partial answer
    than an order emptied, its tickets wait for the nightly rebuild."""
    unlisted = stored.filter(
        pc.invert(pc.is_in(stored.column("basket_id"), value_set=listed.column("basket_id")))
    )
    if unlisted.num_rows == 0:
        return []  # as nearly always: the grouping and join below cost ~25 ms the first time (Acero)
    read_at = (
        listed.select(["order_id"])
        .append_column("read_at", listed.column("updated_at").cast(pa.int64()))
        .group_by("order_id")
        .aggregate([("read_at", "max")])
    )
    gone = unlisted.join(read_at, "order_id").filter(pc.field("updated_at") < pc.field("read_at_max"))
    pairs = zip(gone.column("order_id").to_pylist(), gone.column("basket_id").to_pylist(), strict=True)
    return sorted(cast("list[tuple[int, int]]", list(pairs)))


def order_blocks(
    pages: Iterable[Sequence[Order | NativeOrder]], orders: int
) -> Iterator[list[Order | NativeOrder]]:
    """The pages' orders in blocks of at least `orders` (the last one shorter), in page order."""
    block: list[Order | NativeOrder] = []
    for page in pages:
        block.extend(page)
        if len(block) >= orders:
            yield block
            block = []
    if block:
        yield block


def newer(marker: OrderMarker, page: Sequence[Order | NativeOrder]) -> OrderMarker:
    """`marker` moved on to the highest id and newest update time of `page`."""
    if not page:
        return marker
    max_id = max(order.id for order in page)
    max_updated_at = max(order.updated_at for order in page)
    if marker.max_id is not None:
        max_id = max(max_id, marker.max_id)
    if marker.max_updated_at is not None:
        max_updated_at = max(max_updated_at, marker.max_updated_at)
    return OrderMarker(max_id, max_updated_at)


def with_local_dates(
    spooled: SpooledTickets, calendar: Calendar, stored: pa.Table | None = None
) -> pa.RecordBatchReader:
    """`stored` (tickets already in the mart, crawled columns, whose days are to be read again),
    then the spooled tickets, as a one-pass stream of complete fact_sales rows, the calendar days
    added block by block as the IO manager reads it. The stored ones first: a ticket the crawl read
    again with the same updated_at (a change that did not move it) is in both, and among equal
    versions ReplacingMergeTree keeps the row inserted last, the crawl's.

    The spool holds a batch per block of orders (~2,000 tickets); the days are computed on the
    blocks the writer inserts (BLOCK_ROWS), since a call costs ~1.2 ms however few its rows: per
    page that would be 0.5 s of CPU for the medium world's write, per block 25 ms (bench/decode.py)."""
    schema = to_arrow_schema(table_schema("fact_sales"))
    crawled = itertools.chain([] if stored is None else stored.to_batches(), spooled.spool.reader())
    blocks = (calendar.with_local_dates(block) for block in in_blocks(crawled))
    return pa.RecordBatchReader.from_batches(schema, (b for block in blocks for b in block.to_batches()))
