"""Table writers: how an Arrow table or stream reaches ClickHouse for each asset `write_mode`.

- replace: fill a staging copy in blocks of BLOCK_ROWS (or with one INSERT ... SELECT when the rows
  come from the mart itself, `InsertSelect`), then `EXCHANGE TABLES` (atomic on an Atomic database,
  chDB's default): a reader sees the old table or the new one, never an empty, half or doubled one.
- append: one INSERT, the rows added as they are (no asset uses it; tests fill tables with it).
- upsert: one INSERT of the new versions into the ReplacingMergeTree, then `OPTIMIZE ... FINAL` on the
  partitions that may hold duplicates, so a plain SELECT shows one row per key once the write is
  done (views read with FINAL, so they are exact even during it). Unlike staging + EXCHANGE it
  cannot lose a concurrent writer's rows, and it rewrites only the touched partitions: about 0.4 s
  for 1,000,000 fact_sales rows on 2 cores.

Append and upsert insert everything at once because ClickHouse writes one INSERT block (up to
max_insert_block_size, ~1M rows) all or nothing: a run killed mid-write must not leave some rows
in, since what the next run reads from the table (the sales watermark: newest order, newest
update) would then cover rows that were never written. These writes are small (the changes since
the last run); the large ones (full loads) are replaces, which stream in blocks.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, NamedTuple, Protocol, TypeAlias

import pyarrow as pa

from qtickets_assets.lib.clickhouse.connection import quote_identifier
from qtickets_assets.lib.clickhouse.errors import ClickHouseError

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

WriteMode = Literal["replace", "append", "upsert"]
# Rows per INSERT. The engine needs ~4× a block's size while it sorts and compresses it (and chDB
# keeps that memory afterwards), so blocks stay small; 50,000 rows is ~5 MB of fact_sales, a few
# parts per large load, and as fast as one block of a million (bench/RESULTS.md, round 4).
BLOCK_ROWS = 50_000
STAGING_MARK = "{table}__staging_"
# A table, or a stream of tables/record batches read once (see lib/spool.py).
ArrowData: TypeAlias = pa.Table | Iterable[pa.Table | pa.RecordBatch]


class InsertSelect(NamedTuple):
    """Rows ClickHouse makes itself: a SELECT over the mart giving the target's DDL columns in order.

    Nothing travels through Python: a table derived from other tables is filled inside the engine.
    """

    sql: str


Rows: TypeAlias = ArrowData | InsertSelect


def qualified(database: str, table: str) -> str:
    return f"{quote_identifier(database)}.{quote_identifier(table)}"


def in_blocks(data: ArrowData) -> Iterator[pa.Table]:
    """`data` as contiguous tables of about BLOCK_ROWS rows; a stream is consumed as it goes."""
    rows = BLOCK_ROWS
    pieces = data.to_batches(max_chunksize=rows) if isinstance(data, pa.Table) else data
    pending: list[pa.Table] = []
    count = 0
    for piece in pieces:
        pending.append(piece if isinstance(piece, pa.Table) else pa.Table.from_batches([piece]))
        count += piece.num_rows
        if count >= rows:
            yield pa.concat_tables(pending).combine_chunks()
            pending, count = [], 0
    if pending:
        yield pa.concat_tables(pending).combine_chunks()


def insert_blocks(client: Client, database: str, table: str, data: ArrowData, *, whole: bool = False) -> None:
    """INSERT `data` block by block, or when `whole` in one INSERT once every block has been read."""
    blocks: Iterable[pa.Table] = in_blocks(data)
    if whole:
        parts = list(blocks)
        blocks = [pa.concat_tables(parts).combine_chunks()] if parts else []
    for block in blocks:
        if block.num_rows:
            client.insert_arrow(table, block, database=database)


def insert(client: Client, database: str, table: str, rows: Rows, *, whole: bool = False) -> None:
    """INSERT `rows` into `table`: Arrow data through `insert_blocks`, a query as INSERT ... SELECT."""
    if isinstance(rows, InsertSelect):
        client.command(f"INSERT INTO {qualified(database, table)} {rows.sql}")
    else:
        insert_blocks(client, database, table, rows, whole=whole)


class TableWriter(Protocol):
    def write(self, client: Client, database: str, table: str, data: Rows) -> None: ...


class AppendWriter:
    def write(self, client: Client, database: str, table: str, data: Rows) -> None:
        insert(client, database, table, data, whole=True)


@dataclass(frozen=True)
class ReplaceWriter:
    # A process killed between filling and swapping leaves its staging table behind. One older
    # than this belongs to no live writer (a replace takes seconds), so the next replace drops it.
    abandoned_after_s: int = 3600

    def write(
        self,
        client: Client,
        database: str,
        table: str,
        data: Rows,
        before_swap: Callable[[Client, str], None] | None = None,
    ) -> None:
        """`before_swap(client, staging)`, when given, sees the new rows beside the old ones (a
        reconciliation measures what changed) after the staging table is filled."""
        # A unique staging name: two writers on a server must not fill each other's staging table.
        staging = f"{STAGING_MARK.format(table=table)}{uuid.uuid4().hex[:12]}"
        self._drop_abandoned_staging(client, database, table)
        client.command(f"CREATE TABLE {qualified(database, staging)} AS {qualified(database, table)}")
        try:
            insert(client, database, staging, data)
            _merge_versions(client, database, staging)
            if before_swap is not None:
                before_swap(client, staging)
            client.command(f"EXCHANGE TABLES {qualified(database, staging)} AND {qualified(database, table)}")
        finally:
            # After the exchange the staging name holds the previous rows; before it, the partial new ones.
            client.command(f"DROP TABLE IF EXISTS {qualified(database, staging)} SYNC")

    def _drop_abandoned_staging(self, client: Client, database: str, table: str) -> None:
        abandoned = client.query(
            "SELECT name FROM system.tables WHERE database = {db:String} "
            "AND startsWith(name, {prefix:String}) AND metadata_modification_time < now() - {age:UInt32}",
            parameters={
                "db": database,
                "prefix": STAGING_MARK.format(table=table),
                "age": self.abandoned_after_s,
            },
        ).result_rows
        for (name,) in abandoned:
            client.command(f"DROP TABLE IF EXISTS {qualified(database, name)} SYNC")


def _merge_versions(client: Client, database: str, table: str) -> None:
    """A ReplacingMergeTree table filled with two versions of a key (a list read again because it
    moved while it was read) keeps only the newer: a table swapped in never shows both. The check
    costs ~5 ms a million rows, the merge ~0.1 s, and only then."""
    name = qualified(database, table)
    if "ReplacingMergeTree" in table_engine(client, database, table) and client.command(
        f"SELECT (SELECT count() FROM {name}) != (SELECT count() FROM {name} FINAL)"
    ):
        client.command(f"OPTIMIZE TABLE {name} FINAL")


def table_engine(client: Client, database: str, table: str) -> str:
    """The table's engine as system.tables names it ("ReplacingMergeTree", "MergeTree", "View")."""
    return str(
        client.command(
            "SELECT engine FROM system.tables WHERE database = {db:String} AND name = {t:String}",
            {"db": database, "t": table},
        )
    )


