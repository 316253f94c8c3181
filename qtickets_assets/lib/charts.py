"""The views' charts: figures read from the mart (`lib/clickhouse/chart_data.py`), drawn with
matplotlib's SVG backend, handed back as SVG documents. The view assets put them in their metadata
as Markdown images (data: URIs), and `qtickets_assets.report` inlines the same images in one HTML
file.

matplotlib is imported only in the steps that draw, never at import (the webserver, the daemon and
code servers load the definitions without it). Its bundled font, DejaVu Sans, has the Cyrillic
glyphs and the ruble sign; it measures the texts, and the browser draws them (SVG text, with
fallbacks no wider than DejaVu Sans where it is not installed). Every money axis starts at zero,
days are the events' local days, and a chart with nothing to show says so instead of drawing empty
axes.

Charts count in the run's time (`python -m bench.charts` measures them), hence: matplotlib is
imported (without its classes' property docstrings), and a view's charts drawn, on a thread of
their own while the view step's queries run in chDB (which releases the GIL); no layout engine (it
measures every text at each draw, and makes savefig draw twice): margins are fixed in inches, the
labels' room measured once; bars are one PolyCollection per series, not a Rectangle each;
category labels are texts, not ticks; titles sit at a fixed height; SVG, its texts as text:
nothing is rasterised (a PNG costs ~0.16 s more CPU for the five views), and the images are sharp
at any zoom and smaller (~20-40 KB each against 40-75 KB).
"""

from __future__ import annotations

import base64
import functools
import io
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from qtickets_assets.lib.clickhouse import chart_data, mart

if TYPE_CHECKING:
    import pandas as pd
    from clickhouse_connect.driver.client import Client
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.typing import RcKeyType

log = logging.getLogger(__name__)
DAYS = 30  # the period of the daily, source and attendance charts: the last 30 local days
UPCOMING_SHOWS = 8
TOP_EVENTS = 10
ATTENDANCE_SHOWS = 20
LABEL_WIDTH = 32
LABEL_SIZE = 8  # points: the bars' labels on the category axis
LABEL_GAP = 7  # points between a category label and its axis (where a tick label would be)
PIXELS_PER_INCH = 80  # the images' size in a browser: a 9-inch figure is 720 pixels wide
BAR_WIDTH = 0.8
PAD = 0.12  # inches between a label and its axis
VALUES_ROOM = 1.35  # a value axis this many times the longest bar leaves room for its figure
# The sell-through chart of a mart with one inventory snapshot day a show (a new install: the curves
# grow a point a day); v_sales_pace holds the curve of paid tickets from the first sale.
SNAPSHOTS_NOTE = (
    "one snapshot day a show so far: a point a day from now on\n"
    "(v_sales_pace: paid tickets since the first sale)"
)
PAID, REFUNDED, LINE, LEFT = "#4c78a8", "#e45756", "#333333", "#c7d6e8"
# Read at draw time, so set around each view's drawing (not for the whole process). Names are
# text, never mathtext: "$" in an event's name stays a dollar sign.
# "svg.fonttype": "none" writes texts as <text>, drawn by the browser, instead of a path a glyph.
# The fonts after DejaVu Sans (which measures the texts) are the browser's fallbacks, all narrower,
# so that labels measured to fit still fit (matplotlib's default list has the wider Verdana).
RC: dict[RcKeyType, Any] = {
    "text.parse_math": False,
    "axes.titley": 1.0,
    "svg.fonttype": "none",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica"],
}
MEDIA_TYPE = "image/svg+xml"
SVG_SIZE = re.compile(r'width="([0-9.]+)pt" height="([0-9.]+)pt"')  # the <svg> element's, in points

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


# -- matplotlib, on a thread of its own --------------------------------------------------------------


def _import_matplotlib() -> None:
    import matplotlib.artist

    # Each Artist class matplotlib defines writes its set() method's docstring at class creation,
    # from every property's own docs (artist.kwdoc): ~70 ms of the import's ~0.23 s of CPU, for
    # help() texts nobody reads in a run. Skipped while the classes are created, then put back.
    kwdoc = matplotlib.artist.kwdoc
    matplotlib.artist.kwdoc = _no_property_docs
    try:
        import matplotlib.backends.backend_svg
        import matplotlib.collections
        import matplotlib.figure
        import matplotlib.ticker  # all that drawing needs
    finally:
        matplotlib.artist.kwdoc = kwdoc


