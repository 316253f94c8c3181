"""The views' charts: figures read from the mart (`lib/clickhouse/chart_data.py`), drawn with
matplotlib's SVG backend, handed back as SVG documents. The view assets put them in their metadata
as Markdown images (data: URIs), and `qtickets_assets.report` inlines the same images in one HTML
file.

Here: which view has which charts, and how a step gets them (read on its thread, drawn on the
drawing thread). The charts themselves are in `sales.py`, `shows.py` and `dashboard.py`, drawn with
`marks.py` on figures laid out by `layout.py`; matplotlib is loaded by `loading.py`.

matplotlib's bundled font, DejaVu Sans, has the Cyrillic glyphs and the ruble sign; it measures the
texts, and the browser draws them (SVG text, with fallbacks no wider than DejaVu Sans where it is not
installed). Every money axis starts at zero, days are the events' local days, and a chart with
nothing to show says so instead of drawing empty axes.

Charts count in the run's time (`python -m bench.charts` measures them), hence: matplotlib is
imported (without its classes' property docstrings), and a view's charts drawn, on a thread of their
own while the view step's queries run in chDB (which releases the GIL); no layout engine; fewer
artists (see marks.py); SVG, its texts as text: nothing is rasterised (a PNG costs ~0.16 s more CPU
for the five views), and the images are sharp at any zoom and smaller (~20-40 KB each against
40-75 KB).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from qtickets_assets.lib.charts import dashboard, marks, sales, shows
from qtickets_assets.lib.charts.base import Chart, Data, Period, ViewCharts
from qtickets_assets.lib.charts.loading import RC, drawer, load_matplotlib
from qtickets_assets.lib.clickhouse import chart_data

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

__all__ = [
    "VIEW_CHARTS",
    "Chart",
    "Period",
    "ViewCharts",
    "draw",
    "load_matplotlib",
    "metadata",
    "prepare",
    "start_drawings",
    "view_charts",
]

log = logging.getLogger(__name__)

VIEW_CHARTS: dict[str, ViewCharts[Any]] = {
    "v_sales_daily": ViewCharts(sales.sales_daily_data, sales.sales_daily_charts),
    "v_sell_through": ViewCharts(shows.sell_through_data, shows.sell_through_charts),
    "v_sales_by_source": ViewCharts(sales.sales_by_source_data, sales.sales_by_source_charts),
    "v_show_attendance": ViewCharts(shows.attendance_data, shows.attendance_charts),
    "v_sales_dashboard": ViewCharts(dashboard.dashboard_data, dashboard.dashboard_charts),
}


def prepare(view: str) -> None:
    """Starts loading matplotlib if `view` has charts: a view step calls it first thing, so that
    the import also runs while the step opens the mart."""
    if view in VIEW_CHARTS:
        load_matplotlib()


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
    return drawer().submit(_drawn_or_told, view, made, made.read(client, database, period), period)


def _drawn_or_told(view: str, made: ViewCharts[Data], data: Data, period: Period) -> list[Chart]:
    """`draw`, or a card saying the drawing failed: a picture is not worth failing the step that
    refreshes every view (the figures are in the view and its preview either way)."""
    try:
        return draw(made, data, period)
    except Exception as error:
        log.exception(f"the charts of {view} could not be drawn")
        from matplotlib import rc_context

        with rc_context(RC):
            return [marks.nothing(f"Charts of {view}", f"drawing failed ({type(error).__name__}: {error})")]


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
