"""The mart's SQL that the assets make: what they, the IO manager and the demo read from (and record
in) the tables the DDL creates. What only the asset checks ask is in `mart_checks.py`.

Tables and views themselves live in `clickhouse/ddl/`; these modules hold the queries run against
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


def scalar(client: Client, query: str, parameters: dict[str, Any] | None = None) -> Any:
    """The one value of a query that returns one (a count, a sum)."""
    return query_row(client, query, parameters)[0]


def final_clause(client: Client, database: str, table: str) -> str:
    """ " FINAL" for a ReplacingMergeTree (versions not yet merged away are hidden), else ""."""
    return " FINAL" if "ReplacingMergeTree" in table_engine(client, database, table) else ""


def row_count(client: Client, database: str, table: str) -> int:
    """The rows an analyst sees: FINAL for ReplacingMergeTree tables; views are counted as they are."""
    return int(
        scalar(
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
    days: int  # a calendar day (_local) differs for the same instant in the same zone
    not_stored: int  # in the API, never loaded
    not_in_api: int  # stored, but the API no longer returns it


DRIFT_COLUMNS = (
    "basket_id", "status", "price", "paid_at", "refunded_at", "refunded_amount", "checked_at",
    "created_date_local", "paid_date_local", "refunded_date_local", "local_zone",
)  # fmt: skip


def sales_drift(client: Client, database: str, staging: str) -> SalesDrift | None:
    """fact_sales as re-read into `staging` against the live table (FINAL), before a full rebuild
    replaces it; None when the live table is empty (a first load: nothing to compare with)."""
    live, fresh = qualified(database, "fact_sales"), qualified(database, staging)
    compared = ", ".join(DRIFT_COLUMNS)
    query = f"""
        WITH
            (SELECT (count(), max(order_id), max(updated_at)) FROM {live} FINAL) AS stored,
            api AS
            (
                SELECT {compared}
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
                    in_api AND in_mart AND NOT isNotDistinctFrom(a.checked_at, l.checked_at) AS scan_differs,
                    -- In the same zone only: an event that moved since the last load is read in
                    -- its new zone now, which no incremental load could have known.
                    in_api AND in_mart AND a.local_zone = l.local_zone
                        AND (a.created_date_local != l.created_date_local
                        OR (isNotDistinctFrom(a.paid_at, l.paid_at)
                            AND NOT isNotDistinctFrom(a.paid_date_local, l.paid_date_local))
                        OR (isNotDistinctFrom(a.refunded_at, l.refunded_at)
                            AND NOT isNotDistinctFrom(a.refunded_date_local, l.refunded_date_local)))
                        AS days_differ
                FROM api AS a
                FULL OUTER JOIN
                (
                    SELECT {compared}
                    FROM {live} FINAL
                ) AS l ON a.basket_id = l.basket_id
                -- Stored tickets of orders updated since the last load are in the API, not in `api`.
                WHERE in_api OR l.basket_id NOT IN (SELECT basket_id FROM {fresh})
            )
        SELECT
            stored.1,
            countIf(status_differs OR price_differs OR refund_differs OR scan_differs OR days_differ
                OR NOT (in_api AND in_mart)),
            countIf(status_differs), countIf(price_differs), countIf(refund_differs), countIf(scan_differs),
            countIf(days_differ),
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


def newest_stored_zones(client: Client, database: str, event_ids: Sequence[int]) -> dict[int, str]:
    """{event_id: the zone its stored tickets' days are in} for those of `event_ids` fact_sales
    holds (the newest ticket's, should an event's tickets be in two)."""
    if not event_ids:
        return {}
    rows = client.query(
        f"SELECT event_id, argMax(local_zone, updated_at) FROM {qualified(database, 'fact_sales')} FINAL "
        "WHERE event_id IN {events:Array(UInt64)} AND local_zone != '' GROUP BY event_id",
        parameters={"events": list(event_ids)},
    )
    return {int(event_id): str(zone) for event_id, zone in rows.result_rows}


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


# Ids bound as a query parameter travel in the HTTP request's URL to a server (~10 bytes an id):
# 500 stay under the 8 KB a proxy in front of ClickHouse may allow for a request line.
IDS_PER_QUERY = 500


def id_chunks(ids: Sequence[int]) -> list[list[int]]:
    """`ids` in lists of IDS_PER_QUERY, one query each."""
    return [list(ids[start : start + IDS_PER_QUERY]) for start in range(0, len(ids), IDS_PER_QUERY)]


def stored_baskets(client: Client, database: str, order_ids: Sequence[int]) -> pa.Table:
    """(order_id, basket_id, updated_at as epoch seconds) of every ticket fact_sales holds for
    `order_ids` (their newest versions)."""
    import pyarrow as pa  # in the run only: sensors and the webserver load this module too

    table = qualified(database, "fact_sales")
    tables = [
        client.query_arrow(
            f"SELECT order_id, basket_id, toInt64(updated_at) AS updated_at FROM {table} FINAL "
            "WHERE has({orders:Array(UInt64)}, order_id)",
            parameters={"orders": chunk},
        )
        for chunk in id_chunks(order_ids)
    ]
    schema = pa.schema([("order_id", pa.uint64()), ("basket_id", pa.uint64()), ("updated_at", pa.int64())])
    return pa.concat_tables([t.cast(schema) for t in tables]) if tables else schema.empty_table()


def delete_tickets(client: Client, database: str, basket_ids: Sequence[int]) -> None:
    """Removes these tickets from fact_sales (a lightweight DELETE: rows masked at once, purged by
    later merges)."""
    table = qualified(database, "fact_sales")
    for chunk in id_chunks(basket_ids):
        client.command(
            f"DELETE FROM {table} WHERE has({{baskets:Array(UInt64)}}, basket_id)",
            parameters={"baskets": chunk},
        )


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
    its seats could not be read then (the row then says when they last were), with the show's
    start as the newest events load has it (a show postponed since its seats were last read).

    Only the week before the newest snapshot is read (the table's partitions and order key keep
    that cheap), not the whole history."""
    raw, shows = qualified(database, "inventory_raw"), qualified(database, "dim_shows")
    columns = ", ".join(
        "s.starts_at AS show_starts_at" if name == "show_starts_at" else f"r.{name} AS {name}"
        for name in table_schema("fact_inventory_latest").column_names
    )
    return (
        f"SELECT {columns} FROM ("
        f"SELECT * FROM {raw} FINAL "
        f"WHERE snapshot_at >= (SELECT max(snapshot_at) FROM {raw}) - {UNREAD_SHOW_KEPT} "
        "ORDER BY show_id, snapshot_at DESC LIMIT 1 BY show_id"
        f") AS r INNER JOIN (SELECT show_id, starts_at FROM {shows} WHERE is_deleted = 0) AS s "
        "ON r.show_id = s.show_id"
    )


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
