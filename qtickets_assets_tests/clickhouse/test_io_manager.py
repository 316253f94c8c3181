"""The IO manager inside Dagster: materialization metadata, write modes, reading inputs back."""

from __future__ import annotations

from decimal import Decimal

import dagster as dg
import pandas as pd
import pyarrow as pa
import pytest

from qtickets_assets.lib.clickhouse.connection import open_client
from qtickets_assets.lib.clickhouse.convert import conform_arrow, frame_to_arrow
from qtickets_assets.lib.clickhouse.ddl import table_schema
from qtickets_assets.lib.clickhouse.errors import SchemaMismatchError
from qtickets_assets.lib.clickhouse.io_manager import ClickHouseIOManager, column_schema_metadata
from qtickets_assets.lib.clickhouse.resource import ClickHouseResource
from qtickets_assets_tests.clickhouse.conftest import DATABASE, sales_frame

SALES = sales_frame(
    [{"basket_id": 1, "price": "0.29"}, {"basket_id": 2, "price": "1222.03"}, {"basket_id": 3, "quantity": 2}]
)


@dg.asset(metadata={**column_schema_metadata("fact_sales"), "write_mode": "upsert"})
def fact_sales() -> pd.DataFrame:
    return SALES


@dg.asset(ins={"fact_sales": dg.AssetIn(metadata={"columns": ["basket_id", "price"]})})
def revenue(fact_sales: pd.DataFrame) -> dg.MaterializeResult:
    return dg.MaterializeResult(
        metadata={"revenue": str(sum(fact_sales["price"])), "columns": ",".join(fact_sales.columns)}
    )


def test_materialization_records_row_count_schema_and_preview(chdb_url: str) -> None:
    io_manager = ClickHouseIOManager(clickhouse=ClickHouseResource(url=chdb_url, database=DATABASE))
    result = dg.materialize([fact_sales, revenue], resources={"io_manager": io_manager})
    metadata = result.asset_materializations_for_node("fact_sales")[0].metadata
    assert metadata["dagster/row_count"].value == 3
    assert metadata["rows_written"].value == 3
    assert metadata["dagster/table_name"].value == "qtickets.fact_sales"
    columns = metadata["dagster/column_schema"].value.columns
    assert [(c.name, c.type) for c in columns] == [
        (c.name, c.type) for c in table_schema("fact_sales").columns
    ]
    preview = metadata["preview"].value
    cells = [[cell.strip() for cell in line.split("|")[1:-1]] for line in preview.splitlines()]
    assert cells[0] == table_schema("fact_sales").column_names
    assert [row[cells[0].index("price")] for row in cells[2:]] == ["0.29", "1222.03", "100.00"]
    downstream = result.asset_materializations_for_node("revenue")[0].metadata
    assert downstream["revenue"].value == "1322.32"  # 0.29 + 1222.03 + 100.00, read back exactly
    assert downstream["columns"].value == "basket_id,price"


def test_second_upsert_run_leaves_one_row_per_basket(chdb_url: str) -> None:
    io_manager = ClickHouseIOManager(clickhouse=ClickHouseResource(url=chdb_url, database=DATABASE))
    for _ in range(2):
        assert dg.materialize([fact_sales], resources={"io_manager": io_manager}).success
    with ClickHouseResource(url=chdb_url, database=DATABASE).open() as client:
        rows = client.query(f"SELECT count(), sum(price) FROM {DATABASE}.fact_sales").first_row
    assert rows == (3, Decimal("1322.32"))


def test_mismatched_output_fails_the_run_and_writes_nothing(chdb_url: str) -> None:
    @dg.asset(name="fact_sales", metadata={"write_mode": "replace"})
    def bad_sales() -> pd.DataFrame:
        return SALES.drop(columns=["price"])

    io_manager = ClickHouseIOManager(clickhouse=ClickHouseResource(url=chdb_url, database=DATABASE))
    with pytest.raises(dg.Failure, match=r"missing column price Decimal\(12, 2\)") as caught:
        dg.materialize([bad_sales], resources={"io_manager": io_manager})
    # The run page leads with its message alone: the chain is dropped, the error's type kept as metadata.
    assert caught.value.__cause__ is None
    assert caught.value.metadata["cause"].value == SchemaMismatchError.__name__
    # The frame was refused before the connection was opened: not even the schema exists yet.
    with open_client(chdb_url, DATABASE) as client:
        assert client.command(f"SELECT count() FROM system.tables WHERE database = '{DATABASE}'") == 0


