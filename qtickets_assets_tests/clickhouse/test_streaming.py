"""Streamed writes: a spooled crawl is inserted block by block, checked, and never held whole."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pytest

from qtickets_assets.lib import orders as sales_assets
from qtickets_assets.lib.clickhouse.convert import frame_to_arrow
from qtickets_assets.lib.clickhouse.ddl import table_schema
from qtickets_assets.lib.clickhouse.io_manager import ClickHouseIOManager
from qtickets_assets.lib.clickhouse.resource import ClickHouseResource
from qtickets_assets.lib.clickhouse.writers import in_blocks
from qtickets_assets.lib.spool import ArrowSpool
from qtickets_assets_tests.clickhouse.conftest import DATABASE, sales_frame


def sales_pages(pages: int, per_page: int, first_id: int = 1) -> list[pa.Table]:
    """`pages` fact_sales tables of `per_page` tickets each, every price 0.10."""
    rows = [{"basket_id": first_id + i, "price": "0.10"} for i in range(pages * per_page)]
    whole = frame_to_arrow(sales_frame(rows), table_schema("fact_sales"))
    return [whole.slice(page * per_page, per_page) for page in range(pages)]


def spooled(pages: list[pa.Table]) -> pa.RecordBatchReader:
    schema = pages[-1].schema  # the last page's: a test's bad page may declare a column nullable
    spool = ArrowSpool(schema)
    for page in pages:
        spool.append(page.cast(schema))
    assert spool.rows == sum(page.num_rows for page in pages)
    return spool.reader()


def test_blocks_have_the_block_size_whatever_the_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("qtickets_assets.lib.clickhouse.writers.BLOCK_ROWS", 50)
    table = pa.table({"n": list(range(120))})
    assert [b.num_rows for b in in_blocks(table)] == [50, 50, 20]
    pieces = table.to_batches(max_chunksize=7)  # pages of 7 rows, as a crawl hands them on
    blocks = list(in_blocks(pieces))
    assert [b.num_rows for b in blocks] == [56, 56, 8]
    assert all(b.column(0).num_chunks == 1 for b in blocks)  # contiguous: one Arrow block per INSERT
    assert pa.concat_tables(blocks).equals(table)


def test_the_spool_leaves_no_file_behind_and_frees_it_once_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # a directory no other process writes to
    spool = ArrowSpool(sales_pages(1, 1)[0].schema)
    for page in sales_pages(3, 4):
        spool.append(page)
    reader = spool.reader()
    # The file lives in the temporary directory but has no name there: nothing to leave behind.
    assert os.readlink(f"/proc/self/fd/{spool._file.fileno()}").startswith(str(tmp_path))
    assert os.listdir(tmp_path) == []
    assert not spool._file.closed
    assert reader.read_all().num_rows == 12
    assert spool._file.closed  # read to the end: its space is freed at once


def test_a_failed_crawl_frees_its_spool_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    spools: list[ArrowSpool] = []

    def recorded(schema: pa.Schema) -> ArrowSpool:
        spools.append(ArrowSpool(schema))
        return spools[-1]

    monkeypatch.setattr(sales_assets, "ArrowSpool", recorded)

    def pages() -> Iterator[list]:
        yield []
        raise RuntimeError("page 2 failed")

    with pytest.raises(RuntimeError, match="page 2 failed"):
        sales_assets.spool_tickets(pages())
    assert spools and spools[0]._file.closed


@pytest.mark.parametrize(
    ("mode", "expected_inserts"),
    [
        ("replace", [1_080, 1_080, 1_080, 1_080, 180]),  # pages of 90 gathered into blocks of ≥ 1,000
        ("upsert", [4_500]),  # one INSERT, all or nothing: the sales watermark never gets ahead
    ],
)
def test_a_spooled_stream_is_written_exactly_in_blocks_or_at_once(
    chdb_url: str, monkeypatch: pytest.MonkeyPatch, mode: str, expected_inserts: list[int]
) -> None:
    monkeypatch.setattr("qtickets_assets.lib.clickhouse.writers.BLOCK_ROWS", 1_000)
    inserts: list[int] = []

    @dg.asset(name="fact_sales", metadata={"write_mode": mode})
    def streamed_sales() -> pa.RecordBatchReader:
        return spooled(sales_pages(pages=50, per_page=90))

    def counting(self: ClickHouseResource, table: str, data: pa.Table, **kwargs: object) -> object:
        inserts.append(data.num_rows)
        return original(self, table, data, **kwargs)

    from clickhouse_connect.driver.client import Client

    original = Client.insert_arrow
    monkeypatch.setattr(Client, "insert_arrow", counting)
    io_manager = ClickHouseIOManager(clickhouse=ClickHouseResource(url=chdb_url, database=DATABASE))
    result = dg.materialize([streamed_sales], resources={"io_manager": io_manager})
    assert (
        result.asset_materializations_for_node("fact_sales")[0].metadata["dagster/row_count"].value == 4_500
    )
    with ClickHouseResource(url=chdb_url, database=DATABASE).open() as client:
        rows = client.query(f"SELECT count(), uniqExact(basket_id), sum(price) FROM {DATABASE}.fact_sales")
    assert rows.first_row == (4_500, 4_500, Decimal("450.00"))
    assert inserts == expected_inserts


@pytest.mark.parametrize("mode", ["replace", "upsert"])
def test_a_bad_value_late_in_a_stream_leaves_the_table_as_it_was(
    chdb_url: str, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.setattr("qtickets_assets.lib.clickhouse.writers.BLOCK_ROWS", 100)
    good = sales_pages(pages=3, per_page=100)
    bad_page = good[2].set_column(
        good[2].schema.get_field_index("status"), "status", pa.array([None] * 100, pa.string())
    )

    def asset_of(pages: list[pa.Table]) -> dg.AssetsDefinition:
        @dg.asset(name="fact_sales", metadata={"write_mode": mode})
        def sales() -> pa.RecordBatchReader:
            return spooled(pages)

        return sales

    io_manager = ClickHouseIOManager(clickhouse=ClickHouseResource(url=chdb_url, database=DATABASE))
    assert dg.materialize([asset_of(good)], resources={"io_manager": io_manager}).success
    with pytest.raises(dg.Failure, match=r"column status LowCardinality\(String\) has 100 NULL"):
        dg.materialize(
            [asset_of([*sales_pages(2, 100, first_id=1_000), bad_page])], resources={"io_manager": io_manager}
        )
    with ClickHouseResource(url=chdb_url, database=DATABASE).open() as client:
        rows = client.query(
            f"SELECT count(), min(basket_id), max(basket_id) FROM {DATABASE}.fact_sales"
        ).first_row
        tables = client.command(
            f"SELECT count() FROM system.tables WHERE database = '{DATABASE}' AND name LIKE '%staging%'"
        )
    assert rows == (300, 1, 300)  # replace: good blocks went to a staging copy, dropped; upsert: none sent
    assert tables == 0


def test_a_stream_with_wrong_columns_is_refused_before_anything_is_written(chdb_url: str) -> None:
    page = sales_pages(1, 10)[0].drop_columns(["price"])

    @dg.asset(name="fact_sales", metadata={"write_mode": "replace"})
    def no_price() -> pa.RecordBatchReader:
        return spooled([page])

    io_manager = ClickHouseIOManager(clickhouse=ClickHouseResource(url=chdb_url, database=DATABASE))
    with pytest.raises(dg.Failure, match=r"missing column price Decimal\(12, 2\)"):
        dg.materialize([no_price], resources={"io_manager": io_manager})
    with ClickHouseResource(url=chdb_url, database=DATABASE).open() as client:
        assert client.command(f"SELECT count() FROM {DATABASE}.fact_sales") == 0
