"""The chart of v_sales_dashboard: the top events by revenue, beside their seats taken and left."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qtickets_assets.lib.charts import labels, layout, marks
from qtickets_assets.lib.charts.base import Chart, Period
from qtickets_assets.lib.clickhouse import chart_data

if TYPE_CHECKING:
    import pandas as pd
    from clickhouse_connect.driver.client import Client

TOP_EVENTS = 10


def dashboard_data(client: Client, database: str, period: Period) -> pd.DataFrame:
    return chart_data.top_events(client, database, TOP_EVENTS)


def dashboard_charts(events: pd.DataFrame, period: Period) -> list[Chart]:
    title = f"Top {TOP_EVENTS} events by revenue, with seats left"
    if events.empty or not events["tickets_sold_total"].sum():
        return [marks.nothing(title, "no event has a paid ticket yet")]
    figure = layout.figure(12, 1.4 + 0.34 * len(events))
    figure.suptitle(f"{title} (all sales to {period.last:%d.%m.%Y})")
    names = labels.distinct(
        [f"{labels.short(e.event_name)}, {e.city_name}" for e in events.itertuples()],
        list(events["event_id"]),
    )
    revenue, seats = layout.grid(
        figure, 1, 2, left=layout.widest(names) + layout.PAD + 0.1, top=0.4, bottom=0.5, gap=0.3, sharey=True
    )
    y = range(len(events))
    marks.bars(revenue, y, marks.floats(events["revenue_total"]), color=marks.PAID, horizontal=True)
    marks.categories(revenue, names)
    revenue.set_xlim(left=0)
    marks.rubles_axis(revenue.xaxis)
    revenue.set_xlabel("revenue, ₽")
    sold = marks.floats(events["tickets_total"] - events["tickets_left"])
    marks.bars(seats, y, sold, color=marks.PAID, label="taken", horizontal=True)
    left = marks.floats(events["tickets_left"])
    marks.bars(seats, y, left, start=sold, color=marks.LEFT, label="left", horizontal=True)
    seats.set_xlim(left=0)
    seats.set_xlabel("seats of the shows on sale (newest snapshot)")
    seats.legend(loc="lower right", fontsize=8)
    return [Chart(title, layout.svg(figure))]
