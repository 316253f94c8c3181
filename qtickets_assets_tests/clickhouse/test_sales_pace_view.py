"""v_sales_pace: one row per live show and day of payment, the event the show's."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
from clickhouse_connect.driver.client import Client

from qtickets_assets.lib.clickhouse.convert import frame_to_arrow
from qtickets_assets.lib.clickhouse.ddl import table_schema
from qtickets_assets.lib.clickhouse.writers import writer_for
from qtickets_assets_tests.clickhouse.conftest import DATABASE, T0, events_frame, sales_frame


def append(client: Client, table: str, frame: pd.DataFrame) -> None:
    writer_for("append").write(client, DATABASE, table, frame_to_arrow(frame, table_schema(table)))


def test_tickets_of_one_show_under_two_orders_events_make_one_row_a_day(client: Client) -> None:
    """A ticket for a show of another event than its order's (an exchange across events, if the API
    allows one): by the orders' events the day had two rows, and the running total restarted in
    each, the check no_duplicate_keys failed and every full sync after it."""
    append(client, "dim_events", events_frame([{"event_id": 1, "event_name": "Своё"}, {"event_id": 2}]))
    starts = T0 + timedelta(days=10)
    shows = {"show_id": [100], "event_id": [1], "starts_at": [starts], "ends_at": [starts],
             "is_active": [1], "is_deleted": [0], "updated_at": [T0]}  # fmt: skip
    append(client, "dim_shows", pd.DataFrame(shows))
    append(client, "fact_sales", sales_frame([
        {"basket_id": 1, "event_id": 1, "quantity": 2},
        {"basket_id": 2, "event_id": 2, "quantity": 1},  # its order names event 2
        {"basket_id": 3, "event_id": 1, "paid_at": T0 + timedelta(days=1),
         "paid_date_local": T0.date() + timedelta(days=1)},
    ]))  # fmt: skip
    rows = client.query(
        f"SELECT event_id, event_name, show_id, date_local, tickets_paid, tickets_paid_cumulative "
        f"FROM {DATABASE}.v_sales_pace ORDER BY date_local"
    ).result_rows
    assert rows == [
        (1, "Своё", 100, T0.date(), 3, 3),
        (1, "Своё", 100, T0.date() + timedelta(days=1), 1, 4),
    ]
