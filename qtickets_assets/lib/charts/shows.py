"""The charts of the shows' views: v_sell_through (share of seats taken by days before the show,
the next shows) and v_show_attendance (share of paid tickets scanned, the last 30 days' shows)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qtickets_assets.lib.charts import labels, layout, marks
from qtickets_assets.lib.charts.base import DAYS, Chart, Period
from qtickets_assets.lib.clickhouse import chart_data

if TYPE_CHECKING:
    import pandas as pd
    from clickhouse_connect.driver.client import Client

UPCOMING_SHOWS = 8
ATTENDANCE_SHOWS = 20
# The sell-through chart of a mart with one inventory snapshot day a show (a new install: the curves
# grow a point a day); v_sales_pace holds the curve of paid tickets from the first sale.
SNAPSHOTS_NOTE = (
    "one snapshot day a show so far: a point a day from now on\n"
    "(v_sales_pace: paid tickets since the first sale)"
)


def sell_through_data(client: Client, database: str, period: Period) -> pd.DataFrame:
    return chart_data.upcoming_sell_through(client, database, UPCOMING_SHOWS)


def sell_through_charts(rows: pd.DataFrame, period: Period) -> list[Chart]:
    title = f"Share of seats taken by days before the show: the next {UPCOMING_SHOWS} shows"
    if rows.empty:
        return [marks.nothing(title, "no upcoming show has an inventory snapshot")]
    figure = layout.figure(9, 5)
    axes = layout.grid(figure, 1, 1, left=0.7)
    for _, show in rows.groupby("show_id", sort=False):
        first = show.iloc[0]
        label = (
            f"{labels.short(first['event_name'])}, {first['city_name']}, {first['starts_local']} "
            f"({int(first['capacity']):,} seats)"
        )
        share = [100 * v if v == v else 0.0 for v in marks.floats(show["share_sold"])]
        axes.plot(marks.floats(show["days_before_show"]), share, marker="o", label=label)
    axes.set_xlim(left=max(1.0, float(rows["days_before_show"].max()) + 1), right=-0.5)
    axes.set_ylim(0, 100)
    axes.set_xlabel("days before the show (local days)")
    axes.set_ylabel("% of seats taken (paid or reserved)")
    axes.set_title(f"{title} (as of {period.last:%d.%m.%Y})")
    axes.legend(loc="upper left", fontsize=7)
    if rows.groupby("show_id").size().max() == 1:  # a young mart: dots, until the snapshots add up
        axes.text(
            0.99,
            0.97,
            SNAPSHOTS_NOTE,
            transform=axes.transAxes,
            ha="right",
            va="top",
            fontsize=8,
            color="#666",
        )
    return [Chart(title, layout.svg(figure))]


def attendance_data(client: Client, database: str, period: Period) -> pd.DataFrame:
    """The live shows of the period with paid tickets, the latest ATTENDANCE_SHOWS of them."""
    return chart_data.recent_attendance(client, database, period.first, period.last).tail(ATTENDANCE_SHOWS)


def attendance_charts(shows: pd.DataFrame, period: Period) -> list[Chart]:
    title = f"Share of paid tickets scanned: shows of the last {DAYS} days"
    if shows.empty:
        return [marks.nothing(title, f"no live show with paid tickets started in the last {DAYS} days")]
    figure = layout.figure(9, 1.2 + 0.3 * len(shows))
    # The city too: a touring show plays the same name in several cities, at times alike.
    names = labels.distinct(
        [f"{labels.short(s.event_name)}, {s.city_name}, {s.starts_local}" for s in shows.itertuples()],
        list(shows["show_id"]),
    )
    axes = layout.grid(figure, 1, 1, left=layout.widest(names) + layout.PAD + 0.1, top=0.3, bottom=0.5)
    shares = [100 * float(v) for v in shows["share_scanned"]]
    marks.bars(axes, range(len(shows)), shares, color=marks.PAID, horizontal=True)
    marks.values(axes, shares, [f"{s.tickets_scanned:,} of {s.tickets_paid:,}" for s in shows.itertuples()])
    marks.categories(axes, names)
    axes.set_xlim(0, 110)
    axes.set_xlabel("% of paid tickets scanned (scanned of paid)")
    axes.set_title(f"{title} (as of {period.last:%d.%m.%Y})", fontsize=10)
    return [Chart(title, layout.svg(figure))]
