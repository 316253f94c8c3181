"""The charts of the sales views: v_sales_daily (revenue and tickets a day, refunds below the axis,
the cumulative revenue) and v_sales_by_source (revenue by UTM source, promo code, payment type)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qtickets_assets.lib.charts import labels, layout, marks
from qtickets_assets.lib.charts.base import Chart, Period
from qtickets_assets.lib.clickhouse import chart_data, mart

if TYPE_CHECKING:
    import pandas as pd
    from clickhouse_connect.driver.client import Client
    from matplotlib.axes import Axes

VALUES_ROOM = 1.35  # a value axis this many times the longest bar leaves room for its figure


def sales_daily_data(client: Client, database: str, period: Period) -> pd.DataFrame:
    """Per local day of `period`: tickets paid, revenue, tickets refunded, money paid back, and
    the revenue accumulated since the period's first day."""
    daily = mart.daily_sales(client, database, period.first, period.last)
    daily["revenue_cumulative"] = daily["revenue_paid"].cumsum()
    return daily


def _paid_and_back(axes: Axes, paid: Any, back: Any, paid_label: str, back_label: str) -> None:
    """One bar a day: `paid` above the axis, `back` (refunds) below it."""
    days = range(len(paid))
    marks.bars(axes, days, marks.floats(paid), color=marks.PAID, label=paid_label)
    marks.bars(axes, days, [-v for v in marks.floats(back)], color=marks.REFUNDED, label=back_label)
    axes.axhline(0, color=marks.LINE, linewidth=0.8)


def sales_daily_charts(daily: pd.DataFrame, period: Period) -> list[Chart]:
    title = f"Sales by day, {period.words()}"
    if not (daily["tickets_paid"].sum() or daily["tickets_refunded"].sum()):
        return [marks.nothing(title, "no ticket paid or refunded in these days")]
    figure = layout.figure(9, 5.6)
    money, tickets = layout.grid(figure, 2, 1, left=0.9, right=0.9, gap=0.45, sharex=True)
    x = range(len(daily))
    _paid_and_back(money, daily["revenue_paid"], daily["amount_refunded"], "revenue paid, ₽", "paid back, ₽")
    money.set_ylabel("₽ per day")
    marks.rubles_axis(money.yaxis)
    cumulative = money.twinx()
    cumulative.plot(
        x, marks.floats(daily["revenue_cumulative"]), color=marks.LINE, label="revenue since the first day, ₽"
    )
    marks.zero_aligned(money, cumulative)
    cumulative.set_ylabel("₽ since the first day")
    marks.rubles_axis(cumulative.yaxis)
    handles = [*money.get_legend_handles_labels()[0], *cumulative.get_legend_handles_labels()[0]]
    money.legend(handles=handles, loc="upper left", fontsize=8)
    money.set_title(f"Revenue per day (refunds below the axis), {period.words()}")
    _paid_and_back(
        tickets, daily["tickets_paid"], daily["tickets_refunded"], "tickets paid", "tickets refunded"
    )
    tickets.set_ylabel("tickets per day")
    marks.whole_axis(tickets.yaxis)
    tickets.set_xlabel("day (each event's own time zone)")
    tickets.legend(loc="upper left", fontsize=8)
    tickets.set_title("Tickets per day (refunds below the axis)")
    marks.day_ticks(tickets, list(daily["date_local"]))
    return [Chart(title, layout.svg(figure))]


def sales_by_source_data(client: Client, database: str, period: Period) -> dict[str, pd.DataFrame]:
    """Revenue over `period` by each of chart_data.SOURCES (top ten, then "other")."""
    return chart_data.revenue_by_sources(client, database, period.first, period.last)


def sales_by_source_charts(breakdowns: dict[str, pd.DataFrame], period: Period) -> list[Chart]:
    title = f"Revenue by source, {period.words()}"
    if all(frame.empty for frame in breakdowns.values()):
        return [marks.nothing(title, "no ticket paid in these days")]
    figure = layout.figure(13, 4.4)
    figure.suptitle(title)
    names = {
        column: labels.distinct([labels.short(label) for label in frame["label"]], range(1, len(frame) + 1))
        for column, frame in breakdowns.items()
    }
    rooms = [layout.widest(names[column]) + layout.PAD + 0.1 for column in breakdowns]
    for axes, (column, frame) in zip(layout.side_by_side(figure, rooms), breakdowns.items(), strict=True):
        revenue = marks.floats(frame["revenue_paid"])
        marks.bars(axes, range(len(frame)), revenue, color=marks.PAID, horizontal=True)
        marks.categories(axes, names[column])
        marks.values(axes, revenue, [labels.whole_rubles(value) for value in frame["revenue_paid"]])
        axes.set_xlim(0, VALUES_ROOM * max(revenue, default=0.0) or 1.0)
        marks.rubles_axis(axes.xaxis)
        axes.tick_params(axis="x", labelsize=7)
        axes.set_title(f"by {chart_data.SOURCES[column]} (top {chart_data.TOP})", fontsize=10)
        axes.set_xlabel("revenue, ₽")
    return [Chart(title, layout.svg(figure))]
