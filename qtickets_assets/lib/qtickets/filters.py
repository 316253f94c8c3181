"""The `where` clause: sent to the server, and re-checked on every parsed record.

Whether the server honours a filter is unproven (qtickets-api.md §2.3), so the client sends the
clauses in the JSON body (fewer pages when they work) and then applies the same clauses locally
(correct results when they do not). Both paths give the same records.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel

from .fields import MOSCOW, to_flag, to_money, to_utc

Operator = Literal["=", "!=", "<", ">", "<=", ">=", "in", "not in", "null", "not null"]
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
}


@dataclass(frozen=True)
class Where:
    """One clause, e.g. Where("id", ">", 1000) or Where("deleted_at", "null"). Clauses are ANDed."""

    column: str
    operator: Operator = "="
    value: Any = None

    def __post_init__(self) -> None:
        if self.operator not in (*_COMPARE, "in", "not in", "null", "not null"):
            raise ValueError(f"unsupported where operator {self.operator!r}")
        if self.operator in ("in", "not in") and not isinstance(self.value, list | tuple | set | frozenset):
            raise ValueError(f"where {self.column} {self.operator} needs a list value")

    def to_json(self) -> dict[str, Any]:
        """The clause as the API documents it: {"column", "operator", "value"}."""
        clause: dict[str, Any] = {"column": self.column, "operator": self.operator}
        if self.operator not in ("null", "not null"):
            clause["value"] = _wire_value(self.value, self.operator)
        return clause

    def matches(self, record: object) -> bool:
        """Evaluate the clause on a parsed record (a models record, or a NativeOrder, which reads its
        times and price as an Order does), comparing in the field's own type."""
        actual = getattr(record, self.column)
        if self.operator == "null":
            return actual is None
        if self.operator == "not null":
            return actual is not None
        if self.operator in ("in", "not in"):
            inside = any(actual == _like(actual, v) for v in self.value)
            return inside == (self.operator == "in")
        if actual is None:  # SQL semantics: a comparison with NULL is never true
            return False
        return _COMPARE[self.operator](actual, _like(actual, self.value))


def _wire_value(value: Any, operator: str = "=") -> Any:
    """Datetimes go out as ISO 8601 with their offset, in the zone whose digits read widest.

    Whether the server honours the offset is unknown (qtickets-api.md §8, question 1); one that
    compares the digits alone reads them in the zone it stores, Moscow's (the zone of its answers)
    or UTC. A lower bound (`>`, `>=`) goes out in UTC, whose digits are the earlier: a server
    that stores UTC reads it exactly, and one that stores Moscow time reads 3 hours more, which the
    local re-check drops; in Moscow time it would have lost the first 3 hours' changes on the
    first kind, silently. An upper bound goes out in Moscow time (the later digits), anything else
    in the API's own form, Moscow time."""
    if isinstance(value, datetime):
        zone = UTC if operator in (">", ">=") else MOSCOW
        return to_utc(value).astimezone(zone).isoformat(timespec="seconds")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_wire_value(v) for v in value]
    return value


def _like(actual: Any, value: Any) -> Any:
    """Coerce the clause value to the record field's type (1 -> True, ISO text -> UTC datetime)."""
    if isinstance(actual, bool):
        return to_flag(value)
    if isinstance(actual, datetime):
        return to_utc(value)
    if isinstance(actual, Decimal):
        return to_money(value)
    if isinstance(actual, int) and isinstance(value, str):
        return int(value)
    return value


def check_columns(where: Sequence[Where], model: type[BaseModel]) -> None:
    """Refuse a clause the client could not re-check locally (a column the model does not keep)."""
    unknown = [w.column for w in where if w.column not in model.model_fields]
    if unknown:
        raise ValueError(
            f"cannot filter {model.__name__} on {', '.join(unknown)}: the client re-checks every clause "
            f"locally and only knows {', '.join(sorted(model.model_fields))}"
        )


def matches_all(where: Sequence[Where], record: object) -> bool:
    return all(w.matches(record) for w in where)