def _no_property_docs(artist: object) -> str:
    return "Properties: see matplotlib's documentation of this class."


@functools.cache  # one per process
def _drawer() -> ThreadPoolExecutor:
    """The thread that imports matplotlib and draws, one task after the other. matplotlib is used
    nowhere else: the calling thread only reads figures from chDB (which releases the GIL)."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="charts")


@functools.cache  # once per process
def load_matplotlib() -> Future[None]:
    """Starts importing matplotlib on the drawing thread (~0.2 s of CPU) and returns at once."""
    return _drawer().submit(_import_matplotlib)


def prepare(view: str) -> None:
    """Starts loading matplotlib if `view` has charts: a view step calls it first thing, so that
    the import also runs while the step opens the mart."""
    if view in VIEW_CHARTS:
        load_matplotlib()


# -- helpers ----------------------------------------------------------------------------------------


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))  # no layout engine: see _grid


def _svg(figure: Figure) -> bytes:
    """The figure drawn once by its SVG canvas (without a layout engine, or bbox_inches="tight",
    savefig does not draw it once more beforehand), sized PIXELS_PER_INCH in a browser."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg, sized = SVG_SIZE.subn(_in_pixels, buffer.getvalue().decode("utf-8"), count=1)
    if not sized:
        raise ValueError("matplotlib's SVG has no width and height in points to size in pixels")
    return svg.encode("utf-8")


def _in_pixels(size: re.Match[str]) -> str:
    width, height = (float(points) / 72 * PIXELS_PER_INCH for points in size.groups())
    return f'width="{width:.0f}px" height="{height:.0f}px"'


def _grid(
    figure: Figure,
    rows: int,
    columns: int,
    *,
    left: float,
    right: float = 0.2,
    top: float = 0.35,
    bottom: float = 0.55,
    gap: float = 0.0,
    **subplots: Any,
) -> Any:
    """`figure.subplots(rows, columns)` with margins and `gap` between the axes fixed in inches
    (room for tick labels, axis labels and titles), instead of a layout engine that measures every
    text at each draw."""
    width, height = figure.get_size_inches()
    axes_width = (width - left - right - (columns - 1) * gap) / columns
    axes_height = (height - top - bottom - (rows - 1) * gap) / rows
    spacing = {
        "left": left / width,
        "right": 1 - right / width,
        "top": 1 - top / height,
        "bottom": bottom / height,
        "wspace": gap / axes_width,
        "hspace": gap / axes_height,
    }
    return figure.subplots(rows, columns, gridspec_kw=spacing, **subplots)


MIN_PANEL = 2.2  # inches: a bar panel narrower than this is widened with its figure


def _side_by_side(
    figure: Figure, rooms: Sequence[float], top: float = 0.65, bottom: float = 0.55
) -> list[Any]:
    """Bar panels in a row, each with the room its own labels need on its left (one panel's long
    promo codes no longer squeeze the others), the figure widened if a panel would be narrower
    than MIN_PANEL."""
    gap, right = 0.35, 0.2
    width, height = figure.get_size_inches()
    panel = (width - sum(rooms) - gap * (len(rooms) - 1) - right) / len(rooms)
    if panel < MIN_PANEL:
        panel = MIN_PANEL
        width = sum(rooms) + len(rooms) * panel + gap * (len(rooms) - 1) + right
        figure.set_size_inches(width, height)
    panels, x = [], 0.0
    for room in rooms:
        x += room
        panels.append(
            figure.add_axes((x / width, bottom / height, panel / width, (height - top - bottom) / height))
        )
        x += panel + gap
    return panels


