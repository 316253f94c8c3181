"""What the charts draw with: bars as one collection, category and value labels as texts, axes in
rubles or whole tickets, days as ticks, and the card of a chart with nothing to show.

Bars are one PolyCollection per series, not a Rectangle each; category labels are texts, not ticks:
fewer artists to build and draw (the charts count in the run's time)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from qtickets_assets.lib.charts import labels, layout
from qtickets_assets.lib.charts.base import Chart
from qtickets_assets.lib.charts.layout import LABEL_GAP, LABEL_SIZE

if TYPE_CHECKING:
    from matplotlib.axes import Axes

PAID, REFUNDED, LINE, LEFT = "#4c78a8", "#e45756", "#333333", "#c7d6e8"
BAR_WIDTH = 0.8


def bars(
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
    collection = PolyCollection(list(polygons), facecolors=color, edgecolors="none", label=label)
    (collection.sticky_edges.x if horizontal else collection.sticky_edges.y).append(0.0)
    axes.add_collection(collection)
    axes.autoscale_view()  # matplotlib < 3.11 updates only the data limits in add_collection


def categories(axes: Axes, names: Sequence[str]) -> None:
    """`names` left of the y axis, one a bar, the first on top. Texts, not tick labels: a tick is
    five artists (two marks, a grid line, two labels) to build and draw, ~40 ms for the charts'
    ~60 category labels."""
    from matplotlib.transforms import ScaledTranslation, blended_transform_factory

    axes.set_yticks([])
    axes.set_ylim(len(names) - 0.5, -0.5)
    beside = blended_transform_factory(axes.transAxes, axes.transData) + ScaledTranslation(
        -LABEL_GAP / 72, 0, axes.figure.dpi_scale_trans
    )
    for y, name in enumerate(names):
        axes.text(0, y, name, transform=beside, ha="right", va="center", fontsize=LABEL_SIZE)


def values(axes: Axes, lengths: Sequence[float], figures: Sequence[str]) -> None:
    """`figures` just past the end of each horizontal bar, so that a bar too short to see still
    tells its figure."""
    from matplotlib.transforms import ScaledTranslation

    past = axes.transData + ScaledTranslation(LABEL_GAP / 2 / 72, 0, axes.figure.dpi_scale_trans)
    for y, (length, figure) in enumerate(zip(lengths, figures, strict=True)):
        axes.text(length, y, figure, transform=past, va="center", fontsize=7)


def nothing(title: str, why: str) -> Chart:
    """A chart with nothing to show: its title and why, no empty axes."""
    card = layout.figure(8, 1.2)
    card.text(0.5, 0.65, title, ha="center", va="center", fontsize=12, weight="bold")
    card.text(0.5, 0.3, f"Nothing to show: {why}", ha="center", va="center", fontsize=11, color="#666")
    return Chart(title, layout.svg(card))


def rubles_axis(axis: Any) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axis.set_major_locator(MaxNLocator(5))
    axis.set_major_formatter(FuncFormatter(lambda value, _: labels.rubles(value)))


def whole_axis(axis: Any) -> None:
    """Ticks at whole figures (tickets): never "2.5" on a quiet day's axis."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(5, integer=True))


def day_ticks(axes: Axes, days: Sequence[date]) -> None:
    """Local days as dd.mm under integer positions, one label a week (the last day always)."""
    positions = sorted({*range(len(days) - 1, -1, -7)})
    axes.set_xticks(positions, [f"{days[i]:%d.%m}" for i in positions])


def zero_aligned(left: Axes, right: Axes) -> None:
    """Puts `right`'s zero (a total from zero up) level with `left`'s (whose refunds go below it)."""
    low, high = left.get_ylim()
    below = -low / (high - low)  # the share of the height under zero
    top = right.get_ylim()[1]
    if 0 <= below < 1 and top > 0:
        right.set_ylim(-below * top / (1 - below), top)
    else:  # no paid bar, or no total above zero (refunds only): both in rubles, on one scale
        right.set_ylim(low, high)


def floats(column: Any) -> list[float]:
    return [float(v) for v in column]
