"""v_sell_through: one row per live show and local day with a snapshot, from the day's last one,
with the day taken in the event's own zone around local midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
from clickhouse_connect.driver.client import Client

from qtickets_assets.lib.clickhouse.convert import frame_to_arrow
from qtickets_assets.lib.clickhouse.ddl import table_schema
from qtickets_assets.lib.clickhouse.writers import writer_for
from qtickets_assets_tests.clickhouse.conftest import DATABASE, T0, events_frame


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def append(client: Client, table: str, rows: list[dict]) -> None:
    # Plain appends (a snapshot written twice stays twice on disk): the view must still be exact.
    frame = pd.DataFrame(rows, columns=table_schema(table).column_names)
    writer_for("append").write(client, DATABASE, table, frame_to_arrow(frame, table_schema(table)))


def snapshot(show_id: int, event_id: int, taken: str, total: int, left: int) -> dict:
    return {"snapshot_at": at(taken), "event_id": event_id, "show_id": show_id, "show_starts_at": T0,
            "tickets_total": total, "tickets_left": left, "tickets_sold": total - left}  # fmt: skip


def show(show_id: int, event_id: int, starts: str, deleted: int = 0) -> dict:
    return {"show_id": show_id, "event_id": event_id, "starts_at": at(starts), "ends_at": at(starts),
            "is_active": 1, "is_deleted": deleted, "updated_at": T0}  # fmt: skip


def test_days_are_local_and_each_holds_its_last_snapshot(client: Client) -> None:
    vladivostok = {"event_id": 1, "event_name": "Выставка", "city_timezone": "Asia/Vladivostok"}
    kaliningrad = {"event_id": 2, "event_name": "Концерт", "city_timezone": "Europe/Kaliningrad"}
    append(client, "dim_events", events_frame([vladivostok, kaliningrad]).to_dict("records"))
    append(client, "dim_shows", [
        show(11, 1, "2025-12-05 06:00:00"),  # 16:00 in Vladivostok (UTC+10), Dec 5
        show(12, 1, "2025-12-05 06:00:00", deleted=1),
        show(21, 2, "2025-12-05 22:30:00"),  # 00:30 in Kaliningrad (UTC+2), Dec 6
    ])  # fmt: skip
    append(client, "inventory_raw", [
        snapshot(11, 1, "2025-11-30 13:59:00", 100, 90),  # 23:59 Nov 30 in Vladivostok
        snapshot(11, 1, "2025-11-30 14:00:00", 100, 80),  # 00:00 Dec 1
        snapshot(11, 1, "2025-11-30 14:30:00", 100, 75),  # Dec 1, later: the day's last
        snapshot(11, 1, "2025-11-30 14:30:00", 100, 75),  # the same snapshot written twice
        snapshot(12, 1, "2025-11-30 14:30:00", 50, 10),  # a deleted show: no row
        snapshot(21, 2, "2025-11-30 13:59:00", 0, 0),  # 15:59 Nov 30 in Kaliningrad
        snapshot(21, 2, "2025-11-30 21:59:00", 200, 150),  # 23:59 Nov 30: the day's last
        snapshot(21, 2, "2025-11-30 22:00:00", 200, 140),  # 00:00 Dec 1
    ])  # fmt: skip
    rows = client.query(
        f"SELECT show_id, date_local, snapshot_at, tickets_total, tickets_sold, tickets_left, share_sold, "
        f"days_before_show, event_name FROM {DATABASE}.v_sell_through ORDER BY show_id, date_local"
    ).result_rows
    naive = lambda text: at(text).replace(tzinfo=None)  # noqa: E731  # the driver hands DateTime('UTC') back naive
    assert [(*row[:2], row[2].replace(tzinfo=None), *row[3:]) for row in rows] == [
        (11, date(2025, 11, 30), naive("2025-11-30 13:59:00"), 100, 10, 90, 0.1, 5, "Выставка"),
        (11, date(2025, 12, 1), naive("2025-11-30 14:30:00"), 100, 25, 75, 0.25, 4, "Выставка"),
        (21, date(2025, 11, 30), naive("2025-11-30 21:59:00"), 200, 50, 150, 0.25, 6, "Концерт"),
        (21, date(2025, 12, 1), naive("2025-11-30 22:00:00"), 200, 60, 140, 0.3, 5, "Концерт"),
    ]


def test_a_day_whose_last_snapshot_has_no_capacity_has_no_share(client: Client) -> None:
    append(client, "dim_events", events_frame([{"event_id": 1}]).to_dict("records"))
    append(client, "dim_shows", [show(11, 1, "2025-12-05 06:00:00")])
    append(client, "inventory_raw", [snapshot(11, 1, "2025-11-30 10:00:00", 0, 0)])
    [(share,)] = client.query(f"SELECT share_sold FROM {DATABASE}.v_sell_through").result_rows
    assert share is None


def test_a_show_moved_to_another_event_keeps_one_row_a_day(client: Client) -> None:
    """Its snapshots before the move name the old event: grouped by that, the day had two rows, the
    nightly run's no_duplicate_keys failed, and every run after it, inventory_raw keeping them."""
    append(client, "dim_events", events_frame([{"event_id": 1}, {"event_id": 2}]).to_dict("records"))
    append(client, "dim_shows", [show(11, 2, "2025-12-05 06:00:00")])  # now of event 2
    append(client, "inventory_raw", [
        snapshot(11, 1, "2025-11-30 09:00:00", 100, 90),  # before the move: event 1
        snapshot(11, 2, "2025-11-30 10:00:00", 100, 80),  # after it, the same day
    ])  # fmt: skip
    rows = client.query(
        f"SELECT event_id, show_id, date_local, tickets_left FROM {DATABASE}.v_sell_through"
    ).result_rows
    assert rows == [(2, 11, date(2025, 11, 30), 80)]
