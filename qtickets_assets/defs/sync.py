"""The run's crawls of the Qtickets account (`lib/sync.py`), as a Dagster resource.

Dagster runs our steps one after another in the run's process, while what takes a run's time is
waiting on the API. So the first step of a run that needs the API starts every crawl the run will
need (events, discounts and promo codes, seat maps, orders) on one client, and each asset step
collects its own crawl's result as it comes: the crawls overlap across steps within one
QTICKETS_MAX_CONCURRENCY, and the embedded ClickHouse directory is still opened by this process
alone, one write at a time. What the mart must tell the crawls (the sales watermark; the stored
shows and calendar when the events are not in the run) is read before they start.
"""

import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple, cast

import dagster as dg
from pydantic import PrivateAttr

from qtickets_assets.defs.common import first_ten
from qtickets_assets.lib.clickhouse import mart
from qtickets_assets.lib.clickhouse.resource import ClickHouseResource
from qtickets_assets.lib.qtickets.resource import QticketsResource
from qtickets_assets.lib.qtickets.rules import CLOCK_SKEW

if TYPE_CHECKING:  # the crawls (pandas, Arrow) are imported by the run's first API step
    import pyarrow as pa

    from qtickets_assets.lib import local_days
    from qtickets_assets.lib.sync import AccountSync, SyncPlan

# Which crawl writes which asset, and the step that writes it.
CRAWL_OF_ASSET = {
    "dim_events": "events",
    "dim_shows": "events",
    "dim_discounts": "references",
    "dim_promo_codes": "references",
    "inventory_raw": "snapshot",
    "fact_sales": "sales",
}


class MovedTickets(NamedTuple):
    zones: "dict[int, tuple[str, str]]"  # event_id: (the zone its tickets' days are in, its zone now)
    tickets: "pa.Table | None"  # those tickets as stored, crawled columns (None: no event moved)

    def told(self) -> str:
        """What the log says of them (the first ten moves)."""
        count = 0 if self.tickets is None else self.tickets.num_rows
        moves = moves_told(self.zones)
        return f"{count} stored tickets get their days again in their event's new time zone ({moves})"


def moves_told(zones: "dict[int, tuple[str, str]]") -> str:
    """The first ten moves of {event_id: (old zone, new zone)}, and how many more."""
    return first_ten(
        [f"event {event}: {old} → {new}" for event, (old, new) in sorted(zones.items())], "events"
    )


class SalesSyncConfig(dg.Config):
    full_refresh: bool = False
    """Re-read every order and rebuild the table (the nightly reconciliation)."""
    overlap_minutes: int = 15
    """Orders updated this long before the stored watermark are read again: an update the API
    committed late (out of order) still lands. Orders that join the list mid-crawl are caught by
    the re-count in `lib/orders.updated_order_pages`, and the nightly run re-reads everything."""


def planned_assets(context: dg.AssetExecutionContext) -> set[str]:
    """The assets this run materializes: its selection (or its job's), less steps it skips
    (a re-execution from a failure runs only some steps)."""
    layer = context.job_def.asset_layer
    keys = context.dagster_run.asset_selection or layer.executable_asset_keys
    steps = context.dagster_run.step_keys_to_execute
    return {
        key.path[-1]
        for key in keys
        if layer.has(key) and (steps is None or layer.get(key).assets_def.node_def.name in steps)
    }


def sales_config(context: dg.AssetExecutionContext) -> SalesSyncConfig:
    """fact_sales' config as this run gives it, read before its step starts: the run's own config
    over the job's defaults (the nightly job's full_refresh is a default, not in the run's config)."""
    resolved = dg.validate_run_config(context.job_def, context.run_config)
    return SalesSyncConfig(**resolved.get("ops", {}).get("fact_sales", {}).get("config", {}))


class QticketsSyncResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """The run's crawls: started by the run's first API step, collected by each asset."""

    qtickets: dg.ResourceDependency[QticketsResource]
    clickhouse: dg.ResourceDependency[ClickHouseResource]
    _sync: "AccountSync | None" = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def for_run(self, context: dg.AssetExecutionContext) -> "AccountSync":
        with self._lock:
            if self._sync is None:
                from qtickets_assets.lib.sync import AccountSync

                # The API's configuration is checked first: a bad one stops the run before the
                # mart is opened (a new mart would otherwise be created, empty).
                client = self.qtickets.client()
                try:
                    plan = self._plan(planned_assets(context), sales_config(context))
                except BaseException:
                    client.close()
                    raise
                self._sync = AccountSync(client, plan).start()
            return self._sync

    def calendar(self, sync: "AccountSync", event_ids: frozenset[int]) -> "local_days.Calendar":
        """The zones the tickets' days are read in: this run's events, else the
        stored ones; an event neither knows (new since the last events load) is asked for alone."""
        from qtickets_assets.lib import local_days

        if sync.plan.events:
            calendar = local_days.Calendar.of_events(sync.events())
        else:
            with self.clickhouse.open() as client:
                calendar = local_days.Calendar(mart.event_zones(client, self.clickhouse.database))
        unknown = sorted(calendar.missing_events(event_ids))
        calendar.add_events(event for event in map(sync.client.get_event, unknown) if event is not None)
        # An event the API no longer knows at all (its orders remain) keeps the zone its stored
        # tickets' days are in, rather than Moscow's: a nightly rebuild would move its days.
        if gone := sorted(calendar.missing_events(unknown)):
            with self.clickhouse.open() as client:
                calendar.zones.update(mart.newest_stored_zones(client, self.clickhouse.database, gone))
        return calendar

    def moved_zones(self, calendar: "local_days.Calendar") -> "dict[int, tuple[str, str]]":
        """{event_id: (the zone its stored tickets' days are in, the one `calendar` gives it now)} of
        each event that moved to a city in another zone, or whose city's zone became known."""
        with self.clickhouse.open() as client:
            return calendar.moved(mart.stored_zones(client, self.clickhouse.database))

    def moved_tickets(self, calendar: "local_days.Calendar") -> "MovedTickets":
        """The stored tickets of the events `moved_zones` names, to be written again."""
        from qtickets_assets.lib import tickets

        moved = self.moved_zones(calendar)
        if not moved:
            return MovedTickets(moved, None)
        with self.clickhouse.open() as client:
            stored = mart.stored_tickets(
                client, self.clickhouse.database, sorted(moved), tickets.crawled_schema()
            )
        return MovedTickets(moved, stored)

    def dropped_tickets(self, listed: "pa.Table | None") -> "list[tuple[int, int]]":
        """(order_id, basket_id) of the stored tickets of the orders this crawl read that those
        orders no longer list (`orders.unlisted_tickets`): gone, as the nightly rebuild would find."""
        from qtickets_assets.lib import orders

        if listed is None or listed.num_rows == 0:
            return []
        order_ids = cast("list[int]", listed.column("order_id").unique().to_pylist())
        with self.clickhouse.open() as client:
            stored = mart.stored_baskets(client, self.clickhouse.database, order_ids)
        return orders.unlisted_tickets(listed, stored)

    def delete_tickets(self, basket_ids: "list[int]") -> None:
        with self.clickhouse.open() as client:
            mart.delete_tickets(client, self.clickhouse.database, basket_ids)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._sync is not None:
            self._sync.close()

    def _plan(self, assets: set[str], config: SalesSyncConfig) -> "SyncPlan":
        from qtickets_assets.lib.sync import SyncPlan

        crawls = {CRAWL_OF_ASSET[name] for name in assets if name in CRAWL_OF_ASSET}
        events, snapshot, sales = "events" in crawls, "snapshot" in crawls, "sales" in crawls
        with self.clickhouse.open() as client:
            database = self.clickhouse.database
            stored_shows = mart.live_shows(client, database) if snapshot and not events else None
            incremental = sales and not config.full_refresh
            watermark = (
                mart.sales_watermark(client, database, not_after=_trusted_until()) if incremental else None
            )
        return SyncPlan(
            events=events,
            references="references" in crawls,
            snapshot=snapshot,
            stored_shows=stored_shows,
            sales=sales,
            watermark=watermark,
            overlap=timedelta(minutes=config.overlap_minutes),
        )


def _trusted_until() -> datetime:
    """The newest update time a stored order may carry and still count for the watermark."""
    return datetime.now(UTC) + CLOCK_SKEW
