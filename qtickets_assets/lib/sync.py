"""One run's crawls of the account, started together on one client.

A full sync reads four lists: the events (whose pages carry the shows), a seat map per live show,
the orders, and the references (discounts and promo codes). They are independent but for one
thing (the seat maps need the shows), so they run at once: the orders do not wait for the seat
maps, and the seat maps start as soon as the first page of events names some shows. One client
means one pool and one semaphore, so however many crawls run, at most `max_concurrency` requests
are in flight. Each crawl is consumed by a thread of its own; its result (or its error) waits for
whoever collects it.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import pandas as pd

from qtickets_assets.lib import frames
from qtickets_assets.lib.clickhouse.mart import SalesWatermark
from qtickets_assets.lib.orders import SpooledTickets, changed_order_pages, every_order_page, spool_tickets
from qtickets_assets.lib.qtickets.client import QticketsClient
from qtickets_assets.lib.qtickets.errors import QticketsError, QticketsPayloadError
from qtickets_assets.lib.qtickets.models import Discount, Event, PromoCode
from qtickets_assets.lib.qtickets.rules import ShowInventory, is_live

log = logging.getLogger(__name__)
_DONE = -1  # marks the end of the show ids fed to the seat-map crawl


@dataclass(frozen=True)
class SyncPlan:
    """What one run crawls. `stored_shows` (event_id, show_id, starts_at of the live shows, from
    the mart) is what the snapshot walks when the events are not crawled in the same run."""

    events: bool = False
    references: bool = False  # discounts and promo codes
    snapshot: bool = False
    stored_shows: pd.DataFrame | None = None
    sales: bool = False
    watermark: SalesWatermark | None = None  # None: every order (a full load)
    overlap: timedelta = timedelta(minutes=15)


class Snapshot(NamedTuple):
    taken_at: datetime
    shows: pd.DataFrame  # the live shows: event_id, show_id, starts_at
    inventory: dict[int, ShowInventory]  # the shows counted
    unread: dict[int, str]  # the shows whose seats could not be read, and why


class AccountSync:
    def __init__(self, client: QticketsClient, plan: SyncPlan) -> None:
        self.client, self.plan = client, plan
        self._threads = ThreadPoolExecutor(max_workers=4, thread_name_prefix="qtickets-crawl")
        self._shows: queue.Queue[int] = queue.Queue()
        self._results: dict[str, Future[Any]] = {}

    def __enter__(self) -> AccountSync:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> AccountSync:
        """Start every crawl of the plan (the snapshot's clock starts now)."""
        plan = self.plan
        if plan.snapshot and not plan.events and plan.stored_shows is None:
            raise ValueError("a snapshot needs the events crawled or the stored live shows")
        crawls: dict[str, Callable[[], Any]] = {
            "events": self._crawl_events,
            "references": self._crawl_references,
            "snapshot": self._crawl_snapshot,
            "sales": self._crawl_sales,
        }
        for name, crawl in crawls.items():
            if getattr(plan, name):
                self._results[name] = self._threads.submit(crawl)
        return self

    def close(self) -> None:
        """Stop whatever still runs (a step failed, or the run ended without collecting it)."""
        self._shows.put(_DONE)
        for future in self._results.values():
            future.cancel()
        self.client.close()  # requests not yet sent fail at once, so every crawl ends
        self._threads.shutdown(wait=True, cancel_futures=True)
        sales = self._results.get("sales")
        if sales is not None and sales.done() and not sales.cancelled() and sales.exception() is None:
            sales.result().spool.close()  # a spool nobody streamed to ClickHouse: free its file

    # -- results, each waited for by the step that writes it ---------------------------------------

    def events(self) -> list[Event]:
        return sorted(self._collect("events"), key=lambda event: event.id)

    def references(self) -> tuple[list[Discount], list[PromoCode]]:
        return self._collect("references")  # type: ignore[no-any-return]

    def snapshot(self) -> Snapshot:
        return self._collect("snapshot")  # type: ignore[no-any-return]

    def tickets(self) -> SpooledTickets:
        return self._collect("sales")  # type: ignore[no-any-return]

    def _collect(self, name: str) -> Any:
        if name not in self._results:
            raise QticketsError(f"this run did not plan the {name} crawl")
        return self._results[name].result()

    # -- the crawls, each on a thread of its own ---------------------------------------------------

    def _crawl_events(self) -> list[Event]:
        events: list[Event] = []
        try:
            for page in self.client.iter_event_pages():
                events.extend(page)
                for event in page:  # hand the live shows to the seat maps at once
                    for show in event.shows:
                        if is_live(event, show):
                            self._shows.put(show.id)
        finally:
            self._shows.put(_DONE)
        return events

    def _crawl_references(self) -> tuple[list[Discount], list[PromoCode]]:
        discounts = [d for page in self.client.iter_discount_pages() for d in page]
        return discounts, [p for page in self.client.iter_promo_code_pages() for p in page]

    def _crawl_snapshot(self) -> Snapshot:
        taken_at = datetime.now(UTC).replace(microsecond=0)
        if self.plan.events:
            counted = dict(self.client.iter_show_inventory_or_why(self._fed_show_ids()))
            # The events crawl has ended (it fed the last id); had it failed, so does the snapshot.
            shows = frames.shows_frame(self._results["events"].result())
            shows = shows[shows["is_deleted"] == 0]
        else:
            assert self.plan.stored_shows is not None
            shows = self.plan.stored_shows
            counted = dict(self.client.iter_show_inventory_or_why(shows["show_id"].tolist()))
        # A show whose seats cannot be read is left out, never counted as 0: its newest readable
        # row stays in fact_inventory_latest, and a check says it is older than the snapshot.
        inventory = {show: seats for show, seats in counted.items() if isinstance(seats, ShowInventory)}
        unread = {show: why for show, why in counted.items() if isinstance(why, str)}
        if unread and not inventory:  # not one show: the API's seat maps, not a show of its own
            first = next(iter(unread.values()))
            raise QticketsPayloadError(f"no show's seats could be read ({len(unread)} shows); first: {first}")
        return Snapshot(taken_at, shows.sort_values("show_id").reset_index(drop=True), inventory, unread)

    def _fed_show_ids(self) -> Iterator[int]:
        while (show_id := self._shows.get()) != _DONE:
            yield show_id

    def _crawl_sales(self) -> SpooledTickets:
        watermark = self.plan.watermark
        if watermark is None:
            return spool_tickets(every_order_page(self.client))
        if watermark.stamped_ahead:
            log.warning(
                f"{watermark.stamped_ahead} stored tickets carry an update time ahead of this machine's "
                "clock (the API's clock, or bad records): the incremental load reads from the newest "
                "update before now; the nightly rebuild keeps such orders as the API sends them"
            )
        since = watermark.max_updated_at - self.plan.overlap
        return spool_tickets(changed_order_pages(self.client, watermark.max_order_id, since), listed=True)
