"""The definitions are built once per process and configuration (Dagster asks for them repeatedly)."""

import gc
import os
import sys
from unittest import mock

import pyarrow as pa
import pytest

from qtickets_assets import settings
from qtickets_assets.definitions import YOUNG_GENERATION_THRESHOLD, clear_definitions_cache, defs


def test_the_same_configuration_gets_the_same_definitions():
    assert defs() is defs()


def test_another_configuration_gets_definitions_built_for_it():
    before = defs()
    with mock.patch.dict(os.environ, {"CLICKHOUSE_DATABASE": "elsewhere"}):
        after = defs()
    assert after is not before
    assert after.resources["clickhouse"].database == "elsewhere"
    assert after.resources["io_manager"].database == "elsewhere"
    assert defs() is before


def test_the_key_is_exactly_the_variables_our_code_reads_while_building(monkeypatch: pytest.MonkeyPatch):
    # A variable read while building but missing from the key would let a process reuse
    # definitions built for another value of it; one listed but no longer read rebuilds for nothing.
    read: set[str] = set()
    get = os.environ.get

    def recording_get(name: str, default: str | None = None) -> str | None:
        caller = sys._getframe(1)
        if (
            caller.f_globals["__name__"].startswith("qtickets_assets")
            and caller.f_code.co_name != "definitions_env"
        ):
            read.add(name)
        return get(name, default)

    monkeypatch.setattr(os.environ, "get", recording_get)
    clear_definitions_cache()
    defs()
    assert read == set(settings.DEFINITIONS_ENV)


def test_the_long_lived_objects_are_out_of_the_cyclic_gc_after_the_first_build():
    defs()
    assert gc.get_freeze_count() > 0
    # ...and the young generation is collected every 10,000 allocations, not 700 (bench/RESULTS.md)
    assert gc.get_threshold()[0] == YOUNG_GENERATION_THRESHOLD == 10_000


def test_arrow_allocates_from_jemalloc_in_a_process_that_built_the_definitions():
    defs()
    # mimalloc, Arrow's default, made the large sync's peak ~35 MB higher (bench/RESULTS.md)
    assert pa.default_memory_pool().backend_name == "jemalloc"
