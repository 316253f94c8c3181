"""The definitions are built once per process and configuration (Dagster asks for them repeatedly)."""

import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest

from qtickets_assets import settings
from qtickets_assets.definitions import clear_definitions_cache, defs


def test_the_same_configuration_gets_the_same_definitions():
    assert defs() is defs()


def test_another_configuration_gets_definitions_built_for_it():
    before = defs()
    with mock.patch.dict(os.environ, {"CLICKHOUSE_DATABASE": "elsewhere"}):
        after = defs()
    assert after is not before
    # Bound at launch (defs/resources.py): the value is the default the run's config starts from.
    assert after.resources["clickhouse"].data["database"] == "elsewhere"
    assert after.resources["io_manager"].clickhouse.data["database"] == "elsewhere"
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


def test_the_process_is_tuned_where_a_run_executes_and_nowhere_else():
    """The webserver, daemon and code servers load the same definitions: they keep Python's GC and
    Arrow's allocator as they are. A run's process freezes its long-lived objects out of the
    cyclic GC, collects the young generation every 10,000 allocations and allocates Arrow memory
    from jemalloc (bench/RESULTS.md, rounds 5 and 6)."""
    probe = Path(__file__).with_name("tuning_probe.py")
    done = subprocess.run(
        [sys.executable, str(probe)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    marks = ("DEFAULT", "LOADED", "RUN")
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines() if line.startswith(marks))
    assert lines["LOADED"] == lines["DEFAULT"]
    assert lines["DEFAULT"].startswith("False ") and not lines["DEFAULT"].startswith("False 10000 ")
    assert lines["RUN"] == "True 10000 jemalloc"
