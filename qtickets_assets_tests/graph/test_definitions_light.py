"""Loading the definitions imports no run-time library: the webserver, the daemon, a code server
and every sensor tick load them, and none of them runs an asset (defs/common.py)."""

import subprocess
import sys

# pandas alone took ~0.35 s of every load; chDB (through clickhouse-connect) and matplotlib more.
RUN_TIME_ONLY = ("pandas", "matplotlib", "chdb", "clickhouse_connect")

LOAD_AND_LIST = f"""
import sys
from qtickets_assets.definitions import defs
defs().get_repository_def().get_all_jobs()  # every asset, check, job, sensor and schedule resolved
print(" ".join(sorted(name for name in {RUN_TIME_ONLY!r} if name in sys.modules)))
"""


def test_loading_the_definitions_imports_no_run_time_library():
    done = subprocess.run(
        [sys.executable, "-c", LOAD_AND_LIST], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == []


def test_a_run_still_has_them_frozen_with_the_rest():
    """The run's executor imports what every run's steps use before it freezes the GC, so they are
    not walked by every full collection (defs/executor.py)."""
    probe = (
        "import sys\n"
        "from qtickets_assets.defs.executor import RUN_MODULES, tune_run_process\n"
        "tune_run_process()\n"
        "print(' '.join(name for name in RUN_MODULES if name not in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == []
