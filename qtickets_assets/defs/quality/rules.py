"""What each asset check decides: a rule over the mart's SQL (`lib/clickhouse/mart_checks.py`) returns an
`Outcome`, whether the table keeps the rule and metadata for the check's page. Counts are numbers
(Dagster plots them across runs); samples of offending keys are text. No Dagster here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, get_args

from qtickets_assets.lib.clickhouse import mart_checks
from qtickets_assets.lib.qtickets.rules import BasketStatus

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

SALES_STATUSES = get_args(BasketStatus)
RUBLES = "RUB"  # the API's currency_id of a price in rubles


class Outcome(NamedTuple):
    passed: bool
    metadata: dict[str, Any]


def schema_matches_ddl(client: Client, database: str, table: str) -> Outcome:
    problems = mart_checks.column_differences(client, database, table)
    return Outcome(not problems, {"differences": len(problems), "details": "\n".join(problems) or "none"})


def no_duplicate_keys(client: Client, database: str, table: str, key: Sequence[str]) -> Outcome:
    duplicates = mart_checks.duplicate_keys(client, database, table, key)
    return Outcome(
        duplicates.keys == 0,
        {
            "key": ", ".join(key),
            "duplicate_keys": duplicates.keys,
            "rows_checked": duplicates.rows,
            "duplicates_sample": str(duplicates.sample),
        },
    )


def event_ids_known(client: Client, database: str, table: str) -> Outcome:
    orphans = mart_checks.orphan_event_ids(client, database, table)
    return Outcome(
        not orphans,
        {
            "unknown_event_ids": len(orphans),
            "rows_checked": mart_checks.scoped_rows(client, database, table),
            "unknown_event_ids_sample": str(orphans),
        },
    )


def ticket_counts_present(client: Client, database: str) -> Outcome:
    """Every live show has a row, no other show has one, and each row's counts agree: no more seats
    left than seats, and sold = total - left (what the sell-through share reads).

    Equal counts are not enough: a row for a deleted show would hide a live show's missing row.
    """
    live_shows = mart_checks.count_where(client, database, "dim_shows", "is_deleted = 0")
    rows = mart_checks.count_where(client, database, "fact_inventory_latest", "1")
    overfull = mart_checks.count_where(
        client, database, "fact_inventory_latest", "tickets_left > tickets_total"
    )
    unbalanced = mart_checks.count_where(
        client,
        database,
        "fact_inventory_latest",
        "toInt64(tickets_sold) != toInt64(tickets_total) - tickets_left",
    )
    missing = mart_checks.unmatched_show_ids(
        client, database, "dim_shows", "is_deleted = 0", "fact_inventory_latest", "1"
    )
    stray = mart_checks.unmatched_show_ids(
        client, database, "fact_inventory_latest", "1", "dim_shows", "is_deleted = 0"
    )
    return Outcome(
        rows == live_shows and overfull == 0 and unbalanced == 0 and not missing and not stray,
        {
            "live_shows": live_shows,
            "rows": rows,
            "rows_with_left_above_total": overfull,
            "rows_with_sold_not_total_minus_left": unbalanced,
            "live_shows_without_row_sample": str(missing),
            "rows_of_no_live_show_sample": str(stray),
        },
    )


def shows_in_newest_snapshot(client: Client, database: str) -> Outcome:
    """Every show's counts are from the newest snapshot; a show whose seats could not be read keeps
    its older row (a warning naming it, and when its seats were last read)."""
    found = mart_checks.shows_behind_newest_snapshot(client, database)
    sample = ", ".join(f"show {show} (read {when:%Y-%m-%d %H:%M} UTC)" for show, when in found.oldest)
    return Outcome(
        found.behind == 0,
        {"shows_behind": found.behind, "rows_checked": found.rows, "shows_behind_sample": sample or "none"},
    )


def status_allowed(client: Client, database: str) -> Outcome:
    allowed = ", ".join(f"'{status}'" for status in SALES_STATUSES)
    bad = mart_checks.count_where(client, database, "fact_sales", f"status NOT IN ({allowed})")
    return Outcome(
        bad == 0,
        {
            "rows_with_unknown_status": bad,
            "rows_checked": mart_checks.scoped_rows(client, database, "fact_sales"),
        },
    )


def revenue_in_rubles(client: Client, database: str) -> Outcome:
    """Every ticket is priced in rubles: the views add prices up as rubles (their columns say ₽)."""
    others = mart_checks.other_currencies(client, database, RUBLES)
    return Outcome(
        not others,
        {
            "tickets_not_in_rubles": sum(tickets for _, tickets in others),
            "currencies": ", ".join(f"{name or '(none)'}: {tickets}" for name, tickets in others) or "none",
        },
    )


def daily_sums_equal_dashboard(client: Client, database: str) -> Outcome:
    off = mart_checks.daily_sums_off(client, database)
    return _dashboard_agrees(
        client, database, off, "dashboard tickets, daily tickets, dashboard revenue, daily revenue"
    )


def dashboard_seats_equal_inventory(client: Client, database: str) -> Outcome:
    off = mart_checks.dashboard_seats_off(client, database)
    return _dashboard_agrees(
        client, database, off, "dashboard total, inventory total, dashboard left, inventory left"
    )


def source_sums_equal_daily(client: Client, database: str) -> Outcome:
    off = mart_checks.source_sums_off(client, database)
    sample = "event, day, sources' tickets, daily tickets, sources' revenue, daily revenue"
    checked = mart_checks.count_where(client, database, "v_sales_by_source", "1")
    return Outcome(
        not off, {"event_days_off": len(off), "rows_checked": checked, f"sample ({sample})": str(off[:5])}
    )


def _dashboard_agrees(client: Client, database: str, off: list[tuple[Any, ...]], figures: str) -> Outcome:
    """The dashboard's events whose figures disagree with another view's or table's, of how many."""
    checked = mart_checks.count_where(client, database, "v_sales_dashboard", "1")
    return Outcome(
        not off,
        {"events_off": len(off), "events_checked": checked, f"sample (event, {figures})": str(off[:5])},
    )


def discount_amount_is_the_difference(client: Client, database: str) -> Outcome:
    off = mart_checks.count_where(client, database, "fact_sales", "discount_amount != original_price - price")
    return Outcome(
        off == 0,
        {"tickets_off": off, "rows_checked": mart_checks.scoped_rows(client, database, "fact_sales")},
    )


def references_known(client: Client, database: str) -> Outcome:
    promo_missing, discount_missing = mart_checks.unknown_references(client, database)
    return Outcome(
        promo_missing == discount_missing == 0,
        {"tickets_with_unknown_promo_code": promo_missing, "tickets_with_unknown_discount": discount_missing},
    )
