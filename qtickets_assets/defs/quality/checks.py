"""Asset checks on the mart. Checks that guard the dashboard's correctness are blocking: when one
fails, the assets downstream of it in the same run are not materialized."""

from collections.abc import Callable, Sequence

import dagster as dg
from clickhouse_connect.driver.client import Client

from qtickets_assets.defs.quality import queries
from qtickets_assets.lib.clickhouse.resource import ClickHouseResource

Rule = Callable[[Client, str], dg.AssetCheckResult]

UNIQUE_KEYS: dict[str, Sequence[str]] = {
    "dim_events": ["event_id"],
    "dim_shows": ["show_id"],
    "inventory_raw": ["snapshot_at", "show_id"],
    "fact_inventory_latest": ["show_id"],
    "fact_sales": ["basket_id"],
}
EVENT_FACTS = ["dim_shows", "inventory_raw", "fact_inventory_latest", "fact_sales"]
SALES_STATUSES = ("paid", "unpaid", "cancelled", "refunded")


def sql_check(
    asset: str, name: str, description: str, rule: Rule, *, blocking: bool = True
) -> dg.AssetChecksDefinition:
    """An asset check that opens ClickHouse and applies `rule`. A blocking check fails with ERROR
    and stops the assets downstream in the same run; a non-blocking one only warns."""
    severity = dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN

    @dg.asset_check(asset=asset, name=name, description=description, blocking=blocking)
    def _check(clickhouse: ClickHouseResource) -> dg.AssetCheckResult:
        with clickhouse.open() as client:
            result = rule(client, clickhouse.database)
        return dg.AssetCheckResult(passed=result.passed, metadata=result.metadata, severity=severity)

    return _check


def schema_rule(table: str) -> Rule:
    def rule(client: Client, database: str) -> dg.AssetCheckResult:
        problems = queries.schema_differences(client, database, table)
        return dg.AssetCheckResult(
            passed=not problems, metadata={"differences": "\n".join(problems) or "none"}
        )

    return rule


def unique_rule(table: str, key: Sequence[str]) -> Rule:
    def rule(client: Client, database: str) -> dg.AssetCheckResult:
        duplicates = queries.duplicate_keys(client, database, table, key)
        return dg.AssetCheckResult(
            passed=not duplicates, metadata={"key": ", ".join(key), "duplicates_sample": str(duplicates)}
        )

    return rule


def event_ref_rule(table: str) -> Rule:
    def rule(client: Client, database: str) -> dg.AssetCheckResult:
        orphans = queries.orphan_event_ids(client, database, table)
        return dg.AssetCheckResult(passed=not orphans, metadata={"unknown_event_ids_sample": str(orphans)})

    return rule


def inventory_counts_rule(client: Client, database: str) -> dg.AssetCheckResult:
    """Every live show has a row, no other show has one, and no show has more seats left than seats.

    Equal counts are not enough: a row for a deleted show would hide a live show's missing row.
    """
    live_shows = queries.count_where(client, database, "dim_shows", "is_deleted = 0")
    rows = queries.count_where(client, database, "fact_inventory_latest", "1")
    overfull = queries.count_where(client, database, "fact_inventory_latest", "tickets_left > tickets_total")
    missing = queries.unmatched_show_ids(
        client, database, "dim_shows", "is_deleted = 0", "fact_inventory_latest", "1"
    )
    stray = queries.unmatched_show_ids(
        client, database, "fact_inventory_latest", "1", "dim_shows", "is_deleted = 0"
    )
    return dg.AssetCheckResult(
        passed=rows == live_shows and overfull == 0 and not missing and not stray,
        metadata={
            "live_shows": live_shows,
            "rows": rows,
            "rows_with_left_above_total": overfull,
            "live_shows_without_row_sample": str(missing),
            "rows_of_no_live_show_sample": str(stray),
        },
    )


def sales_status_rule(client: Client, database: str) -> dg.AssetCheckResult:
    allowed = ", ".join(f"'{status}'" for status in SALES_STATUSES)
    bad = queries.count_where(client, database, "fact_sales", f"status NOT IN ({allowed})")
    return dg.AssetCheckResult(passed=bad == 0, metadata={"rows_with_unknown_status": bad})


def checks() -> list[dg.AssetChecksDefinition]:
    built = [
        sql_check(table, "schema_matches_ddl", "Columns and types equal the DDL.", schema_rule(table))
        for table in UNIQUE_KEYS
    ]
    built += [
        sql_check(
            table, "no_duplicate_keys", f"No two rows share ({', '.join(key)}).", unique_rule(table, key)
        )
        for table, key in UNIQUE_KEYS.items()
    ]
    built += [
        sql_check(
            table,
            "event_ids_known",
            "Every event_id is in dim_events.",
            event_ref_rule(table),
            # The 10-minute sales run does not re-read the events (heavy pages), so an order for an
            # event created since the last events load is expected: a warning until it is loaded.
            blocking=table != "fact_sales",
        )
        for table in EVENT_FACTS
    ]
    built.append(
        sql_check(
            "fact_inventory_latest",
            "ticket_counts_present",
            "A row for every live show, and tickets_left <= tickets_total.",
            inventory_counts_rule,
        )
    )
    built.append(
        sql_check(
            "fact_sales",
            "status_allowed",
            f"status is one of {', '.join(SALES_STATUSES)}.",
            sales_status_rule,
        )
    )
    return built


def revenue_check() -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset="fact_sales",
        name="revenue_reconciles",
        description="Each order's price equals the sum of its tickets' prices (a warning when it does not).",
    )
    def _check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        # The asset compares every order it read with its baskets and records the count.
        event = context.instance.get_latest_materialization_event(dg.AssetKey("fact_sales"))
        metadata = event.asset_materialization.metadata if event and event.asset_materialization else {}
        mismatched = metadata.get("orders_price_mismatch")
        count = int(mismatched.value) if mismatched is not None else 0
        return dg.AssetCheckResult(
            passed=count == 0,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"orders_whose_price_differs_from_their_tickets": count},
        )

    return _check


@dg.definitions
def quality_checks() -> dg.Definitions:
    return dg.Definitions(asset_checks=[*checks(), revenue_check()])
