"""What the charts plot, read from the views (the charts themselves are drawn in `lib/charts/`).

Each function returns the figures of one chart for its period, already aggregated by ClickHouse,
so a chart shows exactly what its view says (the tests compare them with the views' own rows).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from qtickets_assets.lib.clickhouse.connection import query_row
from qtickets_assets.lib.clickhouse.writers import qualified

if TYPE_CHECKING:
    import pandas as pd
    from clickhouse_connect.driver.client import Client

DEFAULT_ZONE = "Europe/Moscow"  # the loader's zone for an event without a city (lib/qtickets/rules.py)
TOP = 10
OTHER = "all other"
NONE = "(none)"
# The breakdowns of v_sales_by_source a chart shows: column → its title.
SOURCES = {"utm_source": "UTM source", "promo_code": "promo code", "payment_type": "payment type"}


def _local_start(alias: str) -> str:
    """The show start of `alias`'s row as "dd.mm HH:MM" on its city's clock (zone from _zones)."""
    return f"formatDateTime(toDateTime(toString({alias}.show_starts_at, z.zone), 'UTC'), '%d.%m %H:%i')"


def _zones(database: str) -> str:
    """Each event's time zone (Moscow's when none), to join as `z` on event_id."""
    return (
        f"(SELECT event_id, if(city_timezone = '', '{DEFAULT_ZONE}', city_timezone) AS zone "
        f"FROM {qualified(database, 'dim_events')} FINAL) AS z"
    )


def local_today(client: Client, database: str) -> date:
    """Today in the easternmost zone of the stored events (Moscow's when none): the newest local
    day any event has begun, the last day of the charts' periods."""
    (today,) = query_row(
        client,
        f"SELECT greatest(toDate(toString(now(), '{DEFAULT_ZONE}')), "
        f"max(toDate(toString(now(), if(city_timezone = '', '{DEFAULT_ZONE}', city_timezone))))) "
        f"FROM {qualified(database, 'dim_events')} FINAL",
    )
    return today if isinstance(today, date) else date.fromisoformat(str(today))


def revenue_by_sources(
    client: Client, database: str, first: date, last: date, top: int = TOP
) -> dict[str, pd.DataFrame]:
    """Revenue and tickets paid from `first` to `last` by each of SOURCES (columns of
    v_sales_by_source): the `top` first, then the rest summed as "all other (N)"; '' is shown as "(none)".
    One query for the three: the view is computed once, not once per breakdown (a third of the time)."""
    pairs = ", ".join(f"('{column}', toString({column}))" for column in SOURCES)
    # The rest grouped by rank, not by label: a source really named "other" stays its own bar.
    query = f"""
        SELECT breakdown,
               if(slot <= {int(top)}, if(any(name) = '', '{NONE}', any(name)),
                  concat('{OTHER} (', toString(count()), ')')) AS label,
               sum(revenue) AS revenue_paid, sum(tickets) AS tickets_paid
        FROM
        (
            SELECT breakdown, name, revenue, tickets,
                   least(row_number() OVER (PARTITION BY breakdown ORDER BY revenue DESC, name),
                         {int(top) + 1}) AS slot
            FROM
            (
                SELECT source.1 AS breakdown, source.2 AS name,
                       sum(revenue_paid) AS revenue, sum(tickets_paid) AS tickets
                FROM {qualified(database, "v_sales_by_source")}
                ARRAY JOIN [{pairs}] AS source
                WHERE date_local BETWEEN {{first:Date}} AND {{last:Date}}
                GROUP BY breakdown, name
            )
        )
        GROUP BY breakdown, slot
        ORDER BY breakdown, slot"""
    rows = client.query_df(query, parameters={"first": first, "last": last})
    if rows.empty:  # no sale in the period: clickhouse-connect returns no columns either
        import pandas as pd  # only here: the definitions import this module (lib/charts/)

        rows = pd.DataFrame(columns=["breakdown", "label", "revenue_paid", "tickets_paid"])
    return {
        column: rows[rows["breakdown"] == column].drop(columns="breakdown").reset_index(drop=True)
        for column in SOURCES
    }


def upcoming_sell_through(client: Client, database: str, shows: int) -> pd.DataFrame:
    """v_sell_through's rows of the next `shows` shows by start (not yet started), with each show's
    local start (text) and its newest capacity, by show start then days before the show. The view
    is read once: the shows ranked by start in the same scan."""
    query = f"""
        SELECT
            t.show_id AS show_id, t.event_name AS event_name, t.city_name AS city_name,
            {_local_start("t")} AS starts_local,
            t.days_before_show AS days_before_show, t.share_sold AS share_sold,
            t.tickets_sold AS tickets_sold, t.tickets_total AS tickets_total,
            argMax(t.tickets_total, t.date_local) OVER (PARTITION BY t.show_id) AS capacity
        FROM
        (
            SELECT *, dense_rank() OVER (ORDER BY show_starts_at, show_id) AS upcoming
            FROM {qualified(database, "v_sell_through")}
            WHERE show_starts_at > now()
        ) AS t
        INNER JOIN {_zones(database)} ON t.event_id = z.event_id
        WHERE t.upcoming <= {int(shows)} AND t.days_before_show >= 0
        ORDER BY t.show_starts_at, t.show_id, t.days_before_show DESC"""
    return client.query_df(query)


def recent_attendance(client: Client, database: str, first: date, last: date) -> pd.DataFrame:
    """v_show_attendance's live shows with paid tickets that started from local day `first` to
    `last` (each on its city's clock) and before now, the earliest first, with each show's local
    start (text). A deleted show is left out: its tickets were never to be scanned."""
    view = qualified(database, "v_show_attendance")
    query = f"""
        SELECT
            a.show_id AS show_id, a.event_name AS event_name, a.city_name AS city_name,
            {_local_start("a")} AS starts_local,
            a.tickets_paid AS tickets_paid, a.tickets_scanned AS tickets_scanned,
            a.share_scanned AS share_scanned
        FROM {view} AS a
        INNER JOIN {_zones(database)} ON a.event_id = z.event_id
        WHERE toDate(toString(a.show_starts_at, z.zone)) BETWEEN {{first:Date}} AND {{last:Date}}
            AND a.show_starts_at <= now() AND a.tickets_paid > 0 AND a.is_deleted = 0
        ORDER BY a.show_starts_at, a.show_id"""
    return client.query_df(query, parameters={"first": first, "last": last})


def top_events(client: Client, database: str, events: int) -> pd.DataFrame:
    """The `events` events of v_sales_dashboard with the most revenue: revenue, tickets sold,
    capacity and seats left."""
    query = f"""
        SELECT event_id, event_name, city_name, revenue_total, tickets_sold_total, tickets_total,
               tickets_left
        FROM {qualified(database, "v_sales_dashboard")}
        ORDER BY revenue_total DESC, event_id
        LIMIT {int(events)}"""
    return client.query_df(query)
