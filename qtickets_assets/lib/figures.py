"""Figures as people read them, for the UI's previews (Markdown) and the demo's console tables:
thousands separated, money with its kopecks, shares as percentages, NULL as a dash.

Cells are formatted here and handed to tabulate as text (`disable_numparse`): left to itself,
tabulate parses "321,679.00" back into a number and prints "321679".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from tabulate import tabulate

from qtickets_assets.lib.clickhouse import mart

TEXT_WIDTH = 40


def dashboard_headers(money_unit: str = "") -> dict[str, str]:
    """mart.DASHBOARD_TITLES, each money column's title followed by `money_unit` (", ₽", say)."""
    return {
        c: f"{title}{money_unit}" if c.startswith("revenue") else title
        for c, title in mart.DASHBOARD_TITLES.items()
    }


def dashboard_summary(dashboard: pd.DataFrame, sold_all_events: int, money_unit: str = "") -> str:
    """One line under the dashboard: its live events, their paid tickets and revenue (to the
    kopeck), and the paid tickets of every event, deleted ones included (as v_sales_daily counts
    them), so that the two totals an analyst meets are both on the page."""
    tickets, revenue = int(dashboard["tickets_sold_total"].sum()), sum(dashboard["revenue_total"], Decimal(0))
    return (
        f"{len(dashboard)} events, {tickets:,} tickets sold ({sold_all_events:,} including deleted events), "
        f"revenue {revenue:,.2f}{money_unit}"
    )


def cell(column: str, value: Any) -> str:
    """One value as text; `column` tells ids (*_id: no separators), shares (share_*: a percentage)
    and days (date_*: pandas hands a ClickHouse Date back as a midnight timestamp; the day alone)."""
    if isinstance(value, np.generic):  # what pandas hands back for its numeric columns
        value = value.item()
    if value is None or (not isinstance(value, str | Decimal) and bool(pd.isna(value))):
        return "—"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value) if column.endswith("_id") else f"{value:,}"
    if isinstance(value, float):
        return f"{value:.1%}" if column.startswith("share") else f"{value:,.2f}"
    if isinstance(value, datetime) and column.startswith("date"):
        return value.date().isoformat()
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return text if len(text) <= TEXT_WIDTH else text[: TEXT_WIDTH - 1] + "…"


def _is_number(series: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(series.dtype):
        return False
    if pd.api.types.is_numeric_dtype(series.dtype):
        return True
    values = series.dropna()
    return bool(len(values)) and all(isinstance(v, Decimal) for v in values)


def seats_unknown_as_missing(dashboard: pd.DataFrame) -> pd.DataFrame:
    """v_sales_dashboard's rows with seats and seats left missing (shown "—") for the events
    without an inventory snapshot (no live show): the view's 0 there would read as sold out."""
    shown = dashboard.copy()
    unknown = shown["inventory_updated_at"].isna()
    for column in ("tickets_total", "tickets_left"):
        shown[column] = shown[column].astype("Int64").mask(unknown)
    return shown


def text_table(frame: pd.DataFrame, headers: Mapping[str, str], *, tablefmt: str = "simple") -> str:
    """`frame`'s columns named in `headers` (in that order, under those titles), numbers
    right-aligned; "pipe" makes the Markdown the UI renders."""
    columns = list(headers)
    rows = [
        [cell(c, value) for c, value in zip(columns, row, strict=True)]
        for row in frame[columns].itertuples(index=False)
    ]
    align = ["right" if _is_number(frame[c]) else "left" for c in columns]
    return tabulate(
        rows, headers=[headers[c] for c in columns], tablefmt=tablefmt, disable_numparse=True, colalign=align
    )
