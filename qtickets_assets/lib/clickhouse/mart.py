"""The mart's SQL, in one place: what the assets and checks ask of the tables the DDL creates.

Tables and views themselves live in `clickhouse/ddl/`; this module holds the queries run against
them. Every function takes an open client and the database; names are quoted here, once.
Tables written with ReplacingMergeTree are read with FINAL wherever a figure must be exact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from qtickets_assets.lib.clickhouse.connection import query_row, quote_identifier
from qtickets_assets.lib.clickhouse.ddl import TableSchema, table_schema, to_arrow_schema
from qtickets_assets.lib.clickhouse.writers import qualified, table_engine

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa
    from clickhouse_connect.driver.client import Client

SAMPLE = 5


def _scalar(client: Client, query: str, parameters: dict[str, Any] | None = None) -> Any:
    return query_row(client, query, parameters)[0]


def final_clause(client: Client, database: str, table: str) -> str:
    """ " FINAL" for a ReplacingMergeTree (versions not yet merged away are hidden), else ""."""
    return " FINAL" if "ReplacingMergeTree" in table_engine(client, database, table) else ""


def row_count(client: Client, database: str, table: str) -> int:
    """The rows an analyst sees: FINAL for ReplacingMergeTree tables; views are counted as they are."""
    return int(
        _scalar(
            client, f"SELECT count() FROM {qualified(database, table)}{final_clause(client, database, table)}"
        )
    )


# -- fact_sales ---------------------------------------------------------------------------------


class SalesWatermark(NamedTuple):
    max_order_id: int
    max_updated_at: datetime
    stamped_ahead: int = 0  # tickets whose update time is past `not_after`: not counted above


def sales_watermark(client: Client, database: str, not_after: datetime) -> SalesWatermark | None:
    """The highest order id and newest update already stored, or None for an empty table.

    An update stamped after `not_after` (a clock running ahead, one bad record) is left out: as
    the newest update it would make every later incremental run ask for the orders updated since
    a time still to come, and miss every refund until then, a full rebuild included (it keeps the
    API's stamp). Before 1970 when every update is."""
    rows, max_order_id, max_updated_at, ahead = query_row(
        client,
        "SELECT count(), max(order_id), maxIf(updated_at, updated_at <= {not_after:DateTime('UTC')}), "
        f"countIf(updated_at > {{not_after:DateTime('UTC')}}) FROM {qualified(database, 'fact_sales')}",
        {"not_after": not_after},
    )
    if rows == 0:
        return None
    # The column is DateTime('UTC'); the driver may hand it back naive.
    newest = max_updated_at.replace(tzinfo=max_updated_at.tzinfo or UTC)
    return SalesWatermark(int(max_order_id), newest, int(ahead))


class SalesDrift(NamedTuple):
    """What a full re-read of the API found that the incremental loads had stored otherwise.

    Only tickets the incremental loads should already have had are counted: those of orders up to
    the stored newest id, last updated (per the API) no later than the stored newest update. A sale,
    refund or scan since the last load is not drift; the next incremental load would read it.
    A ticket counts once in `tickets` and once under each kind of difference it shows.
    """

    tickets: int  # stored otherwise (any kind below), or missing on either side
    status: int  # paid / unpaid / cancelled / refunded differ
    price: int
    refund: int  # refunded_at or refunded_amount differ
    scan: int  # checked_at differs
    not_stored: int  # in the API, never loaded
    not_in_api: int  # stored, but the API no longer returns it


def sales_drift(client: Client, database: str, staging: str) -> SalesDrift | None:
    """fact_sales as re-read into `staging` against the live table (FINAL), before a full rebuild
    replaces it; None when the live table is empty (a first load: nothing to compare with)."""
    live, fresh = qualified(database, "fact_sales"), qualified(database, staging)
    query = f"""
        WITH
            (SELECT (count(), max(order_id), max(updated_at)) FROM {live} FINAL) AS stored,
            api AS
            (
                SELECT basket_id, status, price, refunded_at, refunded_amount, checked_at
                FROM {fresh} FINAL
                WHERE order_id <= stored.2 AND updated_at <= stored.3
            ),
            compared AS
            (
                SELECT
                    a.basket_id != 0 AS in_api, l.basket_id != 0 AS in_mart,
                    in_api AND in_mart AND a.status != l.status AS status_differs,
                    in_api AND in_mart AND a.price != l.price AS price_differs,
                    in_api AND in_mart AND NOT (isNotDistinctFrom(a.refunded_at, l.refunded_at)
                        AND a.refunded_amount = l.refunded_amount) AS refund_differs,
                    in_api AND in_mart AND NOT isNotDistinctFrom(a.checked_at, l.checked_at) AS scan_differs
                FROM api AS a
                FULL OUTER JOIN
                (
                    SELECT basket_id, status, price, refunded_at, refunded_amount, checked_at
                    FROM {live} FINAL
                ) AS l ON a.basket_id = l.basket_id
                -- Stored tickets of orders updated since the last load are in the API, not in `api`.
                WHERE in_api OR l.basket_id NOT IN (SELECT basket_id FROM {fresh})
            )
        SELECT
            stored.1,
            countIf(status_differs OR price_differs OR refund_differs OR scan_differs
                OR NOT (in_api AND in_mart)),
            countIf(status_differs), countIf(price_differs), countIf(refund_differs), countIf(scan_differs),
            countIf(NOT in_mart), countIf(NOT in_api)
        FROM compared"""
    stored_rows, *counts = query_row(client, query)
    return None if stored_rows == 0 else SalesDrift(*(int(count) for count in counts))


def event_zones(client: Client, database: str) -> dict[int, str]:
    """Each stored event's city time zone (what its tickets' calendar days are read in)."""
    rows = client.query(f"SELECT event_id, city_timezone FROM {qualified(database, 'dim_events')} FINAL")
    return {int(event_id): str(zone) for event_id, zone in rows.result_rows}


def stored_zones(client: Client, database: str) -> list[tuple[int, str]]:
    """(event_id, zone) for each zone fact_sales holds an event's _local days in ('' left out: rows
    loaded before the zone was stored). Not FINAL, to stay a light scan: a version an upsert's
    merge has not dropped yet only has its event's tickets written again, the same rows."""
    table = qualified(database, "fact_sales")
    rows = client.query(f"SELECT DISTINCT event_id, local_zone FROM {table} WHERE local_zone != ''")
    return [(int(event_id), str(zone)) for event_id, zone in rows.result_rows]


def stored_tickets(client: Client, database: str, event_ids: Sequence[int], columns: TableSchema) -> pa.Table:
    """The newest version of every ticket of `event_ids` in fact_sales, `columns` only, typed as their
    DDL says (times as epoch seconds first: Arrow cannot cast ClickHouse's UInt32 to a timestamp)."""
    selected = ", ".join(
        f"toInt64({name}) AS {name}" if "DateTime" in column.type else name
        for column in columns.columns
        for name in [quote_identifier(column.name)]
    )
    table = client.query_arrow(
        f"SELECT {selected} FROM {qualified(database, 'fact_sales')} FINAL "
        "WHERE has({events:Array(UInt64)}, event_id)",
        parameters={"events": list(event_ids)},
    )
    return table.cast(to_arrow_schema(columns))


def record_load(client: Client, database: str, ledger: str, write_mode: str, rows_written: int) -> None:
    """One row in `ledger` (e.g. sales_loads) for a write that has just succeeded, whether or not it
    brought anything new: what "the last successful load" of a table is read from."""
    client.command(
        f"INSERT INTO {qualified(database, ledger)} (loaded_at, write_mode, rows_written) "
        "VALUES (now(), {mode:String}, {rows:UInt64})",
        parameters={"mode": write_mode, "rows": rows_written},
    )


# -- inventory ----------------------------------------------------------------------------------


def live_shows(client: Client, database: str) -> pd.DataFrame:
    """The stored live shows (not deleted, of events not deleted): what a snapshot walks."""
    return client.query_df(
        f"SELECT event_id, show_id, starts_at FROM {qualified(database, 'dim_shows')} "
        "WHERE is_deleted = 0 ORDER BY show_id",
        tz_mode="aware",
    )


# A show whose seats could not be read keeps its newest row this long after the newest snapshot
# (the check `shows_in_newest_snapshot` warns meanwhile); after it the show has no row, and
# `ticket_counts_present` fails.
UNREAD_SHOW_KEPT = "INTERVAL 7 DAY"


def latest_inventory_select(database: str) -> str:
    """fact_inventory_latest's rows: each live show's newest row, from the newest snapshot unless
    its seats could not be read then (the row then says when they last were).

    Only the week before the newest snapshot is read (the table's partitions and order key keep
    that cheap), not the whole history."""
    raw, shows = qualified(database, "inventory_raw"), qualified(database, "dim_shows")
    columns = ", ".join(table_schema("fact_inventory_latest").column_names)
    return (
        f"SELECT {columns} FROM {raw} FINAL "
        f"WHERE snapshot_at >= (SELECT max(snapshot_at) FROM {raw}) - {UNREAD_SHOW_KEPT} "
        f"AND show_id IN (SELECT show_id FROM {shows} WHERE is_deleted = 0) "
        "ORDER BY show_id, snapshot_at DESC LIMIT 1 BY show_id"
    )


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


# -- the dashboard --------------------------------------------------------------------------------


# v_sales_dashboard's columns as the demo prints them, the report and the UI's preview show them.
DASHBOARD_TITLES = {
    "event_id": "id",
    "event_name": "event",
    "city_name": "city",
    "tickets_sold_total": "sold",
    "revenue_total": "revenue",
    "tickets_sold_today": "today",
    "revenue_today": "revenue today",
    "tickets_sold_14d": "14 days",
    "revenue_14d": "revenue 14d",
    "tickets_total": "seats",
    "tickets_left": "left",
}


def dashboard(client: Client, database: str) -> pd.DataFrame:
    """v_sales_dashboard, the events with the most revenue first."""
    return view_rows(client, database, "v_sales_dashboard", "revenue_total DESC, event_id")


def dashboard_totals(client: Client, database: str) -> tuple[int, Decimal]:
    """Paid tickets and their revenue over every event of the dashboard."""
    tickets, revenue = query_row(
        client,
        f"SELECT sum(tickets_sold_total), sum(revenue_total) FROM {qualified(database, 'v_sales_dashboard')}",
    )
    return int(tickets), Decimal(revenue)


def tickets_sold_all_events(client: Client, database: str) -> int:
    """Paid tickets of every event, deleted ones included (v_sales_daily's sum; the dashboard lists
    live events only, so its sum is smaller when a deleted event sold tickets)."""
    (tickets,) = query_row(client, f"SELECT sum(tickets_paid) FROM {qualified(database, 'v_sales_daily')}")
    return int(tickets)


def daily_sales(client: Client, database: str, first: date, last: date) -> pd.DataFrame:
    """Every event's paid and refunded tickets per local day from `first` to `last`, days without
    activity included (as zeros): the sales curve the demo prints."""
    query = f"""
        SELECT
            date_local, sum(tickets_paid) AS tickets_paid, sum(revenue_paid) AS revenue_paid,
            sum(tickets_refunded) AS tickets_refunded, sum(amount_refunded) AS amount_refunded
        FROM {qualified(database, "v_sales_daily")}
        WHERE date_local BETWEEN {{first:Date}} AND {{last:Date}}
        GROUP BY date_local
        ORDER BY date_local WITH FILL FROM {{first:Date}} TO {{last:Date}} + 1"""
    daily = client.query_df(query, parameters={"first": first, "last": last})
    daily["date_local"] = daily["date_local"].dt.date  # a calendar day, not a midnight
    return daily


def view_rows(
    client: Client,
    database: str,
    view: str,
    order_by: str,
    limit: int | None = None,
    computed: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """A view's rows in `order_by` order (the first `limit`), with `computed` columns (name: SQL) added."""
    extra = "".join(f", {expression} AS {name}" for name, expression in (computed or {}).items())
    limit_clause = f" LIMIT {int(limit)}" if limit is not None else ""
    rows = client.query_df(
        f"SELECT *{extra} FROM {qualified(database, view)} ORDER BY {order_by}{limit_clause}", tz_mode="aware"
    )
    if rows.empty and rows.columns.empty:  # clickhouse-connect names no column of an empty result
        return rows.reindex(columns=[c.name for c in table_schema(view).columns] + list(computed or {}))
    return rows


# -- what the checks ask --------------------------------------------------------------------------


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


def count_where(client: Client, database: str, table: str, condition: str) -> int:
    return int(_scalar(client, f"SELECT count() FROM {qualified(database, table)} WHERE {condition}"))


def _squash(kind: str) -> str:
    return "".join(kind.split())
