"""v_sales_dashboard: exact figures per event, with "today" and "14d" in the event's own zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pandas as pd
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
