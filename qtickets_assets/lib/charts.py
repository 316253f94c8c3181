"""The views' charts: figures read from the mart (`clickhouse/chart_data.py`), drawn with
matplotlib's Agg backend, handed back as PNG bytes. The view assets put them in their metadata as
Markdown images (data: URIs), and `qtickets_assets.report` inlines the same PNGs in one HTML file.

matplotlib is imported only here, inside the functions that draw (it costs ~0.2-0.4 s to import):
the webserver, the daemon and code servers load the definitions without it. Its bundled font,
DejaVu Sans, has the Cyrillic glyphs and the ruble sign. Every money axis starts at zero, days are
the events' local days, and a chart with nothing to show says so instead of drawing empty axes.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd
from clickhouse_connect.driver.client import Client

from qtickets_assets.lib.clickhouse import chart_data, mart

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

DAYS = 30  # the period of the daily, source and attendance charts: the last 30 local days
UPCOMING_SHOWS = 8
TOP_EVENTS = 10
ATTENDANCE_SHOWS = 20
LABEL_WIDTH = 32
DPI = 80
PAID, REFUNDED, LINE = "#4c78a8", "#e45756", "#333333"


@dataclass(frozen=True)
class Chart:
    title: str
    png: bytes

    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")

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


# -- helpers ----------------------------------------------------------------------------------------


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure  # here, not at import: see the module's docstring

    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _nothing(title: str, why: str) -> Chart:
    """A chart with nothing to show: its title and why, no empty axes."""
    figure = _figure(8, 1.2)
    figure.text(0.5, 0.65, title, ha="center", va="center", fontsize=12, weight="bold")
    figure.text(0.5, 0.3, f"Nothing to show: {why}", ha="center", va="center", fontsize=11, color="#666")
    return Chart(title, _png(figure))


def rubles(value: float) -> str:
    """An axis label in rubles, short enough not to overlap: "1.5M ₽", "250k ₽", "900 ₽"."""
    size = abs(value)
    if size >= 1_000_000:
        return f"{value / 1_000_000:.1f}M ₽".replace(".0M", "M")
    if size >= 1_000:
        return f"{value / 1_000:.0f}k ₽"
    return f"{value:.0f} ₽"


def _rubles(axis: Any) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axis.set_major_locator(MaxNLocator(5))
    axis.set_major_formatter(FuncFormatter(lambda value, _: rubles(value)))


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= LABEL_WIDTH else text[: LABEL_WIDTH - 1] + "…"


def _day_ticks(axes: Axes, days: Sequence[date]) -> None:
    """Local days as dd.mm under integer positions, one label a week (the last day always)."""
    positions = sorted({*range(len(days) - 1, -1, -7)})
    axes.set_xticks(positions, [f"{days[i]:%d.%m}" for i in positions])


def _zero_aligned(left: Axes, right: Axes) -> None:
    """Puts `right`'s zero (a total from zero up) level with `left`'s (whose refunds go below it)."""
    low, high = left.get_ylim()
    below = -low / (high - low)  # the share of the height under zero
    top = right.get_ylim()[1]
    right.set_ylim(-below * top / (1 - below), top)


def _floats(values: Any) -> list[float]:
    return [float(v) for v in values]


# -- v_sales_daily -------------------------------------------------------------------------------


def sales_daily_data(client: Client, database: str, period: Period) -> pd.DataFrame:
    """Per local day of `period`: tickets paid, revenue, tickets refunded, money paid back, and
    the revenue accumulated since the period's first day."""
    daily = mart.daily_sales(client, database, period.first, period.last)
    daily["revenue_cumulative"] = daily["revenue_paid"].cumsum()
    return daily


