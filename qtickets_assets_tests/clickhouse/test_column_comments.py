"""Every column of every table and view is described once, in the DDL, and that description is what
analysts read in ClickHouse (system.columns) and operators in the Dagster UI."""

from __future__ import annotations

from clickhouse_connect.driver.client import Client

from qtickets_assets.definitions import defs
from qtickets_assets.lib.clickhouse.ddl import table_schemas
from qtickets_assets_tests.clickhouse.conftest import DATABASE

# Bookkeeping tables, not assets: the applied migrations, and the ledger of sales loads (read by
# v_sales_dashboard.sales_updated_at). Their comments are in system.columns all the same.
BOOKKEEPING = {"schema_migrations", "sales_loads"}


def ddl_comments() -> dict[tuple[str, str], str]:
    return {(table, c.name): c.comment for table, schema in table_schemas().items() for c in schema.columns}


def test_every_ddl_column_has_a_comment() -> None:
    undescribed = sorted(key for key, comment in ddl_comments().items() if not comment.strip())
    assert not undescribed, f"columns without a COMMENT in clickhouse/: {undescribed}"


def test_clickhouse_holds_the_ddl_comments(client: Client) -> None:
    live = {
        (table, name): comment
        for table, name, comment in client.query(
            "SELECT table, name, comment FROM system.columns WHERE database = {db:String}",
            parameters={"db": DATABASE},
        ).result_rows
    }
    assert live == ddl_comments()


def test_the_ui_column_descriptions_are_the_ddl_comments() -> None:
    shown = {}
    for asset in defs().resolve_all_asset_specs():
        schema = asset.metadata.get("dagster/column_schema")
        if schema is not None:
            shown |= {(asset.key.path[-1], column.name): column.description for column in schema.columns}
    expected = ddl_comments()
    assert shown, "no asset publishes a column schema"
    assert {table for table, _ in shown} == {table for table, _ in expected} - BOOKKEEPING
    assert shown == {key: comment for key, comment in expected.items() if key[0] not in BOOKKEEPING}


def test_money_is_decimal_12_2_in_every_table_and_view(client: Client) -> None:
    """The contract: "Money is Decimal(12, 2)", views' sums included (ClickHouse's sum of a
    Decimal(12, 2) is a Decimal(38, 2) unless cast back)."""
    decimals = client.query(
        "SELECT table, name, type FROM system.columns WHERE database = {db:String} AND type LIKE '%Decimal%'",
        parameters={"db": DATABASE},
    ).result_rows
    assert len(decimals) > 10
    assert [row for row in decimals if row[2] not in ("Decimal(12, 2)", "Nullable(Decimal(12, 2))")] == []
