"""Table schemas parsed from `clickhouse/ddl/*.sql`: the one list of tables, columns and types."""

from __future__ import annotations

import dataclasses
import functools
import re
from pathlib import Path
from typing import Literal

import pyarrow as pa

from qtickets_assets.lib.clickhouse.errors import MigrationError
from qtickets_assets.lib.clickhouse.sqltext import (
    matching_paren,
    split_statements,
    split_top_level,
    string_literal,
    top_level_keyword,
)

DDL_DIR = Path(__file__).resolve().parents[3] / "clickhouse" / "ddl"
_FILE_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
# Tables, and views declared with a typed column list (their output contract).
_CREATE_TABLE = re.compile(
    r"^CREATE\s+(?:OR\s+REPLACE\s+)?(?:TABLE|VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?\{database\}\.`?(\w+)`?\s*\(",
    re.IGNORECASE,
)
_ALTER_TABLE = re.compile(r"^ALTER\s+TABLE\s+\{database\}\.`?(\w+)`?\s+(.*)$", re.IGNORECASE | re.DOTALL)
# The ALTER actions the schema follows; any other action on columns would leave it wrong unseen.
_ADD_COLUMN = re.compile(r"^ADD\s+COLUMN\s+(?:IF\s+NOT\s+EXISTS\s+)?(.*)$", re.IGNORECASE | re.DOTALL)
_COMMENT_COLUMN = re.compile(
    r"^COMMENT\s+COLUMN\s+(?:IF\s+EXISTS\s+)?`?(\w+)`?\s+('.*')$", re.IGNORECASE | re.DOTALL
)
_OTHER_COLUMN_ACTION = re.compile(r"^(DROP|MODIFY|RENAME|CLEAR)\s+COLUMN\b", re.IGNORECASE)
_COLUMN_END = ("DEFAULT", "MATERIALIZED", "ALIAS", "EPHEMERAL", "COMMENT", "CODEC", "TTL", "AFTER", "FIRST")
_NOT_COLUMNS = ("INDEX", "PROJECTION", "CONSTRAINT")


@dataclasses.dataclass(frozen=True)
class Column:
    name: str
    type: str
    comment: str = ""  # the DDL's COMMENT: what the column holds, its unit, its zone

    @property
    def nullable(self) -> bool:
        return self.type.startswith("Nullable(")


@dataclasses.dataclass(frozen=True)
class TableSchema:
    name: str
    columns: list[Column]

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]


def ddl_files(directory: Path = DDL_DIR) -> list[Path]:
    """The migration files in apply order; a file named off-pattern or a reused number is an error."""
    files = sorted(directory.glob("*.sql"))
    numbers: dict[str, str] = {}
    for path in files:
        match = _FILE_NAME.match(path.name)
        if not match:
            raise MigrationError(f"DDL file {path.name} is not named NNN_lowercase_name.sql")
        if match.group(1) in numbers:
            raise MigrationError(f"DDL files {numbers[match.group(1)]} and {path.name} share a number")
        numbers[match.group(1)] = path.name
    return files


def _parse_column(definition: str) -> Column:
    name, _, rest = definition.strip().partition(" ")
    type_text = rest[: top_level_keyword(rest, _COLUMN_END)]
    comment_at = top_level_keyword(rest, ("COMMENT",))
    comment = string_literal(rest[comment_at + len("COMMENT") :]) if comment_at < len(rest) else ""
    return Column(name.strip("`"), " ".join(type_text.split()), comment)


def _parse_create(statement: str, match: re.Match[str]) -> TableSchema:
    open_index = match.end() - 1
    body = statement[open_index + 1 : matching_paren(statement, open_index)]
    items = split_top_level(body, ",")
    columns = [_parse_column(item) for item in items if not item.upper().startswith(_NOT_COLUMNS)]
    return TableSchema(match.group(1), columns)