def sales_daily_charts(client: Client, database: str, period: Period) -> list[Chart]:
    daily = sales_daily_data(client, database, period)
    title = f"Sales by day, {period.words()}"
    if not (daily["tickets_paid"].sum() or daily["tickets_refunded"].sum()):
        return [_nothing(title, "no ticket paid or refunded in these days")]
    figure = _figure(9, 5.6)
    money, tickets = figure.subplots(2, 1, sharex=True)
    x = range(len(daily))
    money.bar(x, _floats(daily["revenue_paid"]), color=PAID, label="revenue paid, ₽")
    money.bar(x, [-v for v in _floats(daily["amount_refunded"])], color=REFUNDED, label="paid back, ₽")
    money.axhline(0, color=LINE, linewidth=0.8)
    money.set_ylabel("₽ per day")
    _rubles(money.yaxis)
    cumulative = money.twinx()
    cumulative.plot(
        x, _floats(daily["revenue_cumulative"]), color=LINE, label="revenue since the first day, ₽"
    )
    _zero_aligned(money, cumulative)
    cumulative.set_ylabel("₽ since the first day")
    _rubles(cumulative.yaxis)
    handles = [*money.get_legend_handles_labels()[0], *cumulative.get_legend_handles_labels()[0]]
    money.legend(handles=handles, loc="upper left", fontsize=8)
    money.set_title(f"Revenue per day (refunds below the axis), {period.words()}")
    tickets.bar(x, _floats(daily["tickets_paid"]), color=PAID, label="tickets paid")
    tickets.bar(x, [-v for v in _floats(daily["tickets_refunded"])], color=REFUNDED, label="tickets refunded")
    tickets.axhline(0, color=LINE, linewidth=0.8)
    tickets.set_ylabel("tickets per day")
    tickets.set_xlabel("day (each event's own time zone)")
    tickets.legend(loc="upper left", fontsize=8)
    tickets.set_title("Tickets per day (refunds below the axis)")
    _day_ticks(tickets, list(daily["date_local"]))
    return [Chart(title, _png(figure))]


# -- v_sell_through --------------------------------------------------------------------------------


def sell_through_data(client: Client, database: str) -> pd.DataFrame:
    return chart_data.upcoming_sell_through(client, database, UPCOMING_SHOWS)


def sell_through_charts(client: Client, database: str, period: Period) -> list[Chart]:
    rows = sell_through_data(client, database)
    title = f"Share of seats sold by days before the show: the next {UPCOMING_SHOWS} shows"
    if rows.empty:
        return [_nothing(title, "no upcoming show has an inventory snapshot")]
    figure = _figure(9, 5)
    axes = figure.subplots()
    for _, show in rows.groupby("show_id", sort=False):
        first = show.iloc[0]
        label = (
            f"{_short(first['event_name'])}, {first['city_name']}, {first['starts_local']} "
            f"({int(first['capacity']):,} seats)"
        )
        share = [100 * v if v == v else 0.0 for v in _floats(show["share_sold"])]
        axes.plot(_floats(show["days_before_show"]), share, marker="o", label=label)
    axes.set_xlim(left=max(1.0, float(rows["days_before_show"].max()) + 1), right=-0.5)
    axes.set_ylim(0, 100)
    axes.set_xlabel("days before the show (local days)")
    axes.set_ylabel("% of seats sold")
    axes.set_title(f"{title} (as of {period.last:%d.%m.%Y})")
    axes.legend(loc="upper left", fontsize=7)
    return [Chart(title, _png(figure))]


# -- v_sales_by_source ------------------------------------------------------------------------------


def sales_by_source_data(client: Client, database: str, period: Period) -> dict[str, pd.DataFrame]:
    """Revenue over `period` by each of chart_data.SOURCES (top ten, then "other")."""
    return {
        column: chart_data.revenue_by(client, database, column, period.first, period.last)
        for column in chart_data.SOURCES
    }


def sales_by_source_charts(client: Client, database: str, period: Period) -> list[Chart]:
    breakdowns = sales_by_source_data(client, database, period)
    title = f"Revenue by source, {period.words()}"
    if all(frame.empty for frame in breakdowns.values()):
        return [_nothing(title, "no ticket paid in these days")]
    figure = _figure(13, 4.4)
    figure.suptitle(title)
    for axes, (column, frame) in zip(figure.subplots(1, 3), breakdowns.items(), strict=True):
        labels = [_short(str(label)) for label in frame["label"]]
        axes.barh(range(len(frame)), _floats(frame["revenue_paid"]), color=PAID)
        axes.set_yticks(range(len(frame)), labels, fontsize=8)
        axes.invert_yaxis()  # the largest first
        axes.set_xlim(left=0)
        _rubles(axes.xaxis)
        axes.tick_params(axis="x", labelsize=7)
        axes.set_title(f"by {chart_data.SOURCES[column]} (top {chart_data.TOP})", fontsize=10)
        axes.set_xlabel("revenue, ₽")
    return [Chart(title, _png(figure))]