class UpsertWriter:
    def write(self, client: Client, database: str, table: str, data: Rows) -> None:
        engine = table_engine(client, database, table)
        if "ReplacingMergeTree" not in engine:
            raise ClickHouseError(
                f"write_mode 'upsert' needs a ReplacingMergeTree table; {database}.{table} is {engine}"
            )
        insert(client, database, table, data, whole=True)
        for partition_id in self._partitions_to_merge(client, database, table):
            literal = partition_id.replace("\\", "\\\\").replace("'", "\\'")
            client.command(
                f"OPTIMIZE TABLE {qualified(database, table)} PARTITION ID '{literal}' FINAL",
                settings={"optimize_throw_if_noop": 0},
            )

    @staticmethod
    def _partitions_to_merge(client: Client, database: str, table: str) -> list[str]:
        # A partition may hold two versions of a key if it has several parts, or one unmerged
        # (level 0) insert part; a single merged part is already deduplicated by that merge.
        rows = client.query(
            "SELECT partition_id FROM system.parts "
            "WHERE database = {db:String} AND table = {t:String} AND active "
            "GROUP BY partition_id HAVING count() > 1 OR min(level) = 0 ORDER BY partition_id",
            parameters={"db": database, "t": table},
        ).result_rows
        return [row[0] for row in rows]


WRITERS: dict[str, TableWriter] = {
    "replace": ReplaceWriter(),
    "append": AppendWriter(),
    "upsert": UpsertWriter(),
}


def writer_for(mode: str) -> TableWriter:
    if mode not in WRITERS:
        raise ClickHouseError(f"unknown write_mode {mode!r}; use one of {', '.join(WRITERS)}")
    return WRITERS[mode]
