"""`ClickHouseIOManager`: write an asset's pandas DataFrame, Arrow table or Arrow stream (a
`pa.RecordBatchReader`, e.g. from `lib/spool.py`) to the table named by the asset key, per the DDL;
or fill it from the mart itself (`writers.InsertSelect`: a table derived from other tables).

Writes go through the `clickhouse` resource (`resource.py`): in a run, the run's one shared
client. The data is checked and converted before the client is asked for, so a mismatch writes
nothing. A stream's columns are checked up front and its values block by block as they are read:
an append or upsert reads every block before its one INSERT, and a replace drops its staging copy,
so a bad value anywhere in the stream also leaves the table as it was.
"""

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import dagster as dg
import pyarrow as pa

from qtickets_assets.lib import failures
from qtickets_assets.lib.clickhouse import mart, mart_checks
from qtickets_assets.lib.clickhouse.ddl import TableSchema, table_schema
from qtickets_assets.lib.clickhouse.errors import ClickHouseConfigError, ClickHouseError
from qtickets_assets.lib.clickhouse.resource import ClickHouseResource
from qtickets_assets.lib.clickhouse.writers import (
    InsertSelect,
    ReplaceWriter,
    in_blocks,
    qualified,
    writer_for,
)

if TYPE_CHECKING:
    import pandas as pd
    from clickhouse_connect.driver.client import Client

PREVIEW_ROWS = 5
# A full rebuild of these tables is measured against what the incremental loads had stored,
# between filling the staging copy and the swap (the only moment both are there).
DRIFT_MEASURES: "dict[str, Callable[[Client, str, str], mart.SalesDrift | None]]" = {
    "fact_sales": mart.sales_drift
}
# Materialization metadata: `DRIFT_PREFIX + field` per SalesDrift field (numbers, which Dagster
# plots), or DRIFT_NOT_MEASURED (text) when there was nothing stored to compare with.
DRIFT_PREFIX, DRIFT_NOT_MEASURED = "reconcile_drift_", "reconcile_drift"


def dagster_table_schema(schema: TableSchema) -> dg.TableSchema:
    """The DDL's columns with their types and COMMENTs (the UI's column descriptions)."""
    return dg.TableSchema(
        columns=[dg.TableColumn(name=c.name, type=c.type, description=c.comment) for c in schema.columns]
    )


def column_schema_metadata(table: str) -> dict[str, Any]:
    """`{"dagster/column_schema": ...}` from the DDL, for asset definitions."""
    return {"dagster/column_schema": dagster_table_schema(table_schema(table))}


def _preview(data: pa.Table) -> str:
    # Values as text and no number parsing: tabulate would otherwise print money through float.
    head = data.slice(0, PREVIEW_ROWS).to_pandas().astype(str)
    return head.to_markdown(index=False, disable_numparse=True) if len(head) else "_no rows_"


class _DdlBlocks:
    """The output as DDL-typed Arrow blocks, counted and its first rows kept for the metadata."""

    def __init__(self, obj: object, schema: TableSchema) -> None:
        # pandas and the converters here, not at the top: the definitions load this module (the
        # IO manager's class), and the webserver, the daemon and sensor ticks load the definitions.
        import pandas as pd

        from qtickets_assets.lib.clickhouse.convert import conform_arrow, frame_to_arrow

        self.schema, self.rows, self.head = schema, 0, pa.table({})
        if isinstance(obj, pd.DataFrame):
            self._data: pa.Table | pa.RecordBatchReader = frame_to_arrow(obj, schema)
        elif isinstance(obj, pa.Table):
            self._data = conform_arrow(obj, schema)
        elif isinstance(obj, pa.RecordBatchReader):
            conform_arrow(obj.schema.empty_table(), schema)  # columns and types, before any write
            self._data = obj
        else:
            raise TypeError(
                "ClickHouseIOManager writes pandas DataFrames, Arrow tables or Arrow record batch "
                f"readers, got {type(obj).__name__}"
            )

    def __iter__(self) -> Iterator[pa.Table]:
        from qtickets_assets.lib.clickhouse.convert import conform_arrow  # see __init__

        for block in in_blocks(self._data):
            if isinstance(self._data, pa.RecordBatchReader):  # a table was conformed whole above
                block = conform_arrow(block, self.schema)
            if not self.rows:
                self.head = block.slice(0, PREVIEW_ROWS)
            self.rows += block.num_rows
            yield block


def table_metadata(
    client: "Client", database: str, table: str, rows_written: int, head: pa.Table
) -> dict[str, Any]:
    """After a write: the table's size as an analyst counts it (FINAL where versions may wait for
    a merge), the rows this run wrote, the schema and the first rows written."""
    return {
        "dagster/row_count": mart.row_count(client, database, table),
        "dagster/table_name": f"{database}.{table}",
        "dagster/column_schema": dagster_table_schema(table_schema(table)),
        "rows_written": rows_written,
        "preview": dg.MetadataValue.md(_preview(head)),
    }


def drift_metadata(table: str, drift: mart.SalesDrift | None) -> dict[str, Any]:
    if drift is None:
        return {DRIFT_NOT_MEASURED: f"not measured: {table} was empty (a first load)"}
    return {f"{DRIFT_PREFIX}{kind}": count for kind, count in drift._asdict().items()}


def drift_line(table: str, drift: mart.SalesDrift | None) -> str:
    """The run log's line: how much the incremental loads had missed, by kind."""
    if drift is None:
        return f"qtickets-assets: {table} rebuilt from empty (a first load): drift not measured"
    kinds = ", ".join(f"{kind} {count}" for kind, count in drift._asdict().items() if kind != "tickets")
    return (
        f"qtickets-assets: the full rebuild of {table} found {drift.tickets} tickets the incremental "
        f"loads had stored otherwise or not at all ({kinds}); {table} is exact again"
    )


