"""Where a run's wall time goes: `python -m bench.timeline [--job sales_job] [--repeat 5]`.

Runs `dg launch` (every asset, or `--job`) against the small sandbox at 0 ms latency (its own
process, as in `bench.run`'s "fixed" group), then splits each run's wall time by its own event log:

- start-up: from the process's start to the run's first event (the `dg` CLI's imports, resolving
  the project, loading the definitions, opening the instance): Dagster's, but for the definitions;
- run start: from the first event to the first step's start (the run's "planned" events, one per
  asset and per check, and the executor's start);
- steps: from the first step's start to the last step's end (crawls, writes, checks, views, with
  the events they write);
- exit: from the last event to the process's end.

The events of each part are counted: each is a write to the event log the run waits for (see
bench/RESULTS.md, "Where the time goes now", for what one costs). Figures only: medians (min-max) of
`--repeat` runs, each with the machine's load average before it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench.run import ALL, ROOT, Mart, Setting, dg_executable, load_average, served

PARTS = ("start-up", "run start", "steps", "exit")


def timestamps(dagster_home: Path) -> tuple[list[float], list[float], list[float]]:
    """(every event's time, the steps' starts, the steps' ends) of the newest run, in epoch seconds."""
    import dagster as dg  # here: only the bench's process pays for it

    ended = {dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE}
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        (run,) = instance.get_runs(limit=1)
        entries = instance.all_logs(run.run_id)
    times = sorted(entry.timestamp for entry in entries)
    starts = [e.timestamp for e in entries if e.dagster_event_type == dg.DagsterEventType.STEP_START]
    ends = [e.timestamp for e in entries if e.dagster_event_type in ended]
    return times, starts, ends


def one_run(mart: Mart, base_url: str, token: str, selection: list[str]) -> dict[str, float]:
    """The parts of one `dg launch`, in seconds, and the events written in each."""
    env = dict(
        os.environ,
        QTICKETS_BASE_URL=base_url,
        QTICKETS_TOKEN=token,
        CLICKHOUSE_URL=mart.clickhouse_url,
        CLICKHOUSE_DATABASE="qtickets",
        DAGSTER_HOME=str(mart.dagster_home),
    )
    load = load_average()
    began = time.time()
    command = [dg_executable(), "launch", *selection]
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    finished = time.time()
    times, starts, ends = timestamps(mart.dagster_home)
    bounds = [began, times[0], min(starts), max(ends), times[-1], finished]
    parts = {part: bounds[i + 1] - bounds[i] for i, part in enumerate(PARTS[:3])}
    parts["exit"] = finished - times[-1]
    counted = {
        "run start": sum(bounds[1] <= t < bounds[2] for t in times),
        "steps": sum(bounds[2] <= t <= bounds[3] for t in times),
    }
    return {"wall": finished - began, "load": load, "events": len(times), **parts} | {
        f"{part} events": float(count) for part, count in counted.items()
    }


def figure(runs: list[dict[str, float]], name: str, unit: str = " s") -> str:
    """`name`'s median over `runs` (min-max)."""
    values = [run[name] for run in runs]
    return f"{statistics.median(values):.2f}{unit} ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.timeline")
    parser.add_argument("--job", help="a job's name (default: every asset, a full sync)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    selection = ["--job", args.job] if args.job else ALL
    with tempfile.TemporaryDirectory() as scratch:
        setting = Setting(Path(scratch), 0, "constant", 8, 1, 0)
        with served(setting, "small", 0) as sandbox:
            runs = []
            for repeat in range(args.repeat):
                mart = Mart(Path(scratch), f"run-{repeat}")
                if args.job:  # a job on a mart that a full sync loaded first, as in production
                    one_run(mart, sandbox.base_url, sandbox.token, ALL)
                runs.append(one_run(mart, sandbox.base_url, sandbox.token, selection))
                wall, load = runs[-1]["wall"], runs[-1]["load"]
                print(f"  run {repeat + 1}: {wall:.2f} s (load average {load:.2f} before)", flush=True)
    what = f"--job {args.job}" if args.job else "every asset (a full sync)"
    print(f"dg launch {what}, small sandbox at 0 ms, {args.repeat} runs, medians (min-max):")
    print(f"  load average before: {figure(runs, 'load', '')}")
    print(f"  wall: {figure(runs, 'wall')}, events: {figure(runs, 'events', '')}")
    for part in PARTS:
        events = f", events {figure(runs, f'{part} events', '')}" if f"{part} events" in runs[0] else ""
        print(f"  {part}: {figure(runs, part)}{events}")


if __name__ == "__main__":
    main()
