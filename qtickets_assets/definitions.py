"""The code location `qtickets_assets`: every definition under `defs/` is loaded automatically."""

import contextlib
import functools
import gc
from pathlib import Path

import dagster as dg
import pyarrow as pa

from qtickets_assets import settings

YOUNG_GENERATION_THRESHOLD = 10_000  # allocations between collections of the youngest generation (700)


@dg.definitions
def defs() -> dg.Definitions:
    return _build(settings.definitions_env())


@functools.cache
def _build(environment: tuple[str | None, ...]) -> dg.Definitions:
    """The definitions for one configuration (`settings.DEFINITIONS_ENV`), built once per process.

    Dagster asks for them six times in one `dg launch` (to find the target, then again for each
    reconstruction of the job), and every build walks `defs/` and renders the JSON schemas of
    Dagster's component library (~0.1 s each). Reloading a code location starts a new code server
    process, so edited code is still picked up.
    """
    definitions = dg.load_from_defs_folder(project_root=Path(__file__).parent.parent)
    _tune_process()
    return definitions


def clear_definitions_cache() -> None:
    """Forget the built definitions (tests that patch what a build captures)."""
    _build.cache_clear()


@functools.cache  # once per process
def _tune_process() -> None:
    """The run's garbage collector and Arrow's allocator, set once the definitions are first built."""
    # The first build ends the process's start-up: ~290k objects (Dagster, pandas, chDB, these
    # modules) that live as long as the process. Frozen, the cyclic GC stops walking them in every
    # full collection of the run and again at interpreter exit: a full sync saves ~0.7 s at exit and
    # ~1.3 s of collections during a medium crawl. Garbage is collected first so that none of it is
    # frozen; objects alive now that become garbage cycles later stay (a one-off, bounded amount).
    gc.collect()
    gc.freeze()
    # A crawl allocates thousands of short-lived objects per page (parsed JSON, records). At the
    # default threshold (700) the young generation is collected ~1,400 times in a medium sync, and
    # whatever is still in flight (up to 16 pages) gets promoted until a full collection walks
    # everything Dagster created after the freeze above (~50 ms each, 8 in a medium crawl). With
    # 10,000, objects die before they are looked at: 0.7 s of collections in a run became 0.2 s.
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, *gc.get_threshold()[1:])
    # Arrow's default pool (mimalloc) keeps much of what a write frees and asks for fresh memory
    # for the next block: a large sync's peak was ~35 MB higher with it than with jemalloc, which
    # reuses it (bench/RESULTS.md, round 6). A pyarrow built without jemalloc keeps its default.
    with contextlib.suppress(NotImplementedError):
        pa.set_memory_pool(pa.jemalloc_memory_pool())
