"""The migration runner: ordered, once each, recorded, and strict about edited files."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from qtickets_assets.lib.clickhouse.connection import open_client
from qtickets_assets.lib.clickhouse.ddl import DDL_DIR, VIEWS_DIR, ddl_files
from qtickets_assets.lib.clickhouse.errors import MigrationError
from qtickets_assets.lib.clickhouse.migrations import apply_migrations
from qtickets_assets_tests.clickhouse.conftest import DATABASE

SCHEMA_SQL = (
    "SELECT table, name, type FROM system.columns WHERE database = {db:String} ORDER BY table, position"
)


def test_applied_twice_gives_same_schema_and_one_ledger_row_per_file(chdb_url: str) -> None:
    names = [path.name for path in ddl_files()] + [f"views/{path.name}" for path in ddl_files(VIEWS_DIR)]
    with open_client(chdb_url, DATABASE) as client:
        first = apply_migrations(client, DATABASE)
        schema_once = client.query(SCHEMA_SQL, parameters={"db": DATABASE}).result_rows
        second = apply_migrations(client, DATABASE)
        schema_twice = client.query(SCHEMA_SQL, parameters={"db": DATABASE}).result_rows
        ledger = client.query(
            f"SELECT name, count() FROM {DATABASE}.schema_migrations GROUP BY name ORDER BY name"
        ).result_rows
    assert first == names and names[0] == "000_schema_migrations.sql"
    assert second == []
    assert schema_twice == schema_once
    assert ("fact_sales", "price", "Decimal(12, 2)") in schema_once
    assert ledger == [(name, 1) for name in names]


def test_edited_applied_file_is_refused_by_name(chdb_url: str, tmp_path: Path) -> None:
    ddl = tmp_path / "ddl"
    shutil.copytree(DDL_DIR, ddl)
    with open_client(chdb_url, DATABASE) as client:
        apply_migrations(client, DATABASE, ddl)
        edited = ddl / "004_fact_sales.sql"
        edited.write_text(edited.read_text().replace("utm_campaign String", "utm_campaign String,\n x UInt8"))
        with pytest.raises(MigrationError, match=r"migration 004_fact_sales\.sql was changed after it was"):
            apply_migrations(client, DATABASE, ddl)


def test_new_file_is_applied_alone_and_a_broken_one_is_named(chdb_url: str, tmp_path: Path) -> None:
    ddl = tmp_path / "ddl"
    shutil.copytree(DDL_DIR, ddl)
    with open_client(chdb_url, DATABASE) as client:
        apply_migrations(client, DATABASE, ddl)
        (ddl / "900_add_note.sql").write_text(
            "ALTER TABLE {database}.fact_sales ADD COLUMN IF NOT EXISTS note String;\n"
        )
        assert apply_migrations(client, DATABASE, ddl) == ["900_add_note.sql"]
        (ddl / "901_broken.sql").write_text("CREATE TABLE {database}.nope (a NoSuchType) ENGINE = Log;\n")
        with pytest.raises(MigrationError, match=r"^migration 901_broken\.sql failed: "):
            apply_migrations(client, DATABASE, ddl)


def test_an_edited_view_is_applied_again_and_an_unchanged_one_is_not(chdb_url: str, tmp_path: Path) -> None:
    views = tmp_path / "views"
    shutil.copytree(VIEWS_DIR, views)
    dashboard = views / "010_v_sales_dashboard.sql"
    with open_client(chdb_url, DATABASE) as client:
        apply_migrations(client, DATABASE, views=views)
        assert apply_migrations(client, DATABASE, views=views) == []
        time.sleep(1.1)  # the ledger's latest row per view is found by applied_at (whole seconds)
        dashboard.write_text(
            dashboard.read_text().replace("'City of the event'", "'City of the event, as spelt'")
        )
        assert apply_migrations(client, DATABASE, views=views) == ["views/010_v_sales_dashboard.sql"]
        assert apply_migrations(client, DATABASE, views=views) == []
        comment = client.query(
            "SELECT comment FROM system.columns WHERE database = {db:String} AND table = 'v_sales_dashboard' "
            "AND name = 'city_name'",
            parameters={"db": DATABASE},
        ).result_rows
    assert comment == [("City of the event, as spelt",)]


@pytest.mark.parametrize(
    "dropped",
    ["VIEW {db}.v_sales_daily", "VIEW {db}.v_sales", "TABLE {db}.dim_promo_codes", "TABLE {db}.fact_sales"],
)
def test_a_table_or_view_dropped_by_hand_is_created_again(chdb_url: str, dropped: str) -> None:
    """The ledger said applied, so nothing ran its file again: every later run failed with
    "Unknown table expression identifier 'qtickets.v_sales_daily'" or "Table dim_promo_codes
    doesn't exist". The next run creates it again, with the rest of the schema as it was."""
    with open_client(chdb_url, DATABASE) as client:
        apply_migrations(client, DATABASE)
        schema = client.query(SCHEMA_SQL, parameters={"db": DATABASE}).result_rows
        client.command(f"DROP {dropped.format(db=DATABASE)}")
        again = apply_migrations(client, DATABASE)
        assert again == [f"{dropped.split('.')[-1]} (created again)"]
        assert client.query(SCHEMA_SQL, parameters={"db": DATABASE}).result_rows == schema
        assert apply_migrations(client, DATABASE) == []
        client.command(f"SELECT count() FROM {DATABASE}.v_sales_dashboard")  # every view reads again


def test_tickets_loaded_before_their_zone_was_stored_are_labelled_with_the_zone_of_their_days(
    chdb_url: str, tmp_path: Path
) -> None:
    """A mart loaded before migration 011: each ticket gets the zone the loader read its days in
    (its event's city zone, Moscow's for an event dim_events does not hold), its days as they were,
    one row per ticket after the migration."""
    older = tmp_path / "ddl"
    older.mkdir()
    for path in ddl_files(DDL_DIR):
        if path.name < "011":
            shutil.copy(path, older / path.name)
    with open_client(chdb_url, DATABASE) as client:
        apply_migrations(client, DATABASE, older)
        client.command(
            f"INSERT INTO {DATABASE}.dim_events (event_id, city_timezone) "
            "VALUES (1, 'Asia/Tomsk'), (2, 'Asia/Vladivostok')"
        )
        client.command(
            f"INSERT INTO {DATABASE}.fact_sales (basket_id, event_id, created_date_local) "
            "VALUES (10, 1, '2025-11-20'), (20, 2, '2025-11-21'), (30, 3, '2025-11-22')"
        )
        assert apply_migrations(client, DATABASE) == ["011_fact_sales_local_zone.sql"]
        rows = client.query(
            f"SELECT basket_id, local_zone, toString(created_date_local) FROM {DATABASE}.fact_sales "
            "ORDER BY basket_id"
        ).result_rows
    assert rows == [
        (10, "Asia/Tomsk", "2025-11-20"),
        (20, "Asia/Vladivostok", "2025-11-21"),
        (30, "Europe/Moscow", "2025-11-22"),
    ]
