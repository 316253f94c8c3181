"""The run's executor: Dagster's in-process executor, with the run's process tuned once it starts.

Steps run one after another in the run's process (see resources.py for why). The tuning below pays
only in a process that crawls and writes, so it lives here, where a run executes, and never in the
webserver, the daemon or a code server, which load the same definitions.
"""

import contextlib
import functools
import gc
import importlib
from typing import Any

import dagster as dg

# What every run's steps use (each write goes through the IO manager into ClickHouse) and the
# definitions do not import (defs/common.py keeps them out of the webserver): imported as the run
# starts, so that it is frozen with the rest below instead of walked by every full collection.
RUN_MODULES = ("pandas", "pyarrow", "clickhouse_connect.driver")

YOUNG_GENERATION_THRESHOLD = 10_000  # allocations between collections of the youngest generation (700)


@functools.cache  # once per process
def tune_run_process() -> None:
    """The run's garbage collector and Arrow's allocator, set as the run starts."""
    # At this point the process holds ~290k objects (Dagster, pandas, Arrow, the driver, the definitions) that
    # live as long as the run. Frozen, the cyclic GC stops walking them in every full collection and
    # again at interpreter exit: a medium full sync saves ~0.7 s at exit and ~1.3 s of collections
    # during its crawl (bench/RESULTS.md, round 5). No collection first: it would find ~550
    # unreachable objects (a few KB, now kept for the run's life) and cost 0.1-0.17 s of every run.
    for name in RUN_MODULES:
        importlib.import_module(name)
    gc.freeze()
    # A crawl allocates thousands of short-lived objects per page (parsed JSON, records). At the
    # default threshold (700) whatever is still in flight gets promoted until a full collection
    # walks it; at 10,000 objects die before they are looked at (0.7 s of collections became 0.2 s).
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, *gc.get_threshold()[1:])
    # Arrow's default pool (mimalloc) keeps much of what a write frees and asks for fresh memory for
    # the next block: a large sync's peak was ~35 MB higher with it than with jemalloc (round 6).
    # A pyarrow built without jemalloc keeps its default.
    import pyarrow as pa

    with contextlib.suppress(NotImplementedError):
        pa.set_memory_pool(pa.jemalloc_memory_pool())


@dg.executor(
    name=dg.in_process_executor.name,
    config_schema=dg.in_process_executor.config_schema.as_field(),
    requirements=dg.in_process_executor.get_requirements,
)
def tuned_in_process_executor(init_context: dg.InitExecutorContext) -> Any:
    tune_run_process()
    create = dg.in_process_executor.executor_creation_fn
    assert create is not None, "Dagster's in-process executor has a creation function"
    return create(init_context)
