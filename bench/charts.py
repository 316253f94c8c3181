"""What the views' charts cost a run: `python -m bench.charts [--size medium] [--repeat 5] [--mart DIR]`.

Loads a mart from the sandbox (a full sync in process into a scratch chDB directory, or into
`--mart DIR`, reused when it already holds one), then measures, `--repeat` times each, in fresh
processes set up as a run's (definitions built, the run's GC tuning done), so that every sample
pays matplotlib's import as a run's first chart does:

- the breakdown, in CPU seconds of the process (chDB's query threads included; steadier than wall
  time on a shared machine), one part after the other, no overlap credited: importing matplotlib,
  the charts' queries, building the figures, drawing them (SVG), base64;
- in the run: the wall time of a run of the view assets with their charts, and without (the
  views without charts), taking turns. Their difference is what the charts add to the
  run, the import's overlap with the steps' queries included.

Prints the medians (min-max) and the total against the issue's 0.5 s budget, with the load average.
Figures only: nothing fails on timing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from unittest import mock

import dagster as dg

from qtickets_assets.definitions import defs
from qtickets_assets.defs.common import VIEWS
from qtickets_assets.defs.views.assets import PREVIEW_ROWS
from qtickets_assets.defs.views.catalog import VIEW_LIST
from qtickets_assets.lib import charts
from qtickets_assets.lib.charts import layout
from qtickets_assets.lib.clickhouse import chart_data, mart
from qtickets_assets.lib.clickhouse.connection import open_client
from qtickets_assets.sandbox.testing import run_sandbox

DATABASE = "qtickets"
BUDGET_S = 0.5
PARTS = {
    "import_s": "import matplotlib",
    "queries_s": "queries",
    "build_s": "building the figures",
    "svg_s": "drawing + SVG",
    "base64_s": "base64",
}


def load_mart(size: str, directory: Path) -> str:
    """A full sync of the `size` sandbox into `directory` (kept if it already holds a mart)."""
    url = f"chdb://{directory / 'ch'}"
    if (directory / "ch").exists():
        return url
    (directory / "dagster").mkdir(parents=True, exist_ok=True)
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


def as_in_a_run() -> None:
    """This process set up as a run's is when its view steps draw."""
    from qtickets_assets.defs.executor import tune_run_process

    defs()
    tune_run_process()


# -- in a fresh process: the breakdown ---------------------------------------------------------------


def breakdown(url: str) -> dict[str, float]:
    """CPU seconds of each part of drawing every view's charts, one part after the other."""
    as_in_a_run()
    parts = dict.fromkeys(PARTS, 0.0)
    started = time.process_time()
    charts.load_matplotlib().result()
    parts["import_s"] = time.process_time() - started
    render = layout.svg

    def timed_svg(figure: Any) -> bytes:
        started = time.process_time()
        try:
            return render(figure)
        finally:
            parts["svg_s"] += time.process_time() - started

    views = {view.name: view for view in VIEW_LIST}
    with mock.patch.object(layout, "svg", timed_svg), open_client(url, DATABASE) as client:
        for name, made in charts.VIEW_CHARTS.items():
            view = views[name]  # the step's own queries first, untimed, as in a run (chDB warms up)
            mart.view_rows(client, DATABASE, name, view.order_by, PREVIEW_ROWS, view.computed)
            mart.row_count(client, DATABASE, name)
            started = time.process_time()
            period = charts.Period.ending(chart_data.local_today(client, DATABASE))
            figures = made.read(client, DATABASE, period)
            parts["queries_s"] += time.process_time() - started
            started, drawing_before = time.process_time(), parts["svg_s"]
            drawn = charts.draw(made, figures, period)
            parts["build_s"] += time.process_time() - started - (parts["svg_s"] - drawing_before)
            started = time.process_time()
            "\n\n".join(chart.markdown() for chart in drawn)
            parts["base64_s"] += time.process_time() - started
    return parts


# -- in a fresh process: a run of the view assets -------------------------------------------------------


