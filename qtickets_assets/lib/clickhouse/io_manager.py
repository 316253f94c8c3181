"""`ClickHouseIOManager`: write asset DataFrames to the table named by the asset key, per the DDL.

The frame is checked and converted before any connection is opened, so a mismatch writes nothing
and an embedded directory is held only while rows are actually written.
"""

from __future__ import annotations

from typing import Any

import dagster as dg
import pandas as pd
import pyarrow as pa
from clickhouse_connect.driver.client import Client

from qtickets_assets.lib.clickhouse.convert import frame_to_arrow
from qtickets_assets.lib.clickhouse.ddl import TableSchema, table_schema
from qtickets_assets.lib.clickhouse.resource import open_migrated
from qtickets_assets.lib.clickhouse.writers import qualified, writer_for

PREVIEW_ROWS = 5


def dagster_table_schema(schema: TableSchema) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(name=c.name, type=c.type) for c in schema.columns])


def column_schema_metadata(table: str) -> dict[str, Any]:
    """`{"dagster/column_schema": ...}` from the DDL, for asset definitions."""
    return {"dagster/column_schema": dagster_table_schema(table_schema(table))}


def _preview(data: pa.Table) -> str:
    # Values as text and no number parsing: tabulate would otherwise print money through float.
    head = data.slice(0, PREVIEW_ROWS).to_pandas().astype(str)
    return head.to_markdown(index=False, disable_numparse=True) if len(head) else "_no rows_"


def _output_metadata(database: str, schema: TableSchema, data: pa.Table) -> dict[str, Any]:
    return {
        "dagster/row_count": data.num_rows,
        "dagster/table_name": f"{database}.{schema.name}",
        "dagster/column_schema": dagster_table_schema(schema),
        "rows_written": data.num_rows,
        "preview": dg.MetadataValue.md(_preview(data)),
    }


def read_table(client: Client, database: str, table: str, columns: list[str] | None = None) -> pd.DataFrame:
    """The table as a DataFrame (UTC-aware timestamps); ReplacingMergeTree tables read with FINAL."""
    schema = table_schema(table)
    selected = columns or schema.column_names
    unknown = sorted(set(selected) - set(schema.column_names))
    if unknown:
        raise KeyError(f"{table} has no column(s) {', '.join(unknown)}")
    engine = client.command(
        "SELECT engine FROM system.tables WHERE database = {db:String} AND name = {t:String}",
        {"db": database, "t": table},
    )
    final = " FINAL" if "Replacing" in str(engine) else ""
    column_list = ", ".join(f"`{name}`" for name in selected)
    return client.query_df(f"SELECT {column_list} FROM {qualified(database, table)}{final}", tz_mode="aware")


def _write_mode(context: dg.OutputContext) -> str:
    """The asset's declared mode, unless this run's output overrides it (a full rebuild replaces)."""
    runtime = context.output_metadata.get("write_mode")
    declared = (context.definition_metadata or {}).get("write_mode", "replace")
    return str(getattr(runtime, "value", runtime) or declared)


class ClickHouseIOManager(dg.ConfigurableIOManager):
    """Asset key's last component = table; `metadata={"write_mode": "replace"|"append"|"upsert"}`."""

    url: str
    database: str = "qtickets"

    def handle_output(self, context: dg.OutputContext, obj: pd.DataFrame) -> None:
        if not isinstance(obj, pd.DataFrame):
            raise TypeError(f"ClickHouseIOManager writes pandas DataFrames, got {type(obj).__name__}")
        table = context.asset_key.path[-1]
        writer = writer_for(_write_mode(context))
        schema = table_schema(table)
        data = frame_to_arrow(obj, schema)
        with open_migrated(self.url, self.database) as client:
            writer.write(client, self.database, table, data)
        context.add_output_metadata(_output_metadata(self.database, schema, data))

    def load_input(self, context: dg.InputContext) -> pd.DataFrame:
        table = context.asset_key.path[-1]
        columns = (context.definition_metadata or {}).get("columns")
        with open_migrated(self.url, self.database) as client:
            return read_table(client, self.database, table, list(columns) if columns else None)
