"""URL parsing and the DDL as the single source of table schemas."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from qtickets_assets.lib.clickhouse.connection import parse_clickhouse_url
from qtickets_assets.lib.clickhouse.ddl import table_schema, table_schemas, to_arrow_schema
from qtickets_assets.lib.clickhouse.errors import ClickHouseConfigError


def test_server_url_parts_and_password_kept_out_of_repr() -> None:
    target = parse_clickhouse_url("https://etl_writer:s3cr%40t@ch.example.ru:8443")
    assert (target.kind, target.host, target.port, target.user, target.secure) == (
        "server",
        "ch.example.ru",
        8443,
        "etl_writer",
        True,
    )
    assert target.password == "s3cr@t"
    assert "s3cr" not in repr(target) and "s3cr" not in target.describe()


def test_a_private_ca_is_given_in_the_url() -> None:
    """A server whose certificate a private CA signed could not be used: nothing took its CA."""
    target = parse_clickhouse_url("https://etl_writer:test-pw@ch.corp:8443?ca_cert=/etc/ssl/corp-ca.pem")
    assert (target.host, target.port, target.ca_cert) == ("ch.corp", 8443, "/etc/ssl/corp-ca.pem")
    assert parse_clickhouse_url("https://etl_writer:test-pw@ch.corp:8443").ca_cert is None


def test_chdb_url_gives_absolute_path() -> None:
    target = parse_clickhouse_url("chdb:///srv/mart/clickhouse")
    assert (target.kind, target.path) == ("chdb", Path("/srv/mart/clickhouse"))


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("chdb://relative/dir", "absolute path"),
        ("postgres://u:hunter2@h:5432", "unknown scheme 'postgres'"),
        ("http://u:hunter2@h:notaport", "port is not a number"),
        ("http://u:hunter2@:8123", "no host"),
        ("localhost:8123", "no scheme"),
        ("http://etl_writer:fake-pw#hunter2@127.0.0.1:1", "must be percent-encoded, e.g. %23"),
        ("https://u:hunter2@h:8443/qtickets", "takes no path"),
        ("https://u:hunter2@h:8443?verify=0", "one query parameter, ca_cert (https only)"),
        ("http://u:hunter2@h:8123?ca_cert=/etc/ca.pem", "for an https:// URL"),
        ("https://u:hunter2@h:8443?ca_cert=ca.pem", "an absolute path"),
    ],
)
def test_bad_urls_say_what_is_accepted_without_the_password(url: str, words: str) -> None:
    with pytest.raises(ClickHouseConfigError) as caught:
        parse_clickhouse_url(url)
    message = str(caught.value)
    assert words in message
    assert "chdb:///absolute/path/to/dir or http(s)://user:password@host:port" in message
    assert "hunter2" not in message and "\n" not in message


def test_fact_sales_schema_is_parsed_from_the_ddl() -> None:
    schema = table_schema("fact_sales")
    assert [(c.name, c.type) for c in schema.columns] == [
        ("basket_id", "UInt64"),
        ("order_id", "UInt64"),
        ("event_id", "UInt64"),
        ("show_id", "UInt64"),
        ("created_at", "DateTime('UTC')"),
        ("paid_at", "Nullable(DateTime('UTC'))"),
        ("status", "LowCardinality(String)"),
        ("quantity", "UInt32"),
        ("price", "Decimal(12, 2)"),
        ("currency", "LowCardinality(String)"),
        ("utm_source", "LowCardinality(String)"),
        ("utm_medium", "LowCardinality(String)"),
        ("utm_campaign", "String"),
        ("updated_at", "DateTime('UTC')"),
        # The analytics layer's columns, added by migration 008 (docs/contract.md, last section).
        ("original_price", "Decimal(12, 2)"),
        ("discount_amount", "Decimal(12, 2)"),
        ("service_fee", "Decimal(12, 2)"),
        ("discount_id", "Nullable(UInt64)"),
        ("promo_code_id", "Nullable(UInt64)"),
        ("ticket_name", "LowCardinality(String)"),
        ("payment_type", "LowCardinality(String)"),
        ("site_host", "LowCardinality(String)"),
        ("utm_content", "String"),
        ("utm_term", "String"),
        ("refunded_at", "Nullable(DateTime('UTC'))"),
        ("refunded_amount", "Decimal(12, 2)"),
        ("cancelled_at", "Nullable(DateTime('UTC'))"),
        ("checked_at", "Nullable(DateTime('UTC'))"),
        ("created_date_local", "Date"),
        ("paid_date_local", "Nullable(Date)"),
        ("refunded_date_local", "Nullable(Date)"),
        # Issue 22 (migration 010): days_before_show left (v_sales derives it from the show's
        # current start), the price category and the hall zone came.
        ("tariff_name", "LowCardinality(String)"),
        ("zone_name", "LowCardinality(String)"),
        # Migration 011: the zone the _local days are in (an event can move to another zone).
        ("local_zone", "LowCardinality(String)"),
    ]


def test_contract_tables_have_the_contract_columns() -> None:
    assert table_schema("dim_events").column_names == [
        "event_id", "event_name", "city_id", "city_name", "city_timezone", "venue_name",
        "venue_address", "starts_at", "ends_at", "is_active", "is_deleted", "updated_at",
    ]  # fmt: skip
    assert table_schema("fact_inventory_latest").column_names == [
        "event_id", "show_id", "show_starts_at", "tickets_total", "tickets_left", "tickets_sold",
        "snapshot_at",
    ]  # fmt: skip
    assert table_schema("v_sales_dashboard").column_names == [
        "event_id", "event_name", "city_name", "tickets_sold_total", "revenue_total",
        "tickets_sold_today", "revenue_today", "tickets_sold_14d", "revenue_14d", "tickets_total",
        "tickets_left", "inventory_updated_at", "sales_updated_at",
    ]  # fmt: skip


def test_no_column_holds_a_local_time_in_a_utc_type() -> None:
    """DataLens and Superset shift a DateTime('UTC') into the viewer's zone: a local clock time in
    one reads wrong. Local columns are Dates, or text (v_sales.show_time_local, 'HH:MM')."""
    local_in_utc = [
        f"{table}.{column.name} {column.type}"
        for table, schema in table_schemas().items()
        for column in schema.columns
        if "_local" in column.name and "DateTime" in column.type
    ]
    assert local_in_utc == []
    v_sales = {c.name: c.type for c in table_schema("v_sales").columns}
    assert (v_sales["show_date_local"], v_sales["show_time_local"]) == ("Nullable(Date)", "Nullable(String)")


def test_arrow_schema_maps_each_clickhouse_type() -> None:
    schema = to_arrow_schema(table_schema("fact_sales"))
    assert schema.field("price").type == pa.decimal128(12, 2)
    assert schema.field("created_at").type == pa.timestamp("s", tz="UTC")
    assert not schema.field("created_at").nullable
    assert schema.field("paid_at").nullable
    assert schema.field("status").type == pa.string()
    assert schema.field("quantity").type == pa.uint32()
    assert to_arrow_schema(table_schema("dim_events")).field("is_deleted").type == pa.uint8()


def test_later_alter_add_column_extends_the_schema(tmp_path: Path) -> None:
    (tmp_path / "001_t.sql").write_text(
        "-- a comment; with a semicolon\nCREATE TABLE IF NOT EXISTS {database}.t\n"
        "(\n    a UInt32 COMMENT 'x, y',\n    b Nullable(Decimal(12, 2)) DEFAULT NULL\n)\n"
        "ENGINE = MergeTree ORDER BY a;\n"
    )
    (tmp_path / "002_t_c.sql").write_text(
        "ALTER TABLE {database}.t ADD COLUMN IF NOT EXISTS c LowCardinality(String) AFTER b;\n"
    )
    columns = table_schemas(tmp_path)["t"].columns
    assert [(c.name, c.type) for c in columns] == [
        ("a", "UInt32"),
        ("b", "Nullable(Decimal(12, 2))"),
        ("c", "LowCardinality(String)"),
    ]
