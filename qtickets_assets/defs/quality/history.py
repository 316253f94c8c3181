"""Checks that read the Dagster instance, not the mart: what fact_sales' loads recorded in their
materializations (the orders whose price differs from their tickets or whose refund no ticket
shows, the newest full rebuild's count of what the incremental loads had missed)."""

from collections.abc import Mapping

import dagster as dg

from qtickets_assets.defs.quality.rules import Outcome
from qtickets_assets.defs.sales.marker import FACT_SALES
from qtickets_assets.lib.clickhouse.io_manager import DRIFT_NOT_MEASURED, DRIFT_PREFIX


def revenue_reconciles(instance: dg.DagsterInstance) -> Outcome:
    # fact_sales compares every order it read with its baskets and records the count of those that
    # differ, and of those with a refund only their `refunds` list shows, in its materialization's
    # metadata; the newest materialization is the one that counts.
    event = instance.get_latest_materialization_event(FACT_SALES)
    metadata = event.asset_materialization.metadata if event and event.asset_materialization else {}
    figures = {
        "orders_whose_price_differs_from_their_tickets": _count(metadata, "orders_price_mismatch"),
        "orders_with_a_refund_no_ticket_shows": _count(metadata, "orders_refunds_unread"),
    }
    return Outcome(not any(figures.values()), figures)


def _count(metadata: Mapping[str, dg.MetadataValue], key: str) -> int:
    value = metadata[key].value if key in metadata else 0
    return value if isinstance(value, int) else 0


# How far back the drift check looks for the newest full rebuild: two weeks of 10-minute loads.
DRIFT_LOOKBACK = 2_016
DRIFT_TICKETS = f"{DRIFT_PREFIX}tickets"


def newest_reconciliation(instance: dg.DagsterInstance) -> tuple[dg.EventLogRecord | None, bool]:
    """fact_sales' newest full rebuild (its materialization says what it measured, or that it
    measured nothing), or None; and whether DRIFT_LOOKBACK loads were looked at without finding one."""
    cursor, seen = None, 0
    while True:
        page = instance.fetch_materializations(FACT_SALES, limit=100, cursor=cursor)
        for record in page.records:
            metadata = record.asset_materialization.metadata if record.asset_materialization else {}
            if DRIFT_TICKETS in metadata or DRIFT_NOT_MEASURED in metadata:
                return record, False
            seen += 1
            if seen >= DRIFT_LOOKBACK:
                return None, True
        if not page.has_more:
            return None, False
        cursor = page.cursor


def no_reconcile_drift(instance: dg.DagsterInstance) -> Outcome:
    # Only a full rebuild can see what the incremental loads missed, so every run reports the
    # newest one's figure: the warning stays until a rebuild finds nothing missed.
    record, overdue = newest_reconciliation(instance)
    if overdue:  # the last one's finding, good or bad, is too old to stand for the mart now
        return Outcome(
            False,
            {"measured": f"overdue: no full rebuild of fact_sales among its last {DRIFT_LOOKBACK} loads"},
        )
    if record is None or record.asset_materialization is None:
        return Outcome(True, {"measured": "not yet: no full rebuild of fact_sales so far"})
    metadata = record.asset_materialization.metadata
    source = {"measured_by_run": record.run_id, "measured_at": dg.MetadataValue.timestamp(record.timestamp)}
    if DRIFT_TICKETS not in metadata:
        return Outcome(True, {**source, "measured": str(metadata[DRIFT_NOT_MEASURED].value)})
    figures = {key: value.value for key, value in metadata.items() if key.startswith(DRIFT_PREFIX)}
    return Outcome(figures[DRIFT_TICKETS] == 0, {**figures, **source})
