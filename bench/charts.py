"""What the views' charts cost a run: `python -m bench.charts [--size medium] [--repeat 5]`.

Loads a mart from the sandbox (a full sync in process, into a scratch chDB directory), then times,
in CPU seconds of this process (chDB's query threads included; steadier than wall time on a shared
machine): importing matplotlib once, and drawing every view's charts as the view assets do
(queries, drawing, PNG encoding), `--repeat` times. Figures only, nothing fails on timing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from unittest import mock

from qtickets_assets.definitions import defs
from qtickets_assets.lib import charts
from qtickets_assets.lib.clickhouse.connection import open_client
from qtickets_assets.sandbox.testing import run_sandbox

DATABASE = "qtickets"


def load_mart(size: str, directory: Path) -> str:
    """A full sync of the `size` sandbox into `directory`: every asset, in process."""
    url = f"chdb://{directory / 'ch'}"
    (directory / "dagster").mkdir()
    with run_sandbox(size=size, seed=1) as sandbox:
        environment = {
            "QTICKETS_BASE_URL": sandbox.base_url,
            "QTICKETS_TOKEN": sandbox.token,
            "CLICKHOUSE_URL": url,
            "CLICKHOUSE_DATABASE": DATABASE,
            "DAGSTER_HOME": str(directory / "dagster"),
        }
        with mock.patch.dict(os.environ, environment):
            job = defs().resolve_implicit_global_asset_job_def()
            assert job.execute_in_process().success, "the full sync failed"
    return url


def import_cost() -> float:
    """CPU seconds to import matplotlib's Figure in a fresh process that has loaded the definitions
    (what a run's first chart pays; the full sync above already imported it in this process)."""
    code = (
        "import time, qtickets_assets.definitions; started = time.process_time(); "
        "import matplotlib.figure; print(time.process_time() - started)"
    )
    return float(
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    )


def time_charts(url: str, repeat: int) -> dict[str, Any]:
    drawing = 0.0
    png = charts._png

    def timed_png(figure: Any) -> bytes:
        nonlocal drawing
        started = time.process_time()
        try:
            return png(figure)
        finally:
            drawing += time.process_time() - started

    totals, drawn = [], []
    with mock.patch.object(charts, "_png", timed_png), open_client(url, DATABASE) as client:
        for _ in range(repeat):
            drawing, started = 0.0, time.process_time()
            for view in charts.VIEW_CHARTS:
                charts.metadata(client, DATABASE, view)
            totals.append(time.process_time() - started)
            drawn.append(drawing)
    return {
        "import_s": import_cost(),
        "all_views_s": statistics.median(totals),
        "savefig_s": statistics.median(drawn),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.charts")
    parser.add_argument("--size", default="medium")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = load_mart(args.size, Path(scratch))
        figures = time_charts(url, args.repeat)
    print(
        f"{args.size} mart, load average {os.getloadavg()[0]:.1f}: "
        f"import matplotlib {figures['import_s']:.2f} s; "
        f"the five views' charts {figures['all_views_s']:.2f} s (median of {args.repeat}), of which "
        f"drawing and PNG encoding {figures['savefig_s']:.2f} s (CPU seconds)"
    )


if __name__ == "__main__":
    main()
