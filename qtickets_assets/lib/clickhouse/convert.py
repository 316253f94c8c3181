"""Turn a pandas DataFrame or an Arrow table into an Arrow table of exactly a table's DDL schema,
or say why not.

Every column is checked before anything is written and all problems are reported together, so a
producer fixes its data in one go. Money never passes through float: Decimal objects, strings and
integers are converted exactly, and a float column for a Decimal type is refused.

The Arrow path (`conform_arrow`, the sales tickets built in Arrow) is stricter than the frame
path: values must already be of their column's kind (money as a decimal Arrow type, times in whole
seconds, whole numbers as integers).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, TypeAlias

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from qtickets_assets.lib.clickhouse.ddl import TableSchema, arrow_type, to_arrow_schema
from qtickets_assets.lib.clickhouse.errors import SchemaMismatchError

# An Arrow column as the converters hand it on: one array, or the chunks of a table's column.
AnyArray: TypeAlias = "pa.Array[Any] | pa.ChunkedArray[Any]"


class _ColumnProblem(Exception):
    """A column that cannot become its DDL type; the message is one item of the mismatch list."""


def _exact_decimal(value: Any, target: pa.Decimal128Type) -> Decimal:
    if isinstance(value, float):
        raise _ColumnProblem(f"holds float {value!r}; give money as Decimal or str, never float")
    try:
        number = Decimal(str(value)) if isinstance(value, str | int) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise _ColumnProblem(f"holds {value!r}, not a decimal number") from None
    try:
        # Rounding would silently change an amount: 1.005 is refused, 1.50 and 1.5 are the same.
        exact = number == number.quantize(Decimal(1).scaleb(-target.scale))
    except InvalidOperation:
        exact = False  # NaN, infinity or too many digits to quantize
    if not exact:
        raise _ColumnProblem(f"holds {value!r}, not a number with at most {target.scale} decimal places")
    return number


def _to_decimal(series: pd.Series, target: pa.Decimal128Type) -> pa.Array[Any]:
    if pd.api.types.is_float_dtype(series.dtype):
        raise _ColumnProblem(f"is {series.dtype}; give money as Decimal or str, never float")
    values = [None if _is_missing(value) else _exact_decimal(value, target) for value in series]
    try:
        return pa.array(values, type=target)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise _ColumnProblem(f"does not fit {target}: {exc}") from None


def _is_missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str | Decimal) and bool(pd.isna(value)))


def _to_timestamp(series: pd.Series, target: pa.TimestampType) -> pa.Array[Any]:
    try:
        # Naive values are read as UTC: every mart timestamp is UTC, and ClickHouse's own query_df
        # hands DateTime('UTC') back naive. Aware values in any zone are converted to UTC.
        converted = pd.to_datetime(series, utc=True)
    except (ValueError, TypeError) as exc:
        raise _ColumnProblem(f"cannot be read as timestamps ({exc})") from None
    # DateTime has whole seconds; sub-second parts are dropped the way ClickHouse would drop them.
    return pa.Array.from_pandas(converted.dt.floor("s")).cast(target, safe=False)


def _to_plain(series: pd.Series, target: pa.DataType) -> pa.Array[Any]:
    try:
        return pa.Array.from_pandas(series).cast(target, safe=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        raise _ColumnProblem(f"is {series.dtype} and cannot become {target}: {exc}") from None


def _convert_column(series: pd.Series, clickhouse_type: str) -> pa.Array[Any]:
    target, _ = arrow_type(clickhouse_type)
    if isinstance(target, pa.Decimal128Type):  # every DDL Decimal maps to decimal128 (ddl.arrow_type)
        return _to_decimal(series, target)
    if pa.types.is_timestamp(target):
        return _to_timestamp(series, target)
    return _to_plain(series, target)


def _from_arrow(array: AnyArray, target: pa.DataType) -> AnyArray:
    if array.type == target:
        return array
    if pa.types.is_decimal(target) and pa.types.is_floating(array.type):
        raise _ColumnProblem(f"is {array.type}; give money as Decimal or str, never float")
    try:
        return array.cast(target, safe=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        raise _ColumnProblem(f"is {array.type} and cannot become {target}: {exc}") from None


# ClickHouse's DateTime holds the seconds of 1970-01-01..2106-02-07 06:28:15 UTC and silently clamps
# anything else (a show in 2207, an organiser's typo, would be stored as 2106): refused instead.
DATETIME_SECONDS = (0, 2**32 - 1)


def _check_datetime_range(array: AnyArray) -> None:
    """`array` (already its DDL column's timestamp("s", "UTC")) within DATETIME_SECONDS."""
    extremes = pc.min_max(array.cast(pa.int64()))
    low, high = extremes["min"].as_py(), extremes["max"].as_py()
    first, last = DATETIME_SECONDS
    outside = sorted({t for t in (low, high) if t is not None and not first <= t <= last})
    if outside:
        shown = ", ".join(str(pd.Timestamp(t, unit="s", tz="UTC")) for t in outside)
        raise _ColumnProblem(f"holds {shown}, outside ClickHouse DateTime's 1970-01-01..2106-02-07 (UTC)")


def _conform(schema: TableSchema, names: Sequence[str], convert: Callable[[str, str], AnyArray]) -> pa.Table:
    """Convert each DDL column with `convert(name, clickhouse_type)`; every problem reported at once."""
    problems: list[str] = []
    expected = {column.name for column in schema.columns}
    problems += [f"missing column {c.name} {c.type}" for c in schema.columns if c.name not in names]
    problems += [f"extra column {name} (not in the DDL)" for name in names if name not in expected]
    arrays: list[AnyArray] = []
    for column in schema.columns:
        if column.name not in names:
            continue
        try:
            array = convert(column.name, column.type)
            if not arrow_type(column.type)[1] and array.null_count:
                raise _ColumnProblem(f"has {array.null_count} NULL value(s) but is not Nullable")
            if pa.types.is_timestamp(array.type):
                _check_datetime_range(array)
            arrays.append(array)
        except _ColumnProblem as problem:
            problems.append(f"column {column.name} {column.type} {problem}")
    if problems:
        raise SchemaMismatchError(schema.name, problems)
    return pa.Table.from_arrays(arrays, schema=to_arrow_schema(schema))


def frame_to_arrow(frame: pd.DataFrame, schema: TableSchema) -> pa.Table:
    """The frame as an Arrow table in the DDL's column order and types; SchemaMismatchError otherwise."""
    return _conform(schema, list(frame.columns), lambda name, type_: _convert_column(frame[name], type_))


def conform_arrow(data: pa.Table, schema: TableSchema) -> pa.Table:
    """An Arrow table cast (safely: no overflow, no lost digits) to the DDL; SchemaMismatchError otherwise."""
    return _conform(
        schema, data.column_names, lambda name, type_: _from_arrow(data.column(name), arrow_type(type_)[0])
    )
