"""matplotlib, loaded and used on one thread of its own: the charts' settings, the drawing thread,
and an import that skips what a run never reads.

matplotlib is imported only in the steps that draw, never at import (the webserver, the daemon and
code servers load the definitions without it), and on the drawing thread, while the view step's
queries run in chDB (which releases the GIL)."""

from __future__ import annotations

import functools
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

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


def _import_matplotlib() -> None:
    import matplotlib.artist

    # Each Artist class matplotlib defines writes its set() method's docstring at class creation,
    # from every property's own docs (artist.kwdoc): ~70 ms of the import's ~0.23 s of CPU, for
    # help() texts nobody reads in a run. Skipped while the classes are created, then put back.
    kwdoc = matplotlib.artist.kwdoc
    matplotlib.artist.kwdoc = no_property_docs
    try:
        import matplotlib.backends.backend_svg
        import matplotlib.collections
        import matplotlib.figure
        import matplotlib.ticker  # all that drawing needs
    finally:
        matplotlib.artist.kwdoc = kwdoc


def no_property_docs(artist: object) -> str:
    return "Properties: see matplotlib's documentation of this class."


@functools.cache  # one per process
def drawer() -> ThreadPoolExecutor:
    """The thread that imports matplotlib and draws, one task after the other. matplotlib is used
    nowhere else: the calling thread only reads figures from chDB (which releases the GIL)."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="charts")


@functools.cache  # once per process
def load_matplotlib() -> Future[None]:
    """Starts importing matplotlib on the drawing thread (~0.2 s of CPU) and returns at once."""
    return drawer().submit(_import_matplotlib)
