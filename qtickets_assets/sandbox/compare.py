"""A mart against the sandbox's truth, table by table: what the tests assert and `make bench` reports.

Plain Python over rows: the caller opens the mart (the sandbox never imports the loader's `lib/`)
and reads each table with `mart_rows`, in the truth's format.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

# Every table and view the sandbox has a truth of, by its natural key.
KEYS = {
    "dim_events": ("event_id",),
    "dim_discounts": ("discount_id",),
    "dim_promo_codes": ("promo_code_id",),
    "fact_inventory_latest": ("show_id",),
    "fact_sales": ("basket_id",),
    "v_sales_dashboard": ("event_id",),
    "v_sales": ("basket_id",),
    "v_sales_daily": ("event_id", "show_id", "date_local"),
    "v_show_attendance": ("show_id",),
    "v_sales_pace": ("show_id", "date_local"),
    "v_sales_by_source": (
        "event_id", "date_local", "utm_source", "utm_medium", "utm_campaign", "promo_code", "payment_type",
        "site_host",
    ),
}  # fmt: skip
TABLES = tuple(KEYS)
# Columns the sandbox's truth leaves out: when the loader ran, and fact_sales' version column.
RUN_DEPENDENT = {
    "fact_inventory_latest": {"snapshot_at"},
    "v_sales_dashboard": {"inventory_updated_at", "sales_updated_at"},
    "fact_sales": {"updated_at"},
    "v_sales": {"updated_at"},
}

Rows = list[dict[str, Any]]
Keyed = dict[tuple[Any, ...], dict[str, Any]]  # rows by natural key


def as_truth(value: Any) -> Any:
    """A value read from ClickHouse in the truth's JSON form: money as "12.30", dates ISO, times UTC."""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def rows_as_truth(column_names: Sequence[str], rows: Iterable[Sequence[Any]]) -> Rows:
    """A query's result (`SELECT * FROM table`) as the truth's rows."""
    return [{name: as_truth(value) for name, value in zip(column_names, row, strict=True)} for row in rows]


def mart_rows(client: Any, database: str, table: str) -> Rows:
    """The table as an analyst reads it (plain SELECT) on an open clickhouse-connect `client`, in
    the truth's format."""
    result = client.query(f"SELECT * FROM {database}.{table}")
    return rows_as_truth(result.column_names, result.result_rows)


def comparable(rows: Iterable[dict[str, Any]], table: str) -> Keyed:
    """Rows keyed by the table's natural key, run-dependent columns left out; keys must be unique."""
    keyed, duplicates = _keyed(rows, table)
    assert not duplicates, f"duplicate key {duplicates[0]} in {table}"
    return keyed


def _keyed(rows: Iterable[dict[str, Any]], table: str) -> tuple[Keyed, list[Any]]:
    """(rows by natural key without run-dependent columns, the keys seen more than once)."""
    keyed: Keyed = {}
    duplicates = []
    left_out = RUN_DEPENDENT.get(table, set())
    for row in rows:
        key = tuple(row[column] for column in KEYS[table])
        if key in keyed:
            duplicates.append(key)
        keyed[key] = {name: value for name, value in row.items() if name not in left_out}
    return keyed, duplicates


@dataclass(frozen=True)
class TableDifference:
    """How one table of the mart differs from its truth: rows by key (none: exact)."""

    table: str
    missing: int  # keys in the truth the mart lacks
    duplicated: int  # keys the mart holds more than once
    unexpected: int  # keys in the mart the truth lacks
    differing: int  # keys in both whose rows differ
    example: str = ""

    @property
    def count(self) -> int:
        return self.missing + self.duplicated + self.unexpected + self.differing

    @property
    def exact(self) -> bool:
        return self.count == 0

    def message(self) -> str:
        if self.exact:
            return f"{self.table}: exact"
        parts = [
            ("missing", self.missing),
            ("with a duplicated key", self.duplicated),
            ("not in the truth", self.unexpected),
            ("differing", self.differing),
        ]
        counts = ", ".join(f"{n} {'row' if n == 1 else 'rows'} {what}" for what, n in parts if n)
        return f"{self.table}: {counts}, e.g. {self.example}"


def compare_table(table: str, stored_rows: Rows, truth_rows: Rows) -> TableDifference:
    """The mart's rows of `table` against the truth's (a view's descriptive columns the truth does
    not list, such as event names, are left out of the comparison)."""
    expected = comparable(truth_rows, table)
    columns = set(next(iter(expected.values()), {}))
    keyed, duplicated = _keyed(stored_rows, table)
    stored = {key: {name: row[name] for name in row.keys() & columns} for key, row in keyed.items()}
    missing = expected.keys() - stored.keys()
    unexpected = stored.keys() - expected.keys()
    differing = [key for key in expected.keys() & stored.keys() if stored[key] != expected[key]]
    return TableDifference(
        table,
        len(missing),
        len(duplicated),
        len(unexpected),
        len(differing),
        _example(
            stored,
            expected,
            differing,
            {"missing": list(missing), "duplicated": duplicated, "not in the truth": list(unexpected)},
        ),
    )


def _example(stored: Keyed, expected: Keyed, differing: list[Any], misplaced: dict[str, list[Any]]) -> str:
    """One differing row side by side, else one key out of place (the first by repr: keys mix types)."""
    if differing:
        key = min(differing, key=repr)
        return f"{key}: mart {stored[key]} != truth {expected[key]}"
    for where, keys in misplaced.items():
        if keys:
            return f"key {min(keys, key=repr)} {where}"
    return ""


def compare_mart(
    read_table: Callable[[str], Rows], truth: dict[str, Rows], tables: Sequence[str] = TABLES
) -> list[TableDifference]:
    """Every table and view the truth has, or those of `tables`, in their order."""
    return [compare_table(table, read_table(table), truth[table]) for table in tables]


def compare_mart_now(
    read_table: Callable[[str], Rows],
    truth_now: Callable[[], dict[str, Rows]],
    tables: Sequence[str] = TABLES,
) -> list[TableDifference]:
    """`compare_mart` against the truth of now, made once more with a later truth when it differs.

    The views' "today" is the query's now() and the truth's the moment it is computed: when a local
    midnight (in any event's zone) falls between the two, they disagree once. A real difference
    differs both times."""
    differences = compare_mart(read_table, truth_now(), tables)
    if all(d.exact for d in differences):
        return differences
    return compare_mart(read_table, truth_now(), tables)
