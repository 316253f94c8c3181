"""v_sales and v_sales_daily read the show's start in the event's own zone, per row: the local date
and clock (a Date and an 'HH:MM' text, never local digits in a UTC type), days before the show from
the show's current start, and a cancellation's local day."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pandas as pd
from clickhouse_connect.driver.client import Client

from qtickets_assets.lib.clickhouse.convert import frame_to_arrow
from qtickets_assets.lib.clickhouse.ddl import table_schema
from qtickets_assets.lib.clickhouse.writers import writer_for
from qtickets_assets_tests.clickhouse.conftest import DATABASE, events_frame, sales_frame

VLADIVOSTOK, KALININGRAD = "Asia/Vladivostok", "Europe/Kaliningrad"  # UTC+10, UTC+2


def write(client: Client, table: str, frame: pd.DataFrame) -> None:
    writer_for("append").write(client, DATABASE, table, frame_to_arrow(frame, table_schema(table)))


def write_shows(client: Client, vladivostok_start: datetime) -> None:
    """dim_shows, rebuilt: show 11 of event 1 (Vladivostok) at `vladivostok_start`; show 21 of
    event 2 at 00:30 on Dec 6 in Kaliningrad (still Dec 5 in UTC)."""
    starts = {11: (1, vladivostok_start), 21: (2, datetime(2025, 12, 5, 22, 30, tzinfo=UTC))}
    frame = pd.DataFrame(
        [
            {"show_id": show_id, "event_id": event_id, "starts_at": start, "ends_at": start,
             "is_active": 1, "is_deleted": 0, "updated_at": start}
            for show_id, (event_id, start) in starts.items()
        ]
    )  # fmt: skip
    client.command(f"TRUNCATE TABLE {DATABASE}.dim_shows")
    write(client, "dim_shows", frame)


def test_show_start_and_days_before_it_are_the_events_own_local_ones(client: Client) -> None:
    write(
        client,
        "dim_events",
        events_frame(
            [{"event_id": 1, "city_timezone": VLADIVOSTOK}, {"event_id": 2, "city_timezone": KALININGRAD}]
        ),
    )
    write_shows(client, datetime(2025, 12, 5, 6, 0, tzinfo=UTC))  # 16:00 on Dec 5 in Vladivostok
    write(
        client,
        "fact_sales",
        sales_frame(
            [
                {"basket_id": 1, "event_id": 1, "show_id": 11, "paid_date_local": date(2025, 12, 1)},
                {"basket_id": 2, "event_id": 2, "show_id": 21, "paid_date_local": date(2025, 11, 30)},
                # Paid, then cancelled at 00:30 on Dec 2 in Kaliningrad (22:30 UTC on Dec 1), nothing
                # refunded.
                {"basket_id": 3, "event_id": 2, "show_id": 21, "status": "cancelled",
                 "price": Decimal("75.25"), "paid_date_local": date(2025, 11, 30),
                 "cancelled_at": datetime(2025, 12, 1, 22, 30, tzinfo=UTC)},
                {"basket_id": 4, "event_id": 2, "show_id": 21, "status": "unpaid", "paid_at": None,
                 "paid_date_local": None},
            ]
        ),
    )  # fmt: skip
    sales = client.query(
        f"SELECT basket_id, show_date_local, show_time_local, days_before_show FROM {DATABASE}.v_sales "
        "ORDER BY basket_id"
    ).result_rows
    assert sales == [
        (1, date(2025, 12, 5), "16:00", 4),
        (2, date(2025, 12, 6), "00:30", 6),
        (3, date(2025, 12, 6), "00:30", 6),
        (4, date(2025, 12, 6), "00:30", None),  # not paid: no days before the show
    ]
    daily = client.query(
        f"SELECT show_id, date_local, days_before_show, tickets_paid, tickets_cancelled, amount_cancelled "
        f"FROM {DATABASE}.v_sales_daily ORDER BY show_id, date_local"
    ).result_rows
    assert daily == [
        (11, date(2025, 12, 1), 4, 1, 0, Decimal("0.00")),
        (21, date(2025, 11, 30), 6, 1, 0, Decimal("0.00")),
        (21, date(2025, 12, 2), 4, 0, 1, Decimal("75.25")),  # the cancellation's local day
    ]

    # The show is postponed by a week: both views follow its current start, nothing is reloaded.
    write_shows(client, datetime(2025, 12, 12, 6, 0, tzinfo=UTC))
    assert client.command(f"SELECT days_before_show FROM {DATABASE}.v_sales WHERE basket_id = 1") == 11
    assert client.command(f"SELECT days_before_show FROM {DATABASE}.v_sales_daily WHERE show_id = 11") == 11