# -- v_show_attendance -------------------------------------------------------------------------------


def attendance_data(client: Client, database: str) -> pd.DataFrame:
    """The shows of the last DAYS days with paid tickets, the latest ATTENDANCE_SHOWS of them."""
    return chart_data.recent_attendance(client, database, DAYS).tail(ATTENDANCE_SHOWS)


def attendance_charts(client: Client, database: str, period: Period) -> list[Chart]:
    shows = attendance_data(client, database)
    title = f"Share of paid tickets scanned: shows of the last {DAYS} days"
    if shows.empty:
        return [_nothing(title, f"no show with paid tickets started in the last {DAYS} days")]
    figure = _figure(9, 1.2 + 0.3 * len(shows))
    axes = figure.subplots()
    labels = [f"{_short(s.event_name)}, {s.starts_local}" for s in shows.itertuples()]
    shares = [100 * float(v) for v in shows["share_scanned"]]
    axes.barh(range(len(shows)), shares, color=PAID)
    for y, (share, row) in enumerate(zip(shares, shows.itertuples(), strict=True)):
        axes.text(share + 1, y, f"{row.tickets_scanned:,} of {row.tickets_paid:,}", va="center", fontsize=7)
    axes.set_yticks(range(len(shows)), labels, fontsize=8)
    axes.invert_yaxis()
    axes.set_xlim(0, 110)
    axes.set_xlabel("% of paid tickets scanned (scanned of paid)")
    axes.set_title(f"{title} (as of {period.last:%d.%m.%Y})", fontsize=10)
    return [Chart(title, _png(figure))]


# -- v_sales_dashboard --------------------------------------------------------------------------------


def dashboard_data(client: Client, database: str) -> pd.DataFrame:
    return chart_data.top_events(client, database, TOP_EVENTS)


def dashboard_charts(client: Client, database: str, period: Period) -> list[Chart]:
    events = dashboard_data(client, database)
    title = f"Top {TOP_EVENTS} events by revenue, with seats left"
    if events.empty or not events["revenue_total"].sum():
        return [_nothing(title, "no event has a paid ticket yet")]
    figure = _figure(12, 1.4 + 0.34 * len(events))
    figure.suptitle(f"{title} (all sales to {period.last:%d.%m.%Y})")
    revenue, seats = figure.subplots(1, 2, sharey=True)
    y = range(len(events))
    revenue.barh(y, _floats(events["revenue_total"]), color=PAID)
    revenue.set_yticks(y, [f"{_short(e.event_name)}, {e.city_name}" for e in events.itertuples()], fontsize=8)
    revenue.invert_yaxis()
    revenue.set_xlim(left=0)
    _rubles(revenue.xaxis)
    revenue.set_xlabel("revenue, ₽")
    sold = _floats(events["tickets_total"] - events["tickets_left"])
    seats.barh(y, sold, color=PAID, label="sold")
    seats.barh(y, _floats(events["tickets_left"]), left=sold, color="#c7d6e8", label="left")
    seats.set_xlim(left=0)
    seats.set_xlabel("seats (newest inventory snapshot)")
    seats.legend(loc="lower right", fontsize=8)
    return [Chart(title, _png(figure))]


# -- by view ---------------------------------------------------------------------------------------

VIEW_CHARTS: dict[str, Callable[[Client, str, Period], list[Chart]]] = {
    "v_sales_daily": sales_daily_charts,
    "v_sell_through": sell_through_charts,
    "v_sales_by_source": sales_by_source_charts,
    "v_show_attendance": attendance_charts,
    "v_sales_dashboard": dashboard_charts,
}


def view_charts(client: Client, database: str, view: str) -> list[Chart]:
    """The charts of `view` (none for a view without any), over the period ending local today."""
    draw = VIEW_CHARTS.get(view)
    return draw(client, database, Period.ending(chart_data.local_today(client, database))) if draw else []


def metadata(client: Client, database: str, view: str) -> dict[str, str]:
    """{"charts": the charts of `view` as Markdown images} for the view's materialization; {} for a
    view without charts."""
    charts = view_charts(client, database, view)
    return {"charts": "\n\n".join(chart.markdown() for chart in charts)} if charts else {}
