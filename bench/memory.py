"""Where a full sync's memory goes, step by step: `python -m bench.memory --size large`.

Runs the whole graph in this process (as `dg launch` does inside its run process) against a sandbox
process, samples this process's RSS (and its anonymous part: heap, not the mapped libraries) every
20 ms, and prints each step's start RSS and peak.
"""

from __future__ import annotations

import argparse
import itertools
import os
import tempfile
import threading
import time
from unittest import mock

from qtickets_assets.sandbox.process import spawn_sandbox


def rss_now() -> tuple[int, int]:
    with open("/proc/self/status") as f:
        fields = dict(line.split(":", 1) for line in f if ":" in line)
    vm_rss, rss_anon = (int(fields.get(name, "0 kB").split()[0]) // 1024 for name in ("VmRSS", "RssAnon"))
    return vm_rss, rss_anon


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.memory")
    parser.add_argument("--size", default="large")
    args = parser.parse_args()
    samples: list[tuple[float, int, int]] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            samples.append((time.monotonic(), *rss_now()))
            stop.wait(0.02)

    with spawn_sandbox(args.size) as sandbox:
        print(f"before imports: RSS {rss_now()[0]} MB")
        from qtickets_assets.definitions import defs

        import_rss = rss_now()
        print(f"after imports: RSS {import_rss[0]} MB, anon {import_rss[1]} MB")
        env = {
            "QTICKETS_BASE_URL": sandbox.base_url,
            "QTICKETS_TOKEN": sandbox.token,
            "CLICKHOUSE_URL": f"chdb://{tempfile.mkdtemp(prefix='qtickets-mem-')}/ch",
            "CLICKHOUSE_DATABASE": "qtickets",
        }
        threading.Thread(target=sample, daemon=True).start()
        with mock.patch.dict(os.environ, env):
            import dagster as dg

            instance = dg.DagsterInstance.ephemeral()
            job = defs().resolve_implicit_global_asset_job_def()
            config = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
            result = job.execute_in_process(run_config=config, instance=instance, raise_on_error=True)
        stop.set()
        starts = [
            (entry.timestamp, entry.dagster_event.step_key)
            for entry in instance.all_logs(result.run_id)
            if entry.dagster_event is not None and entry.dagster_event.event_type_value == "STEP_START"
        ]
        # Event timestamps are wall clock; samples are monotonic: align on the offset now.
        offset = time.time() - time.monotonic()
        starts.append((time.time() + 1, "end"))
        print(f"{'step':40} {'start RSS':>10} {'start anon':>10} {'peak RSS':>10} {'peak anon':>10}")
        for (begin, step), (end, _) in itertools.pairwise(starts):
            window = [s for s in samples if begin <= s[0] + offset < end] or [(0, 0, 0)]
            first = window[0]
            peaks = f"{max(s[1] for s in window):>10} {max(s[2] for s in window):>10}"
            print(f"{step:40} {first[1]:>10} {first[2]:>10} {peaks}")
        print(f"peak RSS {max(s[1] for s in samples)} MB, peak anon {max(s[2] for s in samples)} MB")


if __name__ == "__main__":
    main()
