"""The definitions are built once per process and configuration (Dagster asks for them repeatedly)."""

import gc
import os
from unittest import mock

import pyarrow as pa

from qtickets_assets import settings
from qtickets_assets.definitions import YOUNG_GENERATION_THRESHOLD, defs


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


def test_each_variable_read_while_building_changes_the_key():
    for name in settings.DEFINITIONS_ENV:
        with mock.patch.dict(os.environ, {name: "7"}):
            changed = settings.definitions_env()
        with mock.patch.dict(os.environ, {name: "8"}):
            assert settings.definitions_env() != changed


def test_the_long_lived_objects_are_out_of_the_cyclic_gc_after_the_first_build():
    defs()
    assert gc.get_freeze_count() > 0
    # ...and the young generation is collected every 10,000 allocations, not 700 (bench/RESULTS.md)
    assert gc.get_threshold()[0] == YOUNG_GENERATION_THRESHOLD == 10_000


def test_arrow_allocates_from_jemalloc_in_a_process_that_built_the_definitions():
    defs()
    # mimalloc, Arrow's default, made the large sync's peak ~35 MB higher (bench/RESULTS.md)
    assert pa.default_memory_pool().backend_name == "jemalloc"
