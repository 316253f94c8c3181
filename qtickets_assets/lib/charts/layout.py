"""Figures laid out without a layout engine, and drawn to SVG.

A layout engine measures every text at each draw, and makes savefig draw twice: here margins are
fixed in inches, the labels' room measured once, and each figure drawn once by its SVG canvas."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

LABEL_SIZE = 8  # points: the bars' labels on the category axis
LABEL_GAP = 7  # points between a category label and its axis (where a tick label would be)
PIXELS_PER_INCH = 80  # the images' size in a browser: a 9-inch figure is 720 pixels wide
PAD = 0.12  # inches between a label and its axis
MIN_PANEL = 2.2  # inches: a bar panel narrower than this is widened with its figure
SVG_SIZE = re.compile(r'width="([0-9.]+)pt" height="([0-9.]+)pt"')  # the <svg> element's, in points


def figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))  # no layout engine: see grid


def svg(drawn: Figure) -> bytes:
    """The figure drawn once by its SVG canvas (without a layout engine, or bbox_inches="tight",
    savefig does not draw it once more beforehand), sized PIXELS_PER_INCH in a browser."""
    buffer = io.BytesIO()
    drawn.savefig(buffer, format="svg", metadata={"Date": None})
    document, sized = SVG_SIZE.subn(_in_pixels, buffer.getvalue().decode("utf-8"), count=1)
    if not sized:
        raise ValueError("matplotlib's SVG has no width and height in points to size in pixels")
    return document.encode("utf-8")


def _in_pixels(size: re.Match[str]) -> str:
    width, height = (float(points) / 72 * PIXELS_PER_INCH for points in size.groups())
    return f'width="{width:.0f}px" height="{height:.0f}px"'


def grid(
    on: Figure,
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
    """`on.subplots(rows, columns)` with margins and `gap` between the axes fixed in inches
    (room for tick labels, axis labels and titles), instead of a layout engine that measures every
    text at each draw."""
    width, height = on.get_size_inches()
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
    return on.subplots(rows, columns, gridspec_kw=spacing, **subplots)


def side_by_side(on: Figure, rooms: Sequence[float], top: float = 0.65, bottom: float = 0.55) -> list[Any]:
    """Bar panels in a row, each with the room its own labels need on its left (one panel's long
    promo codes no longer squeeze the others), the figure widened if a panel would be narrower
    than MIN_PANEL."""
    gap, right = 0.35, 0.2
    width, height = on.get_size_inches()
    panel = (width - sum(rooms) - gap * (len(rooms) - 1) - right) / len(rooms)
    if panel < MIN_PANEL:
        panel = MIN_PANEL
        width = sum(rooms) + len(rooms) * panel + gap * (len(rooms) - 1) + right
        on.set_size_inches(width, height)
    panels, x = [], 0.0
    for room in rooms:
        x += room
        panels.append(
            on.add_axes((x / width, bottom / height, panel / width, (height - top - bottom) / height))
        )
        x += panel + gap
    return panels


def widest(labels: Sequence[str], size: float = LABEL_SIZE) -> float:
    """The width in inches of the widest of `labels` at `size` points, measured as drawn."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    font = FontProperties(size=size)
    points = [text_to_path.get_text_width_height_descent(label, font, ismath=False)[0] for label in labels]
    return max(points, default=0.0) / 72
