"""Tickets sold: one row per basket, loaded incrementally and upserted by basket_id."""

import logging
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import NamedTuple

import dagster as dg
import pyarrow as pa

from qtickets_assets.defs.common import API_POOL, FACTS, failures_explained, table_asset
from qtickets_assets.lib import frames
from qtickets_assets.lib.clickhouse import mart
from qtickets_assets.lib.clickhouse.ddl import table_schema, to_arrow_schema
from qtickets_assets.lib.clickhouse.resource import ClickHouseResource
from qtickets_assets.lib.qtickets.client import QticketsClient
from qtickets_assets.lib.qtickets.filters import Where
from qtickets_assets.lib.qtickets.models import Order
from qtickets_assets.lib.qtickets.resource import QticketsResource
from qtickets_assets.lib.spool import ArrowSpool


class SalesSyncConfig(dg.Config):
    full_refresh: bool = False
    """Re-read every order and rebuild the table (the nightly reconciliation)."""
    overlap_minutes: int = 15
    """Orders updated this long before the stored watermark are read again: an update the API
    committed late (out of order) still lands. Orders that join the list mid-crawl are caught by
    the re-count in `updated_order_pages`, and the nightly run re-reads everything."""


MAX_CRAWLS = 3
log = logging.getLogger(__name__)


def read_watermark(clickhouse: ClickHouseResource) -> mart.SalesWatermark | None:
    with clickhouse.open() as client:
        return mart.sales_watermark(client, clickhouse.database)


def changed_order_pages(client: QticketsClient, max_order_id: int, since: datetime) -> Iterator[list[Order]]:
    """Pages of new orders (id above the stored maximum) and of orders updated since `since`.

    Refunds and cancellations change an order's updated_at days after payment, so a crawl by id
    alone would miss them; a crawl by payed_at (the old loader's) misses them too. An order in
    both crawls is handed on once.
    """
    seen: set[int] = set()
    for pages in (
        client.iter_order_pages(where=[Where("id", ">", max_order_id)]),
        updated_order_pages(client, since),
    ):
        for page in pages:
            fresh = [order for order in page if order.id not in seen]
            seen.update(order.id for order in fresh)
            yield fresh


def updated_order_pages(client: QticketsClient, since: datetime) -> Iterator[list[Order]]:
    """Orders updated since `since`, crawled again while the list grew during the crawl.

    The list is in id order, so an old order updated mid-crawl joins it in the middle and pushes
    the rest one place on: a record could slip from a page not yet read to one already read.
    The total only grows then, so an unchanged total proves the crawl saw every record.
    """
    where = [Where("updated_at", ">=", since)]
    for _ in range(MAX_CRAWLS):
        totals: list[int] = []
        yield from client.iter_order_pages(where=where, on_total=totals.append)
        if client.count_orders(where) == totals[0]:
            return
    log.warning(f"orders kept changing during {MAX_CRAWLS} crawls; the nightly reconciliation reads them all")


class SpooledTickets(NamedTuple):
    stream: pa.RecordBatchReader
    orders_read: int
    tickets: int
    price_mismatches: int
    """Orders whose price disagrees with the sum of their baskets' prices."""


def spool_tickets(pages: Iterable[list[Order]]) -> SpooledTickets:
    """Each page becomes a small Arrow table that goes to a temporary file at once, so the run
    holds one page, never the account: memory stays flat however many orders there are."""
    spool = ArrowSpool(to_arrow_schema(table_schema("fact_sales")))
    orders_read = mismatches = 0
    try:
        for page in pages:
            spool.append(frames.sales_table(page))
            orders_read += len(page)
            mismatches += frames.price_mismatches(page)
    except BaseException:
        spool.close()  # a failed crawl frees its file now, not when its traceback is dropped
        raise
    return SpooledTickets(spool.reader(), orders_read, spool.rows, mismatches)


@dg.asset(
    # After the events when both run (a full sync): a bad token or API root then fails there,
    # before this step touches the mart, and event_ids_known sees this run's events.
    deps=["dim_events"],
    **table_asset(
        "fact_sales",
        "upsert",
        "One row per ticket (basket) of every order the API returns. Status: cancelled (basket or "
        "order deleted), refunded (basket refunded_at), paid (order paid), else unpaid. Upserted by "
        "basket_id with updated_at as the version; the nightly run re-reads everything.",
    ),
    group_name=FACTS,
    pool=API_POOL,
    freshness_policy=dg.FreshnessPolicy.time_window(
        fail_window=timedelta(minutes=40), warn_window=timedelta(minutes=20)
    ),
)
def fact_sales(
    context: dg.AssetExecutionContext,
    config: SalesSyncConfig,
    qtickets: QticketsResource,
    clickhouse: ClickHouseResource,
) -> dg.Output[pa.RecordBatchReader]:
    with failures_explained():
        watermark = None if config.full_refresh else read_watermark(clickhouse)
        with qtickets.client() as client:
            if watermark is None:
                pages = client.iter_order_pages()
            else:
                max_order_id, max_updated_at = watermark
                since = max_updated_at - timedelta(minutes=config.overlap_minutes)
                pages = changed_order_pages(client, max_order_id, since)
            spooled = spool_tickets(pages)
    mode = "replace" if watermark is None else "upsert"
    context.log.info(f"{mode}: {spooled.orders_read} orders, {spooled.tickets} tickets")
    return dg.Output(
        spooled.stream,
        metadata={
            "write_mode": mode,
            "orders_read": spooled.orders_read,
            "orders_price_mismatch": spooled.price_mismatches,
        },
    )
