"""Table schemas parsed from the SQL files: the one list of tables, views, columns, types, comments.

`clickhouse/ddl/NNN_name.sql` are versioned migrations (applied once, never edited: tables and
their later ALTERs); `clickhouse/views/NNN_view.sql` hold one view each, re-created whenever the
file changes (a view keeps no data, so its file is edited in place).
"""

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
VIEWS_DIR = DDL_DIR.parent / "views"
_FILE_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
_CREATE_TABLE = re.compile(
    r"^CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?\{database\}\.`?(\w+)`?\s*\(", re.IGNORECASE
)
# A view with a typed column list: its output contract (and what Dagster shows as its columns).
_CREATE_VIEW = re.compile(r"^CREATE\s+OR\s+REPLACE\s+VIEW\s+\{database\}\.`?(\w+)`?\s*\(", re.IGNORECASE)
_ALTER_TABLE = re.compile(r"^ALTER\s+TABLE\s+\{database\}\.`?(\w+)`?\s+(.*)$", re.IGNORECASE | re.DOTALL)
# The ALTER actions the schema follows; any other action on columns would leave it wrong unseen.
_ADD_COLUMN = re.compile(r"^ADD\s+COLUMN\s+(?:IF\s+NOT\s+EXISTS\s+)?(.*)$", re.IGNORECASE | re.DOTALL)
_COMMENT_COLUMN = re.compile(
    r"^COMMENT\s+COLUMN\s+(?:IF\s+EXISTS\s+)?`?(\w+)`?\s+('.*')$", re.IGNORECASE | re.DOTALL
)
_DROP_COLUMN = re.compile(r"^DROP\s+COLUMN\s+(?:IF\s+EXISTS\s+)?`?(\w+)`?$", re.IGNORECASE)
_OTHER_COLUMN_ACTION = re.compile(r"^(MODIFY|RENAME|CLEAR)\s+COLUMN\b", re.IGNORECASE)
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
    """The SQL files of `directory` in apply order; a file named off-pattern or a reused number is an
    error. Views (`VIEWS_DIR`) follow the same rule: the number orders views that read other views."""
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
        schemas.setdefault(created.group(1), _parse_create(statement, created))
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
    elif dropped := _DROP_COLUMN.match(action.strip()):
        table.columns[:] = [column for column in table.columns if column.name != dropped.group(1)]
    elif _OTHER_COLUMN_ACTION.match(action):
        raise MigrationError(
            f"the DDL parser does not follow {action.split()[0].upper()} COLUMN (in ALTER TABLE "
            f"{table.name}); add, drop or comment columns only, or teach lib/clickhouse/ddl.py"
        )


def view_name(path: Path) -> str:
    """The view a file of VIEWS_DIR defines: its name without the number, `010_v_sales.sql` -> v_sales."""
    return path.stem.split("_", 1)[1]


@functools.cache
def table_schemas(directory: Path = DDL_DIR, views: Path = VIEWS_DIR) -> dict[str, TableSchema]:
    """Every table the migrations create, with columns added by later ALTERs, and every typed view."""
    schemas: dict[str, TableSchema] = {}
    for path in ddl_files(directory):
        for statement in split_statements(path.read_text(encoding="utf-8")):
            _apply_statement(schemas, statement)
    for path in ddl_files(views):
        statements = split_statements(path.read_text(encoding="utf-8"))
        created = _CREATE_VIEW.match(statements[0]) if len(statements) == 1 else None
        if created is None or created.group(1) != view_name(path):
            raise MigrationError(f"{path.name} must hold one CREATE OR REPLACE VIEW of {view_name(path)}")
        schemas[view_name(path)] = _parse_create(statements[0], created)
    return schemas


def table_schema(name: str, directory: Path = DDL_DIR, views: Path = VIEWS_DIR) -> TableSchema:
    schemas = table_schemas(directory, views)
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