@pytest.mark.parametrize("mode", ["upsert", "replace"])
def test_a_table_altered_by_hand_is_refused_before_anything_is_written(chdb_url: str, mode: str) -> None:
    """fact_sales.price retyped to Float64 by hand: an incremental run still wrote its tickets (money
    through float), and only the schema check after the write said so, by its name alone."""
    io_manager = ClickHouseIOManager(clickhouse=ClickHouseResource(url=chdb_url, database=DATABASE))
    assert dg.materialize([fact_sales], resources={"io_manager": io_manager}).success
    with open_client(chdb_url, DATABASE) as client:
        client.command(f"ALTER TABLE {DATABASE}.fact_sales MODIFY COLUMN price Float64")
        client.command(f"TRUNCATE TABLE {DATABASE}.fact_sales")

    @dg.asset(name="fact_sales", metadata={**column_schema_metadata("fact_sales"), "write_mode": mode})
    def sales_again() -> pd.DataFrame:
        return SALES

    with pytest.raises(dg.Failure) as caught:
        dg.materialize([sales_again], resources={"io_manager": io_manager})
    assert str(caught.value).startswith(
        "qtickets.fact_sales no longer matches clickhouse/ddl (column price is Float64, the DDL says "
        "Decimal(12, 2)); nothing was written"
    )
    with open_client(chdb_url, DATABASE) as client:
        assert client.command(f"SELECT count() FROM {DATABASE}.fact_sales") == 0


def test_a_time_datetime_cannot_hold_is_refused_not_clamped() -> None:
    """ClickHouse stores a DateTime outside 1970..2106 as the nearest end, silently: a show typed
    as 2207 would read 2106-02-07. Both ways into the mart refuse it, naming the value."""
    schema = table_schema("fact_sales")
    late = pd.Timestamp("2207-03-01 16:00", tz="UTC")
    early = pd.Timestamp("1969-12-31 23:00", tz="UTC")
    frame = sales_frame([{"basket_id": 1, "paid_at": late}, {"basket_id": 2, "created_at": early}])
    with pytest.raises(SchemaMismatchError) as err:
        frame_to_arrow(frame, schema)
    assert "column created_at DateTime('UTC') holds 1969-12-31 23:00:00+00:00, outside" in str(err.value)
    too_late = "column paid_at Nullable(DateTime('UTC')) holds 2207-03-01 16:00:00+00:00, outside"
    assert too_late in str(err.value)
    in_range = frame_to_arrow(sales_frame([{"basket_id": 3}]), schema)
    pushed = in_range.set_column(
        in_range.schema.get_field_index("paid_at"), "paid_at", pa.array([late], pa.timestamp("s", tz="UTC"))
    )
    with pytest.raises(SchemaMismatchError) as arrow_err:
        conform_arrow(pushed, schema)
    assert too_late in str(arrow_err.value)


def test_unknown_write_mode_is_refused(chdb_url: str) -> None:
    @dg.asset(name="fact_sales", metadata={"write_mode": "merge"})
    def odd_sales() -> pd.DataFrame:
        return SALES

    io_manager = ClickHouseIOManager(clickhouse=ClickHouseResource(url=chdb_url, database=DATABASE))
    with pytest.raises(Exception, match=r"unknown write_mode 'merge'; use one of replace, append, upsert"):
        dg.materialize([odd_sales], resources={"io_manager": io_manager})


def test_an_arrow_table_output_is_written_exactly_and_checked_like_a_frame(chdb_url: str) -> None:
    exact = frame_to_arrow(SALES, table_schema("fact_sales"))
    # Columns in another order and ids as int64: cast safely to the DDL, as a frame would be.
    arrow_sales = exact.select(list(reversed(exact.column_names)))
    arrow_sales = arrow_sales.set_column(
        arrow_sales.schema.get_field_index("basket_id"), "basket_id", pa.array([1, 2, 3], pa.int64())
    )

    @dg.asset(name="fact_sales", metadata={"write_mode": "replace"})
    def sales_as_arrow() -> pa.Table:
        return arrow_sales

    @dg.asset(name="fact_sales", metadata={"write_mode": "replace"})
    def float_money() -> pa.Table:
        return arrow_sales.set_column(
            arrow_sales.schema.get_field_index("price"), "price", pa.array([0.29, 1.5, 2.0])
        )

    io_manager = ClickHouseIOManager(clickhouse=ClickHouseResource(url=chdb_url, database=DATABASE))
    assert dg.materialize([sales_as_arrow], resources={"io_manager": io_manager}).success
    with pytest.raises(dg.Failure, match=r"column price Decimal\(12, 2\) is double; give money as"):
        dg.materialize([float_money], resources={"io_manager": io_manager})
    with ClickHouseResource(url=chdb_url, database=DATABASE).open() as client:
        rows = client.query(f"SELECT count(), sum(price) FROM {DATABASE}.fact_sales").first_row
    assert rows == (3, Decimal("1322.32"))  # the refused table left the written one as it was
