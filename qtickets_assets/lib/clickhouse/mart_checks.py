"""The mart's SQL that the asset checks ask (`defs/quality/rules.py`): sums that must agree
between views, repeated keys, ids no dimension knows, shows the newest snapshot missed, columns
against the DDL (which the IO manager also asks before it writes). Kept apart from `mart.py`, the
reads and writes the assets make, because no asset reads these: they judge what the assets wrote.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from qtickets_assets.lib.clickhouse.connection import query_row
from qtickets_assets.lib.clickhouse.ddl import table_schema
from qtickets_assets.lib.clickhouse.mart import scalar
from qtickets_assets.lib.clickhouse.writers import qualified

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

SAMPLE = 5


def daily_sums_off(client: Client, database: str) -> list[tuple[Any, ...]]:
    """Dashboard events whose paid tickets or revenue differ from the sum of their days in
    v_sales_daily: (event_id, dashboard tickets, daily tickets, dashboard revenue, daily revenue)."""
    sums = {"tickets_sold_total": "sum(tickets_paid)", "revenue_total": "sum(revenue_paid)"}
    return _dashboard_off(client, database, "v_sales_daily", sums)


def _dashboard_off(client: Client, database: str, source: str, sums: dict[str, str]) -> list[tuple[Any, ...]]:
    """Dashboard events where a column of `sums` differs from its sum over the event's rows of
    `source` (0 when it has none): (event_id, then each column's dashboard value and sum)."""
    summed = ", ".join(f"{expression} AS {column}" for column, expression in sums.items())
    shown = ", ".join(f"d.{column}, s.{column}" for column in sums)
    differs = " OR ".join(f"d.{column} != s.{column}" for column in sums)
    query = f"""
        SELECT d.event_id, {shown}
        FROM {qualified(database, "v_sales_dashboard")} AS d
        LEFT JOIN (SELECT event_id, {summed} FROM {qualified(database, source)} GROUP BY event_id) AS s
            ON d.event_id = s.event_id
        WHERE {differs}
        ORDER BY d.event_id"""
    return [tuple(row) for row in client.query(query).result_rows]


def source_sums_off(client: Client, database: str) -> list[tuple[Any, ...]]:
    """(event, local day) pairs whose paid tickets or revenue in v_sales_by_source differ from
    v_sales_daily's: (event_id, date_local, sources' tickets, daily tickets, sources' revenue,
    daily revenue). Both views read v_sales' paid tickets by payment day, each its own way."""
    per_day = (
        "SELECT event_id, date_local, sum(tickets_paid) AS tickets, sum(revenue_paid) AS revenue "
        "FROM {view} GROUP BY event_id, date_local"
    )
    query = f"""
        SELECT if(s.event_id = 0, d.event_id, s.event_id), if(s.event_id = 0, d.date_local, s.date_local),
               s.tickets, d.tickets, s.revenue, d.revenue
        FROM ({per_day.format(view=qualified(database, "v_sales_by_source"))}) AS s
        FULL OUTER JOIN ({per_day.format(view=qualified(database, "v_sales_daily"))}) AS d
            ON s.event_id = d.event_id AND s.date_local = d.date_local
        WHERE s.tickets != d.tickets OR s.revenue != d.revenue
        ORDER BY 1, 2"""
    return [tuple(row) for row in client.query(query).result_rows]


def dashboard_seats_off(client: Client, database: str) -> list[tuple[Any, ...]]:
    """Dashboard events whose seats differ from the sums of fact_inventory_latest over their shows:
    (event_id, dashboard total, inventory total, dashboard left, inventory left)."""
    sums = {"tickets_total": "sum(tickets_total)", "tickets_left": "sum(tickets_left)"}
    return _dashboard_off(client, database, "fact_inventory_latest", sums)


def unknown_references(client: Client, database: str) -> tuple[int, int]:
    """Tickets naming a promo code dim_promo_codes lacks, and a discount dim_discounts lacks."""
    query = f"""
        SELECT
            countIf(promo_code_id IS NOT NULL AND promo_code_id NOT IN
                (SELECT promo_code_id FROM {qualified(database, "dim_promo_codes")})),
            countIf(discount_id IS NOT NULL AND discount_id NOT IN
                (SELECT discount_id FROM {qualified(database, "dim_discounts")}))
        FROM {qualified(database, "fact_sales")} FINAL"""
    promo_missing, discount_missing = query_row(client, query)
    return int(promo_missing), int(discount_missing)


class ShowsBehind(NamedTuple):
    behind: int  # fact_inventory_latest's rows older than the newest snapshot
    rows: int  # its rows
    oldest: list[tuple[int, datetime]]  # the oldest ten behind: (show_id, when its seats were read)


def shows_behind_newest_snapshot(client: Client, database: str) -> ShowsBehind:
    """fact_inventory_latest's shows whose row is older than the newest snapshot (their seats could
    not be read then), in one pass."""
    newest = f"(SELECT max(snapshot_at) FROM {qualified(database, 'inventory_raw')})"
    behind, rows, oldest = query_row(
        client,
        f"SELECT countIf(snapshot_at < {newest}), count(), "
        f"arraySlice(arraySort(groupArrayIf((snapshot_at, show_id), snapshot_at < {newest})), 1, 10) "
        f"FROM {qualified(database, 'fact_inventory_latest')}",
    )
    return ShowsBehind(int(behind), int(rows), [(int(show), when) for when, show in oldest])


def column_differences(client: Client, database: str, table: str) -> list[str]:
    """Every difference between the live table's (or view's) columns and the DDL's, in words."""
    live: list[tuple[str, str]] = [
        (str(name), str(kind))
        for name, kind in client.query(
            "SELECT name, type FROM system.columns "
            "WHERE database = {db:String} AND table = {t:String} ORDER BY position",
            parameters={"db": database, "t": table},
        ).result_rows
    ]
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
SCOPES = {"inventory_raw": "snapshot_at = (SELECT max(snapshot_at) FROM {table})"}


def _scope(database: str, table: str) -> str:
    return SCOPES.get(table, "1").format(table=qualified(database, table))


def scoped_rows(client: Client, database: str, table: str) -> int:
    """Rows a check looks at: the whole table, or for history its newest snapshot (plain SELECT)."""
    return count_where(client, database, table, _scope(database, table))


class Duplicates(NamedTuple):
    keys: int  # keys seen more than once
    sample: list[tuple[Any, ...]]  # a few of them, with their number of copies
    rows: int  # the rows looked at (the scope of `scoped_rows`)


def duplicate_keys(client: Client, database: str, table: str, key: Sequence[str]) -> Duplicates:
    """Keys that appear more than once to an analyst's plain SELECT (no FINAL).

    One pass counts the rows and the repeated keys; the sample is read only when there are some.
    A view is computed anew by each query, so this matters: three passes were ~60 % of the views
    step's checks on the medium mart."""
    columns = ", ".join(key)
    grouped = (
        f"SELECT {columns}, count() AS copies FROM {qualified(database, table)} "
        f"WHERE {_scope(database, table)} GROUP BY {columns}"
    )
    rows, keys = query_row(client, f"SELECT sum(copies), countIf(copies > 1) FROM ({grouped})")
    sample: list[tuple[Any, ...]] = []
    if keys:
        repeated = f"{grouped} HAVING copies > 1 ORDER BY copies DESC LIMIT {SAMPLE}"
        sample = [tuple(row) for row in client.query(repeated).result_rows]
    return Duplicates(int(keys), sample, int(rows))


def orphan_event_ids(client: Client, database: str, table: str) -> list[int]:
    """A few event_ids of `table` that dim_events does not know."""
    return [
        int(row[0])
        for row in client.query(
            f"SELECT DISTINCT event_id FROM {qualified(database, table)} WHERE {_scope(database, table)} "
            f"AND event_id NOT IN (SELECT event_id FROM {qualified(database, 'dim_events')}) "
            f"ORDER BY event_id LIMIT {SAMPLE}"
        ).result_rows
    ]


def unmatched_show_ids(
    client: Client, database: str, table: str, condition: str, other: str, other_condition: str
) -> list[int]:
    """A few show_ids of `table` rows matching `condition` that no `other` row matching
    `other_condition` has."""
    return [
        int(row[0])
        for row in client.query(
            f"SELECT DISTINCT show_id FROM {qualified(database, table)} WHERE ({condition}) "
            f"AND show_id NOT IN (SELECT show_id FROM {qualified(database, other)} WHERE {other_condition}) "
            f"ORDER BY show_id LIMIT {SAMPLE}"
        ).result_rows
    ]


def other_currencies(client: Client, database: str, currency: str) -> list[tuple[str, int]]:
    """(currency, tickets) of fact_sales' paid and refunded tickets (those whose prices the views add
    up: revenue, money paid back) priced in another currency than `currency`, most first."""
    rows = client.query(
        f"SELECT currency, count() AS tickets FROM {qualified(database, 'fact_sales')} FINAL "
        "WHERE currency != {currency:String} AND status IN ('paid', 'refunded') "
        "GROUP BY currency ORDER BY tickets DESC, currency",
        parameters={"currency": currency},
    )
    return [(str(name), int(tickets)) for name, tickets in rows.result_rows]


def count_where(client: Client, database: str, table: str, condition: str) -> int:
    return int(scalar(client, f"SELECT count() FROM {qualified(database, table)} WHERE {condition}"))


def _squash(kind: str) -> str:
    return "".join(kind.split())
