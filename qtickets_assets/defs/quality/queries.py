"""The rules behind the asset checks, in SQL. Each rule returns an `Outcome`: whether the table
keeps the rule, and a sample of what breaks it (the check's metadata). No Dagster here."""

from collections.abc import Sequence
from typing import Any, NamedTuple

from clickhouse_connect.driver.client import Client

from qtickets_assets.lib.clickhouse.ddl import table_schema

SAMPLE = 5
SALES_STATUSES = ("paid", "unpaid", "cancelled", "refunded")


class Outcome(NamedTuple):
    passed: bool
    metadata: dict[str, Any]


def schema_matches_ddl(client: Client, database: str, table: str) -> Outcome:
    problems = schema_differences(client, database, table)
    return Outcome(not problems, {"differences": "\n".join(problems) or "none"})


def no_duplicate_keys(client: Client, database: str, table: str, key: Sequence[str]) -> Outcome:
    duplicates = duplicate_keys(client, database, table, key)
    return Outcome(not duplicates, {"key": ", ".join(key), "duplicates_sample": str(duplicates)})


def event_ids_known(client: Client, database: str, table: str) -> Outcome:
    orphans = orphan_event_ids(client, database, table)
    return Outcome(not orphans, {"unknown_event_ids_sample": str(orphans)})


def ticket_counts_present(client: Client, database: str) -> Outcome:
    """Every live show has a row, no other show has one, and no show has more seats left than seats.

    Equal counts are not enough: a row for a deleted show would hide a live show's missing row.
    """
    live_shows = count_where(client, database, "dim_shows", "is_deleted = 0")
    rows = count_where(client, database, "fact_inventory_latest", "1")
    overfull = count_where(client, database, "fact_inventory_latest", "tickets_left > tickets_total")
    missing = unmatched_show_ids(
        client, database, "dim_shows", "is_deleted = 0", "fact_inventory_latest", "1"
    )
    stray = unmatched_show_ids(client, database, "fact_inventory_latest", "1", "dim_shows", "is_deleted = 0")
    return Outcome(
        rows == live_shows and overfull == 0 and not missing and not stray,
        {
            "live_shows": live_shows,
            "rows": rows,
            "rows_with_left_above_total": overfull,
            "live_shows_without_row_sample": str(missing),
            "rows_of_no_live_show_sample": str(stray),
        },
    )


def status_allowed(client: Client, database: str) -> Outcome:
    allowed = ", ".join(f"'{status}'" for status in SALES_STATUSES)
    bad = count_where(client, database, "fact_sales", f"status NOT IN ({allowed})")
    return Outcome(bad == 0, {"rows_with_unknown_status": bad})


def schema_differences(client: Client, database: str, table: str) -> list[str]:
    """Every difference between the live table's columns and the DDL's, in words."""
    live = client.query(
        "SELECT name, type FROM system.columns "
        "WHERE database = %(db)s AND table = %(table)s ORDER BY position",
        parameters={"db": database, "table": table},
    ).result_rows
    expected = [(column.name, column.type) for column in table_schema(table).columns]
    if [(name, _squash(kind)) for name, kind in live] == [(name, _squash(kind)) for name, kind in expected]:
        return []
    live_types, expected_types = dict(live), dict(expected)
    problems = [f"missing column {name} {kind}" for name, kind in expected if name not in live_types]
    problems += [f"unexpected column {name} {kind}" for name, kind in live if name not in expected_types]
    problems += [
        f"column {name} is {live_types[name]}, the DDL says {kind}"
        for name, kind in expected
        if name in live_types and _squash(live_types[name]) != _squash(kind)
    ]
    return problems or ["columns are in a different order than in the DDL"]


# inventory_raw is history: a check reads the newest snapshot (the one this run wrote), not years.
SCOPES = {"inventory_raw": "snapshot_at = (SELECT max(snapshot_at) FROM {database}.inventory_raw)"}


def scope(database: str, table: str) -> str:
    return SCOPES.get(table, "1").format(database=database)


def duplicate_keys(client: Client, database: str, table: str, key: Sequence[str]) -> list[tuple]:
    """Keys that appear more than once to an analyst's plain SELECT (no FINAL)."""
    columns = ", ".join(key)
    return client.query(
        f"SELECT {columns}, count() AS copies FROM {database}.{table} WHERE {scope(database, table)} "
        f"GROUP BY {columns} HAVING copies > 1 ORDER BY copies DESC LIMIT {SAMPLE}"
    ).result_rows


def orphan_event_ids(client: Client, database: str, table: str) -> list[int]:
    """event_ids of `table` that dim_events does not know."""
    return [
        row[0]
        for row in client.query(
            f"SELECT DISTINCT event_id FROM {database}.{table} WHERE {scope(database, table)} "
            f"AND event_id NOT IN (SELECT event_id FROM {database}.dim_events) LIMIT {SAMPLE}"
        ).result_rows
    ]


def unmatched_show_ids(
    client: Client, database: str, table: str, condition: str, other: str, other_condition: str
) -> list[int]:
    """show_ids of `table` rows matching `condition` that no `other` row matching `other_condition` has."""
    return [
        row[0]
        for row in client.query(
            f"SELECT DISTINCT show_id FROM {database}.{table} WHERE ({condition}) AND show_id NOT IN "
            f"(SELECT show_id FROM {database}.{other} WHERE {other_condition}) "
            f"ORDER BY show_id LIMIT {SAMPLE}"
        ).result_rows
    ]


def count_where(client: Client, database: str, table: str, condition: str) -> int:
    return int(client.command(f"SELECT count() FROM {database}.{table} WHERE {condition}"))


def _squash(kind: str) -> str:
    return "".join(kind.split())
