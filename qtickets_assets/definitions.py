"""The code location `qtickets_assets`: every definition under `defs/` is loaded automatically."""

import functools
from pathlib import Path

import dagster as dg

from qtickets_assets import settings


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
    return dg.load_from_defs_folder(project_root=Path(__file__).parent.parent)


def clear_definitions_cache() -> None:
    """Forget the built definitions (tests that patch what a build captures)."""
    _build.cache_clear()