def _widest(labels: Sequence[str], size: float = LABEL_SIZE) -> float:
    """The width in inches of the widest of `labels` at `size` points, measured as drawn."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    font = FontProperties(size=size)
    points = [text_to_path.get_text_width_height_descent(label, font, ismath=False)[0] for label in labels]
    return max(points, default=0.0) / 72


def _bars(
    axes: Axes,
    positions: Sequence[float],
    lengths: Sequence[float],
    *,
    color: str,
    label: str | None = None,
    start: Sequence[float] | None = None,
    horizontal: bool = False,
) -> None:
    """Bars from `start` (zero when not given) as one PolyCollection: a single artist to build and
    draw, where Axes.bar makes a Rectangle per bar. The value axis starts from zero (as bar's)."""
    import numpy as np
    from matplotlib.collections import PolyCollection

    middle = np.asarray(positions, dtype=float)
    low = np.zeros_like(middle) if start is None else np.asarray(start, dtype=float)
    high = low + np.asarray(lengths, dtype=float)
    side_a, side_b = middle - BAR_WIDTH / 2, middle + BAR_WIDTH / 2
    corners = [(side_a, low), (side_a, high), (side_b, high), (side_b, low)]
    polygons = np.stack([np.column_stack(corner) for corner in corners], axis=1)  # bar, corner, xy
    if horizontal:
        polygons = polygons[..., ::-1]
    bars = PolyCollection(list(polygons), facecolors=color, edgecolors="none", label=label)
    (bars.sticky_edges.x if horizontal else bars.sticky_edges.y).append(0.0)
    axes.add_collection(bars)
    axes.autoscale_view()  # matplotlib < 3.11 updates only the data limits in add_collection


def _categories(axes: Axes, labels: Sequence[str]) -> None:
    """`labels` left of the y axis, one a bar, the first on top. Texts, not tick labels: a tick is
    five artists (two marks, a grid line, two labels) to build and draw, ~40 ms for the charts'
    ~60 category labels."""
    from matplotlib.transforms import ScaledTranslation, blended_transform_factory

    axes.set_yticks([])
    axes.set_ylim(len(labels) - 0.5, -0.5)
    beside = blended_transform_factory(axes.transAxes, axes.transData) + ScaledTranslation(
        -LABEL_GAP / 72, 0, axes.figure.dpi_scale_trans
    )
    for y, label in enumerate(labels):
        axes.text(0, y, label, transform=beside, ha="right", va="center", fontsize=LABEL_SIZE)


def _values(axes: Axes, lengths: Sequence[float], labels: Sequence[str]) -> None:
    """`labels` just past the end of each horizontal bar, so that a bar too short to see still
    tells its figure."""
    from matplotlib.transforms import ScaledTranslation

    past = axes.transData + ScaledTranslation(LABEL_GAP / 2 / 72, 0, axes.figure.dpi_scale_trans)
    for y, (length, label) in enumerate(zip(lengths, labels, strict=True)):
        axes.text(length, y, label, transform=past, va="center", fontsize=7)


def _nothing(title: str, why: str) -> Chart:
    """A chart with nothing to show: its title and why, no empty axes."""
    figure = _figure(8, 1.2)
    figure.text(0.5, 0.65, title, ha="center", va="center", fontsize=12, weight="bold")
    figure.text(0.5, 0.3, f"Nothing to show: {why}", ha="center", va="center", fontsize=11, color="#666")
    return Chart(title, _svg(figure))


def rubles(value: float) -> str:
    """An axis label in rubles, short enough not to overlap and exact for a tick's round figure:
    "1.25M ₽", "1.5k ₽", "250k ₽", "900 ₽" (never "2k ₽" for 1,500)."""
    size = abs(value)
    scale, suffix = (1_000_000, "M") if size >= 1_000_000 else (1_000, "k") if size >= 1_000 else (1, "")
    figure = round(value / scale, 6) + 0.0  # + 0.0: -0.0 reads "0", not "-0"
    return f"{figure:g}{suffix} ₽"


def whole_rubles(value: Decimal) -> str:
    """A bar's figure, rounded to the ruble from the exact amount, half a ruble up (a format
    rounds half to even): "1,234,567 ₽"."""
    return f"{value.quantize(Decimal(1), ROUND_HALF_UP):,} ₽"


def _rubles(axis: Any) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axis.set_major_locator(MaxNLocator(5))
    axis.set_major_formatter(FuncFormatter(lambda value, _: rubles(value)))


def _whole(axis: Any) -> None:
    """Ticks at whole figures (tickets): never "2.5" on a quiet day's axis."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(5, integer=True))


def _short(value: object) -> str:
    """At most LABEL_WIDTH characters, cut in the middle: codes and names that share a long start
    ("НОВОГОДНЯЯ-СКИДКА-ДЛЯ-ПОДПИСЧИКОВ-01", "-02") still differ at their end."""
    text = str(value)
    if len(text) <= LABEL_WIDTH:
        return text
    tail = LABEL_WIDTH // 3
    return text[: LABEL_WIDTH - tail - 1] + "…" + text[-tail:]


def _distinct(labels: Sequence[str], ids: Iterable[object]) -> list[str]:
    """`labels`, each one that is not unique followed by its id: two bars never read alike."""
    repeated = {label for label in labels if labels.count(label) > 1}
    return [f"{label} #{id_}" if label in repeated else label for label, id_ in zip(labels, ids, strict=True)]


def _day_ticks(axes: Axes, days: Sequence[date]) -> None:
    """Local days as dd.mm under integer positions, one label a week (the last day always)."""
    positions = sorted({*range(len(days) - 1, -1, -7)})
    axes.set_xticks(positions, [f"{days[i]:%d.%m}" for i in positions])


def _zero_aligned(left: Axes, right: Axes) -> None:
    """Puts `right`'s zero (a total from zero up) level with `left`'s (whose refunds go below it)."""
    low, high = left.get_ylim()
    below = -low / (high - low)  # the share of the height under zero
    top = right.get_ylim()[1]
    if 0 <= below < 1 and top > 0:
        right.set_ylim(-below * top / (1 - below), top)
    else:  # no paid bar, or no total above zero (refunds only): both in rubles, on one scale
        right.set_ylim(low, high)


def _floats(values: Any) -> list[float]:
    return [float(v) for v in values]


# -- v_sales_daily -------------------------------------------------------------------------------


def sales_daily_data(client: Client, database: str, period: Period) -> pd.DataFrame:
    """Per local day of `period`: tickets paid, revenue, tickets refunded, money paid back, and
    the revenue accumulated since the period's first day."""
    daily = mart.daily_sales(client, database, period.first, period.last)
    daily["revenue_cumulative"] = daily["revenue_paid"].cumsum()
    return daily


def _paid_and_back(axes: Axes, paid: Any, back: Any, paid_label: str, back_label: str) -> None:
    """One bar a day: `paid` above the axis, `back` (refunds) below it."""
    days = range(len(paid))
    _bars(axes, days, _floats(paid), color=PAID, label=paid_label)
    _bars(axes, days, [-v for v in _floats(back)], color=REFUNDED, label=back_label)
    axes.axhline(0, color=LINE, linewidth=0.8)


def sales_daily_charts(daily: pd.DataFrame, period: Period) -> list[Chart]:
    title = f"Sales by day, {period.words()}"
    if not (daily["tickets_paid"].sum() or daily["tickets_refunded"].sum()):
        return [_nothing(title, "no ticket paid or refunded in these days")]
    figure = _figure(9, 5.6)
    money, tickets = _grid(figure, 2, 1, left=0.9, right=0.9, gap=0.45, sharex=True)
    x = range(len(daily))
    _paid_and_back(money, daily["revenue_paid"], daily["amount_refunded"], "revenue paid, ₽", "paid back, ₽")
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
    _paid_and_back(
        tickets, daily["tickets_paid"], daily["tickets_refunded"], "tickets paid", "tickets refunded"
    )
    tickets.set_ylabel("tickets per day")
    _whole(tickets.yaxis)
    tickets.set_xlabel("day (each event's own time zone)")
    tickets.legend(loc="upper left", fontsize=8)
    tickets.set_title("Tickets per day (refunds below the axis)")
    _day_ticks(tickets, list(daily["date_local"]))
    return [Chart(title, _svg(figure))]


# -- v_sell_through --------------------------------------------------------------------------------


def sell_through_data(client: Client, database: str, period: Period) -> pd.DataFrame:
    return chart_data.upcoming_sell_through(client, database, UPCOMING_SHOWS)


def sell_through_charts(rows: pd.DataFrame, period: Period) -> list[Chart]:
    title = f"Share of seats taken by days before the show: the next {UPCOMING_SHOWS} shows"
    if rows.empty:
        return [_nothing(title, "no upcoming show has an inventory snapshot")]
    figure = _figure(9, 5)
    axes = _grid(figure, 1, 1, left=0.7)
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
    return [Chart(title, _svg(figure))]


# -- v_sales_by_source ------------------------------------------------------------------------------


def sales_by_source_data(client: Client, database: str, period: Period) -> dict[str, pd.DataFrame]:
    """Revenue over `period` by each of chart_data.SOURCES (top ten, then "other")."""
    return chart_data.revenue_by_sources(client, database, period.first, period.last)


def sales_by_source_charts(breakdowns: dict[str, pd.DataFrame], period: Period) -> list[Chart]:
    title = f"Revenue by source, {period.words()}"
    if all(frame.empty for frame in breakdowns.values()):
        return [_nothing(title, "no ticket paid in these days")]
    figure = _figure(13, 4.4)
    figure.suptitle(title)
    labels = {
        column: _distinct([_short(label) for label in frame["label"]], range(1, len(frame) + 1))
        for column, frame in breakdowns.items()
    }
    panels = _side_by_side(figure, [_widest(labels[column]) + PAD + 0.1 for column in breakdowns])
    for axes, (column, frame) in zip(panels, breakdowns.items(), strict=True):
        revenue = _floats(frame["revenue_paid"])
        _bars(axes, range(len(frame)), revenue, color=PAID, horizontal=True)
        _categories(axes, labels[column])
        _values(axes, revenue, [whole_rubles(value) for value in frame["revenue_paid"]])
        axes.set_xlim(0, VALUES_ROOM * max(revenue, default=0.0) or 1.0)
        _rubles(axes.xaxis)
        axes.tick_params(axis="x", labelsize=7)
        axes.set_title(f"by {chart_data.SOURCES[column]} (top {chart_data.TOP})", fontsize=10)
        axes.set_xlabel("revenue, ₽")
    return [Chart(title, _svg(figure))]


# -- v_show_attendance -------------------------------------------------------------------------------


def attendance_data(client: Client, database: str, period: Period) -> pd.DataFrame:
    """The live shows of the period with paid tickets, the latest ATTENDANCE_SHOWS of them."""
    return chart_data.recent_attendance(client, database, period.first, period.last).tail(ATTENDANCE_SHOWS)


def attendance_charts(shows: pd.DataFrame, period: Period) -> list[Chart]:
    title = f"Share of paid tickets scanned: shows of the last {DAYS} days"
    if shows.empty:
        return [_nothing(title, f"no live show with paid tickets started in the last {DAYS} days")]
    figure = _figure(9, 1.2 + 0.3 * len(shows))
    # The city too: a touring show plays the same name in several cities, at times alike.
    labels = _distinct(
        [f"{_short(s.event_name)}, {s.city_name}, {s.starts_local}" for s in shows.itertuples()],
        list(shows["show_id"]),
    )
    axes = _grid(figure, 1, 1, left=_widest(labels) + PAD + 0.1, top=0.3, bottom=0.5)
    shares = [100 * float(v) for v in shows["share_scanned"]]
    _bars(axes, range(len(shows)), shares, color=PAID, horizontal=True)
    _values(axes, shares, [f"{s.tickets_scanned:,} of {s.tickets_paid:,}" for s in shows.itertuples()])
    _categories(axes, labels)
    axes.set_xlim(0, 110)
    axes.set_xlabel("% of paid tickets scanned (scanned of paid)")
    axes.set_title(f"{title} (as of {period.last:%d.%m.%Y})", fontsize=10)
    return [Chart(title, _svg(figure))]


# -- v_sales_dashboard --------------------------------------------------------------------------------


def dashboard_data(client: Client, database: str, period: Period) -> pd.DataFrame:
    return chart_data.top_events(client, database, TOP_EVENTS)


def dashboard_charts(events: pd.DataFrame, period: Period) -> list[Chart]:
    title = f"Top {TOP_EVENTS} events by revenue, with seats left"
    if events.empty or not events["tickets_sold_total"].sum():
        return [_nothing(title, "no event has a paid ticket yet")]
    figure = _figure(12, 1.4 + 0.34 * len(events))
    figure.suptitle(f"{title} (all sales to {period.last:%d.%m.%Y})")
    labels = _distinct(
        [f"{_short(e.event_name)}, {e.city_name}" for e in events.itertuples()], list(events["event_id"])
    )
    revenue, seats = _grid(
        figure, 1, 2, left=_widest(labels) + PAD + 0.1, top=0.4, bottom=0.5, gap=0.3, sharey=True
    )
    y = range(len(events))
    _bars(revenue, y, _floats(events["revenue_total"]), color=PAID, horizontal=True)
    _categories(revenue, labels)
    revenue.set_xlim(left=0)
    _rubles(revenue.xaxis)
    revenue.set_xlabel("revenue, ₽")
    sold = _floats(events["tickets_total"] - events["tickets_left"])
    _bars(seats, y, sold, color=PAID, label="taken", horizontal=True)
    _bars(seats, y, _floats(events["tickets_left"]), start=sold, color=LEFT, label="left", horizontal=True)
    seats.set_xlim(left=0)
    seats.set_xlabel("seats of the shows on sale (newest snapshot)")
    seats.legend(loc="lower right", fontsize=8)
    return [Chart(title, _svg(figure))]


# -- by view ---------------------------------------------------------------------------------------

VIEW_CHARTS: dict[str, ViewCharts[Any]] = {
    "v_sales_daily": ViewCharts(sales_daily_data, sales_daily_charts),
    "v_sell_through": ViewCharts(sell_through_data, sell_through_charts),
    "v_sales_by_source": ViewCharts(sales_by_source_data, sales_by_source_charts),
    "v_show_attendance": ViewCharts(attendance_data, attendance_charts),
    "v_sales_dashboard": ViewCharts(dashboard_data, dashboard_charts),
}


def draw(made: ViewCharts[Data], data: Data, period: Period) -> list[Chart]:
    """`made`'s charts of `data` (matplotlib must be loaded: see load_matplotlib)."""
    from matplotlib import rc_context

    with rc_context(RC):
        return made.draw(data, period)


def start_drawings(client: Client, database: str, views: Sequence[str]) -> dict[str, Future[list[Chart]]]:
    """Reads what each of `views`' charts plot now (on `client`, in this thread), then draws them
    on the drawing thread while this one goes on (a view step runs its own queries meanwhile). The
    period ends local today, read once for all. A view without charts has none (done at once)."""
    drawings: dict[str, Future[list[Chart]]] = {}
    if drawn := [view for view in views if view in VIEW_CHARTS]:
        load_matplotlib()  # first: the import runs while chDB answers the queries below
        period = Period.ending(chart_data.local_today(client, database))
        drawings = {view: _drawing(client, database, view, period) for view in drawn}
    return {view: drawings[view] if view in drawings else _no_charts() for view in views}


def _drawing(client: Client, database: str, view: str, period: Period) -> Future[list[Chart]]:
    made = VIEW_CHARTS[view]
    return _drawer().submit(_drawn_or_told, view, made, made.read(client, database, period), period)


def _drawn_or_told(view: str, made: ViewCharts[Data], data: Data, period: Period) -> list[Chart]:
    """`draw`, or a card saying the drawing failed: a picture is not worth failing the step that
    refreshes every view (the figures are in the view and its preview either way)."""
    try:
        return draw(made, data, period)
    except Exception as error:
        log.exception(f"the charts of {view} could not be drawn")
        from matplotlib import rc_context

        with rc_context(RC):
            return [_nothing(f"Charts of {view}", f"drawing failed ({type(error).__name__}: {error})")]


def _no_charts() -> Future[list[Chart]]:
    none: Future[list[Chart]] = Future()
    none.set_result([])
    return none


def view_charts(client: Client, database: str, view: str) -> list[Chart]:
    """The charts of `view` (none for a view without any), over the period ending local today."""
    return start_drawings(client, database, [view])[view].result()


def metadata(charts: Sequence[Chart]) -> dict[str, str]:
    """{"charts": `charts` as Markdown images} for a view's materialization; {} when none."""
    return {"charts": "\n\n".join(chart.markdown() for chart in charts)} if charts else {}
