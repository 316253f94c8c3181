"""What every chart shares: the drawn `Chart`, the `Period` it covers, and how a view's charts are
made (`ViewCharts`: read from the mart, then drawn)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

DAYS = 30  # the period of the daily, source and attendance charts: the last 30 local days
MEDIA_TYPE = "image/svg+xml"

Data = TypeVar("Data")  # what a view's charts plot, as read from the mart


@dataclass(frozen=True)
class Chart:
    title: str
    svg: bytes

    def data_uri(self) -> str:
        return f"data:{MEDIA_TYPE};base64," + base64.b64encode(self.svg).decode("ascii")

    def markdown(self) -> str:
        return f"![{self.title}]({self.data_uri()})"


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @classmethod
    def ending(cls, last: date, days: int = DAYS) -> Period:
        return cls(last - timedelta(days=days - 1), last)

    def words(self) -> str:
        return f"{self.first:%d.%m.%Y}–{self.last:%d.%m.%Y} (local days)"


@dataclass(frozen=True)
class ViewCharts(Generic[Data]):
    """How a view's charts are made: `read` what they plot from the mart (queries only), then
    `draw` it (matplotlib only), so that the drawing can run on a thread of its own."""

    read: Callable[[Client, str, Period], Data]
    draw: Callable[[Data, Period], list[Chart]]