def _apply_statement(schemas: dict[str, TableSchema], statement: str) -> None:
    if created := _CREATE_TABLE.match(statement):
        # A later CREATE OR REPLACE VIEW redefines the view; CREATE TABLE IF NOT EXISTS would not.
        if created.group(1) not in schemas or "REPLACE" in statement[: created.end()].upper():
            schemas[created.group(1)] = _parse_create(statement, created)
    elif altered := _ALTER_TABLE.match(statement):
        table = schemas[altered.group(1)]
        for action in split_top_level(altered.group(2), ","):
            _apply_alter_action(table, action)


def _apply_alter_action(table: TableSchema, action: str) -> None:
    if added := _ADD_COLUMN.match(action):
        column = _parse_column(added.group(1))
        if column.name not in table.column_names:
            table.columns.append(column)
    elif commented := _COMMENT_COLUMN.match(action):
        index = table.column_names.index(commented.group(1))
        table.columns[index] = dataclasses.replace(
            table.columns[index], comment=string_literal(commented.group(2))
        )
    elif _OTHER_COLUMN_ACTION.match(action):
        raise MigrationError(
            f"the DDL parser does not follow {action.split()[0].upper()} COLUMN (in ALTER TABLE "
            f"{table.name}); add columns or comments only, or teach lib/clickhouse/ddl.py"
        )


@functools.cache
def table_schemas(directory: Path = DDL_DIR) -> dict[str, TableSchema]:
    """Every table (and typed view) the DDL files create, with columns added by later ALTERs."""
    schemas: dict[str, TableSchema] = {}
    for path in ddl_files(directory):
        for statement in split_statements(path.read_text(encoding="utf-8")):
            _apply_statement(schemas, statement)
    return schemas


def table_schema(name: str, directory: Path = DDL_DIR) -> TableSchema:
    schemas = table_schemas(directory)
    if name not in schemas:
        raise KeyError(f"no table {name!r} in {directory}; known tables: {', '.join(sorted(schemas))}")
    schema = schemas[name]
    return TableSchema(schema.name, list(schema.columns))  # a copy: callers must not edit the cache


_INTS = {
    f"{sign}Int{bits}": getattr(pa, f"{sign.lower()}int{bits}")()
    for sign in ("", "U")
    for bits in (8, 16, 32, 64)
}
_SIMPLE: dict[str, pa.DataType] = {
    **_INTS,
    "String": pa.string(),
    "Float32": pa.float32(),
    "Float64": pa.float64(),
    "Bool": pa.bool_(),
    "Date": pa.date32(),
}
_WRAPPER = re.compile(r"^(Nullable|LowCardinality)\((.*)\)$")
_DECIMAL = re.compile(r"^Decimal\((\d+),\s*(\d+)\)$")
_DATETIME = re.compile(r"^DateTime\('UTC'\)$")
_DATETIME64 = re.compile(r"^DateTime64\((\d),\s*'UTC'\)$")
_UNITS: dict[int, Literal["s", "ms", "us", "ns"]] = {0: "s", 3: "ms", 6: "us", 9: "ns"}


def arrow_type(clickhouse_type: str) -> tuple[pa.DataType, bool]:
    """(Arrow type, nullable) for a ClickHouse column type; wrappers are peeled in any order."""
    nullable = False
    inner = clickhouse_type.strip()
    while wrapper := _WRAPPER.match(inner):
        nullable = nullable or wrapper.group(1) == "Nullable"
        inner = wrapper.group(2).strip()
    if inner in _SIMPLE:
        return _SIMPLE[inner], nullable
    if decimal := _DECIMAL.match(inner):
        return pa.decimal128(int(decimal.group(1)), int(decimal.group(2))), nullable
    if _DATETIME.match(inner):
        return pa.timestamp("s", tz="UTC"), nullable
    if (dt64 := _DATETIME64.match(inner)) and int(dt64.group(1)) in _UNITS:
        return pa.timestamp(_UNITS[int(dt64.group(1))], tz="UTC"), nullable
    raise ValueError(f"ClickHouse type {clickhouse_type!r} has no Arrow mapping here")


def to_arrow_schema(schema: TableSchema) -> pa.Schema:
    fields = []
    for column in schema.columns:
        data_type, nullable = arrow_type(column.type)
        fields.append(pa.field(column.name, data_type, nullable=nullable))
    return pa.schema(fields)
