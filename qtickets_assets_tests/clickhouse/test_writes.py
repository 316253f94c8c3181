"""Writing frames: exact round trips, refused mismatches, atomic replace, deduplicating upsert."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa
import pytest
from clickhouse_connect.driver.client import Client

from qtickets_assets.lib.clickhouse import writers
from qtickets_assets.lib.clickhouse.connection import open_client
from qtickets_assets.lib.clickhouse.convert import conform_arrow, frame_to_arrow
from qtickets_assets.lib.clickhouse.ddl import table_schema
from qtickets_assets.lib.clickhouse.errors import SchemaMismatchError
from qtickets_assets.lib.clickhouse.io_manager import read_table
from qtickets_assets.lib.clickhouse.writers import ReplaceWriter, writer_for
from qtickets_assets_tests.clickhouse.conftest import DATABASE, T0, events_frame, inventory_frame, sales_frame

# What both the frame and the Arrow table of the bad sales rows below are refused for.
BAD_SALES_PROBLEMS = [
    "missing column currency LowCardinality(String)",
    "extra column email (not in the DDL)",
    "column status LowCardinality(String) has 1 NULL value(s) but is not Nullable",
    "column quantity UInt32 is int64 and cannot become uint32: "
    "Integer value -1 not in range: 0 to 4294967295",
]


def write(client: Client, table: str, frame: pd.DataFrame, mode: str) -> None:
    writer_for(mode).write(client, DATABASE, table, frame_to_arrow(frame, table_schema(table)))


def test_every_column_type_round_trips_exactly(client: Client) -> None:
    krasnoyarsk = datetime(2025, 11, 21, 0, 30, 15, tzinfo=ZoneInfo("Asia/Krasnoyarsk"))
    frame = sales_frame(
        [
            {"basket_id": 1, "price": Decimal("0.29"), "paid_at": krasnoyarsk, "utm_source": "vk"},
            {"basket_id": 2, "price": "1222.03", "paid_at": None, "status": "unpaid", "quantity": 3},
            {"basket_id": 3, "price": Decimal("9999999999.99"), "utm_campaign": "осень-2025"},
        ]
    )
    write(client, "fact_sales", frame, "append")
    back = read_table(client, DATABASE, "fact_sales").sort_values("basket_id").reset_index(drop=True)
    assert list(back["price"]) == [Decimal("0.29"), Decimal("1222.03"), Decimal("9999999999.99")]
    assert back.loc[0, "paid_at"] == datetime(2025, 11, 20, 17, 30, 15, tzinfo=UTC)
    assert pd.isna(back.loc[1, "paid_at"])
    assert list(back["status"]) == ["paid", "unpaid", "paid"]
    assert list(back["quantity"]) == [1, 3, 1]
    assert back.loc[2, "utm_campaign"] == "осень-2025"
    assert back.loc[0, "created_at"] == T0
    types = dict(client.query("SELECT name, type FROM system.columns WHERE table = 'fact_sales'").result_rows)
    assert types["price"] == "Decimal(12, 2)" and types["status"] == "LowCardinality(String)"


def test_events_round_trip_with_nullable_dates_and_flags(client: Client) -> None:
    write(client, "dim_events", events_frame([{"event_id": 7, "starts_at": None, "ends_at": None}]), "upsert")
    back = read_table(client, DATABASE, "dim_events", ["event_id", "city_name", "starts_at", "is_active"])
    assert list(back.columns) == ["event_id", "city_name", "starts_at", "is_active"]
    assert (back.loc[0, "event_id"], back.loc[0, "city_name"], back.loc[0, "is_active"]) == (7, "Томск", 1)
    assert pd.isna(back.loc[0, "starts_at"])


def test_mismatched_frame_is_refused_with_every_difference_and_nothing_written(client: Client) -> None:
    write(client, "fact_sales", sales_frame([{"basket_id": 1}]), "append")
    bad = sales_frame([{"basket_id": 2, "price": 0.29, "quantity": -1, "status": None}])
    bad = bad.drop(columns=["currency"]).assign(email="a@b.ru")
    with pytest.raises(SchemaMismatchError) as caught:
        write(client, "fact_sales", bad, "replace")
    assert caught.value.problems == [
        *BAD_SALES_PROBLEMS,
        "column price Decimal(12, 2) is float64; give money as Decimal or str, never float",
    ]
    assert client.query(f"SELECT basket_id FROM {DATABASE}.fact_sales").result_rows == [(1,)]


def test_money_with_more_than_two_decimals_is_refused_not_rounded(client: Client) -> None:
    with pytest.raises(SchemaMismatchError, match=r"price Decimal\(12, 2\) holds '1.005', not a number"):
        write(client, "fact_sales", sales_frame([{"basket_id": 1, "price": "1.005"}]), "append")


def _shows(version: int, count: int) -> pd.DataFrame:
    frame = inventory_frame([{"event_id": 1, "show_id": show} for show in range(count)])
    frame["snapshot_at"] = T0 + timedelta(minutes=version)
    return frame


def test_replace_is_atomic_for_a_concurrent_reader(chdb_url: str, client: Client) -> None:
    rows = 50_000
    write(client, "fact_inventory_latest", _shows(0, rows), "replace")
    seen: list[tuple[int, int]] = []
    done = threading.Event()

    def poll() -> None:
        # A second client in this process shares the lock and chDB's engine with the writer.
        with open_client(chdb_url, DATABASE) as reader:
            while not done.is_set():
                sql = f"SELECT count(), uniqExact(show_id) FROM {DATABASE}.fact_inventory_latest"
                seen.append(reader.query(sql).first_row)

    thread = threading.Thread(target=poll)
    thread.start()
    for version in range(1, 9):
        write(client, "fact_inventory_latest", _shows(version, rows), "replace")
    done.set()
    thread.join()
    assert len(seen) >= 5
    assert set(seen) == {(rows, rows)}
    snapshot = client.query(f"SELECT DISTINCT toString(snapshot_at) FROM {DATABASE}.fact_inventory_latest")
    assert snapshot.result_rows == [("2025-11-20 11:13:11",)]
    leftovers = client.query("SELECT name FROM system.tables WHERE name LIKE '%staging%'").result_rows
    assert leftovers == []


def test_upsert_replaces_changed_rows_and_adds_new_ones_without_duplicates(client: Client) -> None:
    write(client, "fact_sales", sales_frame([{"basket_id": b} for b in (1, 2, 3)]), "upsert")
    later = T0 + timedelta(hours=1)
    changes = sales_frame(
        [
            {"basket_id": 2, "status": "refunded", "updated_at": later},
            {"basket_id": 4, "price": "55.50", "updated_at": later},
        ]
    )
    write(client, "fact_sales", changes, "upsert")
    # A plain SELECT (no FINAL), as an analyst would write it.
    rows = client.query(
        f"SELECT basket_id, status, price FROM {DATABASE}.fact_sales ORDER BY basket_id"
    ).result_rows
    assert rows == [
        (1, "paid", Decimal("100.00")),
        (2, "refunded", Decimal("100.00")),
        (3, "paid", Decimal("100.00")),
        (4, "paid", Decimal("55.50")),
    ]


def test_upsert_keeps_the_newer_version_whatever_the_order_of_the_writes(client: Client) -> None:
    """The version is updated_at, not the order of writes: a run that read an order before its
    refund and writes after the run that read the refund must not undo the refund."""
    later = T0 + timedelta(hours=1)
    write(
        client,
        "fact_sales",
        sales_frame([{"basket_id": 1, "status": "refunded", "updated_at": later}]),
        "upsert",
    )
    write(client, "fact_sales", sales_frame([{"basket_id": 1, "status": "paid"}]), "upsert")
    rows = client.query(f"SELECT basket_id, status FROM {DATABASE}.fact_sales").result_rows
    assert rows == [(1, "refunded")]


def test_a_replace_given_two_versions_of_a_row_keeps_the_newer_only(client: Client, monkeypatch) -> None:
    """A full load that read a moving list again hands a changed order on twice; written in
    separate blocks, both versions stayed in the swapped-in table (a plain SELECT counted the
    ticket twice, and the blocking no_duplicate_keys check failed the nightly rebuild)."""
    monkeypatch.setattr(writers, "BLOCK_ROWS", 2)
    later = T0 + timedelta(hours=1)
    first = [{"basket_id": b} for b in (1, 2, 3)]
    again = [{"basket_id": 2, "status": "refunded", "updated_at": later}]
    write(client, "fact_sales", sales_frame(first + again), "replace")
    rows = client.query(f"SELECT basket_id, status FROM {DATABASE}.fact_sales ORDER BY basket_id").result_rows
    assert rows == [(1, "paid"), (2, "refunded"), (3, "paid")]


def test_a_staging_table_abandoned_by_a_killed_replace_is_dropped_by_the_next(client: Client) -> None:
    client.command(f"CREATE TABLE {DATABASE}.dim_events__staging_killed0000 AS {DATABASE}.dim_events")
    time.sleep(2.2)  # older than the threshold below, as an abandoned table is older than an hour
    client.command(f"CREATE TABLE {DATABASE}.dim_events__staging_live000000 AS {DATABASE}.dim_events")
    frame = events_frame([{"event_id": 7}])
    ReplaceWriter(abandoned_after_s=1).write(
        client, DATABASE, "dim_events", frame_to_arrow(frame, table_schema("dim_events"))
    )
    left = {row[0] for row in client.query(f"SHOW TABLES FROM {DATABASE}").result_rows}
    assert "dim_events__staging_killed0000" not in left, "the abandoned staging table was kept"
    assert "dim_events__staging_live000000" in left, "a live writer's fresh staging table was dropped"
    assert client.query(f"SELECT event_id FROM {DATABASE}.dim_events").result_rows == [(7,)]


def test_an_arrow_table_is_refused_with_every_difference_like_a_frame() -> None:
    good = frame_to_arrow(sales_frame([{"basket_id": 1}]), table_schema("fact_sales"))
    bad = (
        good.drop_columns(["currency"])
        .append_column("email", pa.array(["a@b.ru"]))
        .set_column(good.schema.get_field_index("quantity"), "quantity", pa.array([-1]))
        .set_column(good.schema.get_field_index("status"), "status", pa.array([None], pa.string()))
        .set_column(good.schema.get_field_index("price"), "price", pa.array([0.29]))
    )
    with pytest.raises(SchemaMismatchError) as caught:
        conform_arrow(bad, table_schema("fact_sales"))
    assert caught.value.problems == [
        *BAD_SALES_PROBLEMS,
        "column price Decimal(12, 2) is double; give money as Decimal or str, never float",
    ]
    reordered = good.select(list(reversed(good.column_names)))
    assert conform_arrow(reordered, table_schema("fact_sales")).equals(good)