def views_run(url: str, directory: Path, with_charts: bool) -> dict[str, float]:
    """Wall and CPU seconds of a run of every view asset, in process, with or without charts."""
    environment = {"CLICKHOUSE_URL": url, "CLICKHOUSE_DATABASE": DATABASE, "DAGSTER_HOME": str(directory)}
    with mock.patch.dict(os.environ, environment):  # before the definitions: their resources read it
        as_in_a_run()
        job = dg.define_asset_job("views", selection=dg.AssetSelection.groups(VIEWS))
        definitions = dg.Definitions.merge(defs(), dg.Definitions(jobs=[job]))
        if not with_charts:
            mock.patch.object(charts, "VIEW_CHARTS", {}).start()  # every view without charts
        wall, cpu = time.perf_counter(), time.process_time()
        assert definitions.resolve_job_def("views").execute_in_process().success, "the views' run failed"
        return {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}


def in_fresh_process(*args: str) -> dict[str, float]:
    command = [sys.executable, "-m", "bench.charts", *args]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


# -- here: the samples, the figures ------------------------------------------------------------------


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} ({min(values):.3f}-{max(values):.3f})"


def measure(url: str, directory: Path, repeat: int) -> dict[str, Any]:
    breakdowns: list[dict[str, float]] = []
    runs: dict[bool, list[dict[str, float]]] = {True: [], False: []}
    loads: list[float] = []
    for sample in range(repeat):
        breakdowns.append(in_fresh_process("--breakdown", url))
        for with_charts in (True, False) if sample % 2 else (False, True):  # taking turns
            runs[with_charts].append(
                in_fresh_process("--views-run", url, str(directory), "on" if with_charts else "off")
            )
        loads.append(os.getloadavg()[0])
    return {"breakdowns": breakdowns, "runs": runs, "loads": loads}


def report(size: str, repeat: int, measured: dict[str, Any]) -> str:
    breakdowns, runs, loads = measured["breakdowns"], measured["runs"], measured["loads"]
    totals = [sum(sample.values()) for sample in breakdowns]
    added = [on["wall_s"] - off["wall_s"] for on, off in zip(runs[True], runs[False], strict=True)]
    lines = [
        f"{size} mart, {repeat} samples, each in a fresh process; load average (1 min, 2 cores) "
        f"{min(loads):.1f}-{max(loads):.1f}; median (min-max), seconds",
        "breakdown (CPU, one part after the other, no overlap credited):",
        *(f"  {words}: {spread([s[part] for s in breakdowns])}" for part, words in PARTS.items()),
        f"  all charts of a run: {spread(totals)} against a budget of {BUDGET_S} s"
        f" ({statistics.median(totals) / BUDGET_S:.0%} of it)",
        "in the run (the view assets' run, wall):",
        f"  with charts {spread([r['wall_s'] for r in runs[True]])}, "
        f"without {spread([r['wall_s'] for r in runs[False]])}; "
        f"the charts add {spread(added)} (paired by sample)",
        f"  CPU: with charts {spread([r['cpu_s'] for r in runs[True]])}, "
        f"without {spread([r['cpu_s'] for r in runs[False]])}",
    ]
    return "\n".join(lines)


def main() -> None:
    if sys.argv[1:2] == ["--breakdown"]:
        print(json.dumps(breakdown(sys.argv[2])))
        return
    if sys.argv[1:2] == ["--views-run"]:
        url, home, switch = sys.argv[2:5]
        print(json.dumps(views_run(url, Path(home), switch == "on")))
        return
    parser = argparse.ArgumentParser(prog="python -m bench.charts")
    parser.add_argument("--size", default="medium")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--mart", type=Path, help="load the mart here, or reuse the one already here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        directory = (args.mart or Path(scratch)).resolve()
        url = load_mart(args.size, directory)
        print(report(args.size, args.repeat, measure(url, directory / "dagster", args.repeat)))


if __name__ == "__main__":
    main()
