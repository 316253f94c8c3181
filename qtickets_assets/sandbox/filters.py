"""`where` and `orderBy` as the real server seems to apply them, with SQL NULL semantics.

A malformed filter (a string where an array is expected, an unknown column or operator) makes the
real PHP server fail with 503 UNKNOWN_ERROR, so every such case raises `FilterError`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any, Literal
from zoneinfo import ZoneInfo

Kind = Literal["int", "bool", "time"]
MOSCOW = ZoneInfo("Europe/Moscow")


class FilterError(ValueError):
    """The request's filter cannot be applied; the server answers 503 UNKNOWN_ERROR."""


def to_epoch(value: Any) -> int:
    if not isinstance(value, str):
        raise FilterError("datetime value must be a string")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise FilterError("bad datetime") from exc
    if parsed.tzinfo is None:  # a naive time is read in the server's own zone
        parsed = parsed.replace(tzinfo=MOSCOW)
    return int(parsed.timestamp())


def coerce(kind: Kind, value: Any) -> int | bool:
    if kind == "time":
        return to_epoch(value)
    if kind == "bool":
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true")
        return bool(value)
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise FilterError("bad integer") from exc


COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<>": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
}


def clause_predicate(clause: Any, columns: dict[str, Kind]) -> Callable[[dict[str, Any]], bool]:
    if not isinstance(clause, dict) or clause.get("column") not in columns:
        raise FilterError("bad where clause")
    column = clause["column"]
    kind = columns[column]
    op = str(clause.get("operator", "=")).strip().lower()
    value = clause.get("value")
    if op in ("null", "is null") or (op == "=" and value is None):
        return lambda row: row[column] is None
    if op in ("not null", "is not null") or (op in ("!=", "<>") and value is None):
        return lambda row: row[column] is not None
    if op in ("in", "not in", "in array", "not in array"):
        if not isinstance(value, list):
            raise FilterError("in needs a list")
        wanted = {coerce(kind, v) for v in value}
        negate = op.startswith("not")
        return lambda row: row[column] is not None and ((row[column] in wanted) != negate)
    if op not in COMPARE:
        raise FilterError("unknown operator")
    target, compare = coerce(kind, value), COMPARE[op]
    return lambda row: row[column] is not None and compare(row[column], target)


def null_first_key(column: str, row: dict[str, Any]) -> tuple[bool, Any]:
    """Sort key: NULLs before any value, as MySQL sorts them ascending."""
    value = row[column]
    return (value is not None, value if value is not None else 0)


def apply_where(rows: list[dict[str, Any]], where: Any, columns: dict[str, Kind]) -> list[dict[str, Any]]:
    if where is None:
        return rows
    if isinstance(where, dict):  # a single clause sent as an object
        where = [where]
    if not isinstance(where, list):
        raise FilterError("where must be an array")
    predicates = [clause_predicate(c, columns) for c in where]
    return [row for row in rows if all(p(row) for p in predicates)]


def apply_order(rows: list[dict[str, Any]], order_by: Any, columns: Sequence[str]) -> list[dict[str, Any]]:
    """Stable sorts from the last key to the first; NULLs first on asc as in MySQL; id breaks ties."""
    if order_by is None or order_by == []:
        order_by = {}
    if not isinstance(order_by, dict):
        raise FilterError("orderBy must be an object")
    rows = sorted(rows, key=lambda r: r["id"])
    for column, direction in reversed(list(order_by.items())):
        if column not in columns or str(direction).lower() not in ("asc", "desc"):
            raise FilterError("bad orderBy")
        desc = str(direction).lower() == "desc"
        rows.sort(key=partial(null_first_key, column), reverse=desc)
    return rows
