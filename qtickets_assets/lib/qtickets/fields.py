"""Annotated field types that absorb the API's PHP-isms before pydantic validates them.

PHP's `json_encode` sends an empty map as `[]`, an empty `custom` as `""`, flags as 0/1, "0"/"1"
or booleans, and numbers sometimes as strings. Timestamps come as ISO 8601 with an offset
(Moscow time, +03:00) and are normalised to timezone-aware UTC here, once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

# The API speaks Moscow time; Moscow has had a fixed +03:00 offset since 2014, so a naive
# timestamp (never seen, but cheap to guard) is read as +03:00 rather than rejected or taken as UTC.
MOSCOW = timezone(timedelta(hours=3), "MSK")
CENT = Decimal("0.01")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def shape(value: Any) -> str:
    """What a rejected value looks like, never the value itself: a field in the wrong place may
    hold a buyer's e-mail, phone or name, and messages end up in logs and the run's event log."""
    if isinstance(value, str):
        return f"got a text of {len(value)} characters"
    kind = type(value).__name__
    article = "an" if kind[0] in "aeiouAEIOU" else "a"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"got {article} {kind} of {len(str(abs(value)))} digits"
    return f"got {article} {kind}"


# What ClickHouse's DateTime holds (it would store the nearest end of anything outside, silently):
# a time outside is refused here, where the message names the record and the field.
STORABLE_TIMES = (datetime(1970, 1, 1, tzinfo=UTC), datetime(2106, 2, 7, 6, 28, 15, tzinfo=UTC))
# What ClickHouse's UInt32 holds: a basket's places.
MAX_COUNT = 2**32 - 1


def to_utc(value: Any) -> Any:
    """ISO string or datetime -> aware UTC datetime; anything else is left for pydantic to reject."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace(" ", "T", 1))
        except ValueError:
            raise ValueError(f"not an ISO 8601 timestamp: {shape(value)}") from None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=MOSCOW)
        return value.astimezone(UTC)
    return value


def to_stored_utc(value: Any) -> Any:
    """`to_utc` for a record's field: a time the mart cannot store is refused (a filter's bound,
    which goes through `to_utc` alone, may lie outside)."""
    value = to_utc(value)
    if isinstance(value, datetime) and not STORABLE_TIMES[0] <= value <= STORABLE_TIMES[1]:
        raise ValueError(f"a time in the year {value.year}, outside what the mart stores (1970-2106)")
    return value


def to_optional_utc(value: Any) -> Any:
    """Like `to_stored_utc`, but "" (PHP's empty value) means absent."""
    if value is None or value == "":
        return None
    return to_stored_utc(value)


def to_flag(value: Any) -> Any:
    """bool, 0/1 or "0"/"1"/"true"/"" -> bool."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"not a flag (bool, 0/1 or '0'/'1'): {shape(value)}")


MAX_AMOUNT = Decimal(10) ** 10


def to_money(value: Any) -> Any:
    """A JSON number or numeric string -> Decimal with two places.

    orjson hands over floats; `str(float)` is the shortest text that round-trips, i.e. the text the
    server sent, so Decimal(str(x)) carries no binary-float residue (501.1 stays 501.10).
    """
    if isinstance(value, bool):
        raise ValueError(f"not an amount: {shape(value)}")
    if isinstance(value, int | float | str | Decimal):
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(f"not an amount: {shape(value)}") from None
        if not amount.is_finite():
            raise ValueError(f"not a finite amount: {shape(value)}")
        if abs(amount) >= MAX_AMOUNT:  # the mart's Decimal(12, 2) holds less than 10 billion
            raise ValueError(f"amount out of range: {shape(value)}")
        return amount.quantize(CENT, rounding=ROUND_HALF_UP)
    raise ValueError(f"not an amount: {shape(value)}")


def to_text(value: Any) -> Any:
    """Ids and labels that are sometimes numbers on the wire -> str."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def to_int(value: Any) -> Any:
    """Counts and ids: int or numeric string, never a bool (True is not a quantity)."""
    if isinstance(value, bool):
        raise ValueError(f"not an integer: {shape(value)}")
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return value


def empty_map_to_dict(value: Any) -> Any:
    """PHP sends an empty map as [] (and an empty `custom` as ""); both mean {}."""
    if value is None or value == [] or value == "":
        return {}
    return value


def empty_to_none(value: Any) -> Any:
    """An optional object PHP sent empty ([], "" or {}): absent."""
    return None if value in ([], "", {}) else value


def php_list(value: Any) -> Any:
    """A list PHP sent as a map: an array whose keys are not 0..n-1 (one filtered without
    array_values) is encoded {"0": …, "2": …}; its values, in order ({} is empty). A null is
    left to the field: an order without its baskets must fail, not read as no ticket."""
    return list(value.values()) if isinstance(value, dict) else value


UtcDatetime = Annotated[datetime, BeforeValidator(to_stored_utc)]
OptionalUtcDatetime = Annotated[datetime | None, BeforeValidator(to_optional_utc)]
Flag = Annotated[bool, BeforeValidator(to_flag)]
Money = Annotated[Decimal, BeforeValidator(to_money)]
Text = Annotated[str, BeforeValidator(to_text)]
Int = Annotated[int, BeforeValidator(to_int)]
Count = Annotated[int, BeforeValidator(to_int), Field(ge=0, le=MAX_COUNT)]
# An optional id PHP may send as "" (or [] ) when there is none.
OptionalInt = Annotated[int | None, BeforeValidator(lambda v: to_int(empty_to_none(v)))]
