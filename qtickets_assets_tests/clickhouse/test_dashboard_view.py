"""v_sales_dashboard: exact figures per event, with "today" and "14d" in the event's own zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from clickhouse_connect.driver.client import Client

from qtickets_assets.lib.clickhouse.convert import frame_to_arrow
from qtickets_assets.lib.clickhouse.ddl import table_schema
from qtickets_assets.lib.clickhouse.writers import writer_for
from qtickets_assets_tests.clickhouse.conftest import DATABASE, T0, events_frame, inventory_frame, sales_frame

# UTC+7 and UTC-5/-4 (with a DST change some 14-day windows cross): local midnight falls on a
# different UTC date in each, so a view that used UTC or Moscow days would get these wrong.
ZONES = {1: "Asia/Krasnoyarsk", 2: "America/New_York"}


def append(client: Client, table: str, frame: pd.DataFrame) -> None:
    # Plain appends, never merged: the view must be exact with duplicate versions still on disk.
    writer_for("append").write(client, DATABASE, table, frame_to_arrow(frame, table_schema(table)))


def local_midnight(zone: str, days_ago: int) -> datetime:
    today = datetime.now(ZoneInfo(zone)).date() - timedelta(days=days_ago)
    return datetime(today.year, today.month, today.day, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def sales_for(event_id: int) -> pd.DataFrame:
    zone = ZONES[event_id]
    today, window_start = local_midnight(zone, 0), local_midnight(zone, 13)
    second = timedelta(seconds=1)
    rows = [
        (today, "paid", 1, "100.10"),  # first second of the local day: today and 14d
        (today - second, "paid", 2, "200.20"),  # last second of local yesterday: 14d only
        (window_start, "paid", 4, "400.40"),  # first second of the 14-day window
        (window_start - second, "paid", 8, "800.80"),  # just before it: total only
        (today, "refunded", 16, "1600.00"),  # not paid: nowhere
        (today, "cancelled", 32, "3200.00"),
    ]
    return sales_frame(
        [
            {"basket_id": event_id * 100 + i, "event_id": event_id, "paid_at": paid, "status": status,
             "quantity": quantity, "price": price, "updated_at": T0 + timedelta(days=1)}
            for i, (paid, status, quantity, price) in enumerate(rows)
        ]
    )  # fmt: skip


def test_today_and_14d_are_local_calendar_days_and_figures_are_exact(client: Client) -> None:
    events = events_frame(
        [
            {"event_id": 1, "city_name": "Красноярск", "city_timezone": ZONES[1]},
            {"event_id": 2, "city_name": "New York", "city_timezone": ZONES[2]},
            {"event_id": 3, "is_deleted": 1},
        ]
    )
    stale_event = events_frame(
        [{"event_id": 1, "event_name": "old name", "updated_at": T0 - timedelta(days=1)}]
    )
    append(client, "dim_events", stale_event)
    append(client, "dim_events", events)
    # An older version of basket 100 (the "today" ticket) with other figures, still unmerged.
    stale_sale = sales_for(1).iloc[[0]].assign(quantity=500, price="5000.00", updated_at=T0)
    append(client, "fact_sales", stale_sale)
    append(client, "fact_sales", pd.concat([sales_for(1), sales_for(2)], ignore_index=True))
    snapshot = T0 + timedelta(hours=3)
    append(
        client,
        "fact_inventory_latest",
        inventory_frame(
            [
                {"event_id": 1, "show_id": 11, "tickets_total": 100, "tickets_left": 40, "snapshot_at": T0},
                {
                    "event_id": 1,
                    "show_id": 12,
                    "tickets_total": 50,
                    "tickets_left": 10,
                    "snapshot_at": snapshot,
                },
            ]
        ),
    )

    rows = client.query(f"SELECT * FROM {DATABASE}.v_sales_dashboard ORDER BY event_id").result_rows
    figures = (15, Decimal("1501.50"), 1, Decimal("100.10"), 7, Decimal("700.70"))
    # Rows written straight to fact_sales, not by a sales load: sales_updated_at is NULL (no load).
    assert rows == [
        (1, "Концерт", "Красноярск", *figures, 150, 50, snapshot.replace(tzinfo=None), None),
        (2, "Концерт", "New York", *figures, 0, 0, None, None),
    ]


VIEW = Path(__file__).parents[2] / "clickhouse" / "views" / "010_v_sales_dashboard.sql"
# Zones whose clocks change at 00:00 (Havana, Santiago: local midnight does not exist on the day
# they spring forward), at 02:00-03:00 (Berlin, Chisinau, Sydney, Jerusalem), or never (Moscow).
DST_ZONES = [
    "America/Havana", "America/Santiago", "Europe/Berlin", "Europe/Chisinau", "Australia/Sydney",
    "Asia/Jerusalem", "Europe/Moscow",
]  # fmt: skip


def day_starts_sql(instants: list[datetime], zone: str) -> str:
    """The view's own expressions for today's and 13 days earlier's first instants (its `events`
    CTE, read from the view's file), evaluated at `instants` instead of now()."""
    text = VIEW.read_text(encoding="utf-8")
    first, last = (
        text.index("toDateTime(toDate(toString(now()"),
        text.index("AS d14_start") + len("AS d14_start"),
    )
    expressions = text[first:last].replace("now()", "n")
    listed = ", ".join(f"toDateTime('{t:%Y-%m-%d %H:%M:%S}', 'UTC')" for t in instants)
    return (
        "SELECT toString(n), toString(today_start), toString(d14_start) "
        f"FROM (SELECT arrayJoin([{listed}]) AS n, '{zone}' AS city_timezone, {expressions})"
    )


def first_instant(day: date, zone: ZoneInfo) -> str:
    """The earliest UTC minute whose local date in `zone` is `day`."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=16)
    minute = next(m for m in range(48 * 60) if (start + timedelta(minutes=m)).astimezone(zone).date() == day)
    return f"{start + timedelta(minutes=minute):%Y-%m-%d %H:%M:%S}"


@pytest.mark.parametrize("zone", DST_ZONES)
def test_today_starts_at_the_local_days_first_instant_across_a_year(client: Client, zone: str) -> None:
    """Every 7 hours of 2026: the view's "today" and its 14-day window start at the first instant of
    the local day, also on a day whose midnight the clocks skip (it started an hour early there)."""
    instants = [datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=h) for h in range(0, 365 * 24, 7)]
    rows = client.query(day_starts_sql(instants, zone)).result_rows
    tz = ZoneInfo(zone)
    wrong = [
        (now, today_start, d14_start)
        for now, today_start, d14_start in rows
        for local in [datetime.fromisoformat(now).replace(tzinfo=UTC).astimezone(tz).date()]
        if (today_start, d14_start)
        != (first_instant(local, tz), first_instant(local - timedelta(days=13), tz))
    ]
    assert len(rows) == len(instants) and not wrong, wrong[:3]