def read_table(
    client: "Client", database: str, table: str, columns: list[str] | None = None
) -> "pd.DataFrame":
    """The table as a DataFrame (UTC-aware timestamps); ReplacingMergeTree tables read with FINAL."""
    schema = table_schema(table)
    selected = columns or schema.column_names
    unknown = sorted(set(selected) - set(schema.column_names))
    if unknown:
        raise KeyError(f"{table} has no column(s) {', '.join(unknown)}")
    final = mart.final_clause(client, database, table)
    column_list = ", ".join(f"`{name}`" for name in selected)
    return client.query_df(f"SELECT {column_list} FROM {qualified(database, table)}{final}", tz_mode="aware")


def _write_mode(context: dg.OutputContext) -> str:
    """The asset's declared mode, unless this run's output overrides it (a full rebuild replaces)."""
    runtime = context.output_metadata.get("write_mode")
    declared = (context.definition_metadata or {}).get("write_mode", "replace")
    return str(getattr(runtime, "value", runtime) or declared)


# Definition metadata naming a ledger table that gets one row per successful write of the asset
# (fact_sales: sales_loads, read by v_sales_dashboard.sales_updated_at).
LOAD_LEDGER = "load_ledger"


def _refuse_a_drifted_table(client: "Client", database: str, table: str) -> None:
    """A table altered by hand (a column retyped, added or dropped) is refused before anything is
    written to it: data converted to the DDL's types would go into the altered columns (money
    through a Float64 column), and a replace copies the live table's structure."""
    if problems := mart_checks.column_differences(client, database, table):
        raise ClickHouseConfigError(
            f"{database}.{table} no longer matches clickhouse/ddl ({'; '.join(problems)}); nothing was "
            "written: restore it as the DDL has it, or drop the table (the next run creates it again, "
            "empty, and a full load fills it)"
        )


class ClickHouseIOManager(dg.ConfigurableIOManager):
    """Asset key's last component = table; `metadata={"write_mode": "replace"|"append"|"upsert"}`,
    and optionally `{LOAD_LEDGER: "<ledger table>"}`. Writes through `clickhouse`: bound to the
    run's `clickhouse` resource (defs/resources.py), the run's steps and writes share one client."""

    # Read by Dagster when the class is made (no `from __future__ import annotations` in this
    # module, so the annotations naming pandas or the client, imported only for mypy, are quoted):
    # the run's `clickhouse` is handed in, not a copy of it.
    clickhouse: dg.ResourceDependency[ClickHouseResource]

    @property
    def database(self) -> str:
        return self.clickhouse.database

    def handle_output(
        self, context: dg.OutputContext, obj: "pd.DataFrame | pa.Table | pa.RecordBatchReader | InsertSelect"
    ) -> None:
        with failures.explained():
            self._write(context, obj)

    def _write(
        self, context: dg.OutputContext, obj: "pd.DataFrame | pa.Table | pa.RecordBatchReader | InsertSelect"
    ) -> None:
        table = context.asset_key.path[-1]
        mode = _write_mode(context)
        if isinstance(obj, InsertSelect) and mode != "replace":
            # The engine does not say how many rows an INSERT ... SELECT wrote; a replace wrote the table.
            raise ClickHouseError(f"{table}: an InsertSelect output needs write_mode 'replace', not {mode!r}")
        rows = obj if isinstance(obj, InsertSelect) else _DdlBlocks(obj, table_schema(table))
        writer = writer_for(mode)
        measure = DRIFT_MEASURES.get(table)
        with self.clickhouse.open() as client:
            _refuse_a_drifted_table(client, self.database, table)
            if isinstance(writer, ReplaceWriter) and measure is not None:
                writer.write(
                    client, self.database, table, rows, before_swap=self._drift_reporter(context, measure)
                )
            else:
                writer.write(client, self.database, table, rows)
            if isinstance(rows, _DdlBlocks):
                written, head = rows.rows, rows.head
            else:
                written = mart.row_count(client, self.database, table)
                head = client.query_arrow(
                    f"SELECT * FROM {qualified(self.database, table)} LIMIT {PREVIEW_ROWS}"
                )
            metadata = table_metadata(client, self.database, table, written, head)
            # Last: the ledger row says a load succeeded (the dashboard's sales_updated_at), so it
            # is written only once nothing of the write can fail any more.
            if ledger := (context.definition_metadata or {}).get(LOAD_LEDGER):
                mart.record_load(client, self.database, str(ledger), mode, written)
            context.add_output_metadata(metadata)

    def _drift_reporter(
        self, context: dg.OutputContext, measure: "Callable[[Client, str, str], mart.SalesDrift | None]"
    ) -> "Callable[[Client, str], None]":
        table = context.asset_key.path[-1]

        def report(client: "Client", staging: str) -> None:
            drift = measure(client, self.database, staging)
            line = drift_line(table, drift)
            (context.log.warning if drift is not None and drift.tickets else context.log.info)(line)
            context.add_output_metadata(drift_metadata(table, drift))

        return report

    def load_input(self, context: dg.InputContext) -> "pd.DataFrame":
        table = context.asset_key.path[-1]
        columns = (context.definition_metadata or {}).get("columns")
        with failures.explained(), self.clickhouse.open() as client:
            return read_table(client, self.database, table, list(columns) if columns else None)
