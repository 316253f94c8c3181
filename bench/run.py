"""End-to-end benchmarks through the real Dagster run: `python -m bench.run [--only NAME ...]`.

Each scenario serves the sandbox from this process (so it can be advanced and its stats read
between runs), starts `dg launch` as a subprocess with a fresh chDB directory and DAGSTER_HOME,
samples the RSS of the run's process tree from /proc, and reports:

    wall time, requests (sandbox stats), concurrency floor ceil(requests / C) × latency,
    sequential time requests × latency, sequential ÷ wall, peak memory, crawl time
    (first request in to last answer out, from timestamps taken around the sandbox's stats).

Scenarios (groups share a sandbox and a mart, in this order):
    fixed        full sync of the small sandbox, no latency: the fixed cost of a run
    medium       full sync of the medium sandbox; then `incremental`: sales_job with nothing
                 changed, and with 1% of orders changed (sandbox advance)
    large        full sync of the large sandbox; then `inventory`: a seat snapshot of every live show
    dashboard    v_sales_dashboard over 1,000,000 generated tickets (see bench/dashboard.py)

Figures only: nothing here fails on timing. Results are printed as Markdown tables and written to
bench/last_run.md (bench/RESULTS.md keeps the curated figures and the machine description).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from qtickets_assets.sandbox.testing import SandboxHandle, run_sandbox

ROOT = Path(__file__).resolve().parents[1]
INFO_LOGS = '{"loggers": {"console": {"config": {"log_level": "INFO"}}}}'
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
GROUPS = ("fixed", "medium", "large", "dashboard")


# -- measuring ---------------------------------------------------------------------------------


class CrawlClock:
    """First request in and last answer out, overall and per route kind, around the sandbox's Stats.

    The sandbox counts requests but keeps no times; wrapping its Stats instance (in this process,
    without touching the sandbox's code) adds them. The handler calls enter and leave on one thread.
    """

    def __init__(self, handle: SandboxHandle) -> None:
        stats = handle._server.sandbox.stats
        self._lock = threading.Lock()
        self._local = threading.local()
        self.reset()
        enter, leave = stats.enter, stats.leave

        def timed_enter(method: str, kind: str) -> None:
            now = time.monotonic()
            self._local.kind, self._local.entered = kind, now
            with self._lock:
                self.first.setdefault(kind, now)
                self.first.setdefault("*", now)
            enter(method, kind)

        def timed_leave(status: int | None, sent: int, fault: str | None) -> None:
            leave(status, sent, fault)
            now = time.monotonic()
            kind = getattr(self._local, "kind", "?")
            with self._lock:
                self.last[kind] = now
                self.last["*"] = now
                self.answer_s[kind] = self.answer_s.get(kind, 0.0) + now - self._local.entered

        stats.enter, stats.leave = timed_enter, timed_leave

    def reset(self) -> None:
        self.first: dict[str, float] = {}
        self.last: dict[str, float] = {}
        self.answer_s: dict[str, float] = {}  # per route kind: the sum of each request's time in the sandbox

    def spans(self) -> dict[str, float]:
        return {kind: self.last[kind] - self.first[kind] for kind in self.first if kind in self.last}


class TreeMemory:
    """Peak RSS of a process and its descendants, sampled from /proc every `interval` seconds.

    Besides RSS it keeps the anonymous part (RssAnon: heap, Arrow buffers, the engine's own
    allocations). The rest of RSS is file-backed: mapped code, above all chDB's 555 MB engine
    library, ~270 MB of which is resident once imported whatever the data.
    """

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid, self.interval = pid, interval
        self.peak_tree = 0  # bytes: the largest sum over the tree at one instant
        self.peak_process = 0  # bytes: the largest single process (VmHWM where readable)
        self.peak_tree_anon = 0  # bytes: the largest sum of RssAnon over the tree at one instant
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            tree = _descendants(self.pid)
            total = anon_total = 0
            for pid in tree:
                rss, hwm, anon = _rss(pid)
                total += rss
                anon_total += anon
                self.peak_process = max(self.peak_process, hwm, rss)
            self.peak_tree = max(self.peak_tree, total)
            self.peak_tree_anon = max(self.peak_tree_anon, anon_total)
            self._stop.wait(self.interval)


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rfind(b")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _rss(pid: int) -> tuple[int, int, int]:
    """(current RSS, high-water mark, anonymous RSS) in bytes; zeros when the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
    except OSError:
        return 0, 0, 0

    def kib(name: str) -> int:
        return int(fields.get(name, "0 kB").split()[0]) * 1024

    return kib("VmRSS"), kib("VmHWM"), kib("RssAnon")


# -- running ------------------------------------------------------------------------------------


@dataclass
class Row:
    scenario: str
    wall_s: float
    requests: int
    latency_ms: int
    concurrency: int
    peak_tree_mb: float
    peak_process_mb: float
    peak_anon_mb: float = 0.0
    crawl_s: float | None = None
    peak_in_flight: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    crawl_by_kind: dict[str, float] = field(default_factory=dict)
    # Mean time a request spent in the sandbox (the injected latency plus its own work), per route.
    answer_ms_by_kind: dict[str, float] = field(default_factory=dict)
    note: str = ""

    @property
    def floor_s(self) -> float:
        return math.ceil(self.requests / self.concurrency) * self.latency_ms / 1000

    @property
    def sequential_s(self) -> float:
        return self.requests * self.latency_ms / 1000


class Mart:
    """A fresh chDB directory and DAGSTER_HOME for one scenario group."""

    def __init__(self, scratch: Path, name: str) -> None:
        self.dir = scratch / name
        self.dir.mkdir(parents=True)
        self.dagster_home = self.dir / "dagster"
        self.dagster_home.mkdir()
        shutil.copyfile(ROOT / "dagster.yaml", self.dagster_home / "dagster.yaml")
        self.clickhouse_url = f"chdb://{self.dir / 'clickhouse'}"


def dg_executable() -> str:
    beside = Path(sys.executable).parent / "dg"
    return str(beside) if beside.exists() else (shutil.which("dg") or "dg")


def launch(
    mart: Mart,
    sandbox: SandboxHandle,
    clock: CrawlClock,
    scenario: str,
    selection: list[str],
    latency_ms: int,
    concurrency: int,
    note: str = "",
) -> Row:
    env = dict(os.environ)
    env.update(
        QTICKETS_BASE_URL=sandbox.base_url,
        QTICKETS_TOKEN=sandbox.token,
        QTICKETS_MAX_CONCURRENCY=str(concurrency),
        CLICKHOUSE_URL=mart.clickhouse_url,
        CLICKHOUSE_DATABASE="qtickets",
        DAGSTER_HOME=str(mart.dagster_home),
        VIRTUAL_ENV=sys.prefix,
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
    )
    sandbox.reset_stats()
    clock.reset()
    log_path = mart.dir / f"{scenario}.log"
    command = [dg_executable(), "launch", *selection, "--config-json", INFO_LOGS]
    with open(log_path, "w") as log:
        started = time.monotonic()
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        with TreeMemory(proc.pid) as memory:
            code = proc.wait()
        wall = time.monotonic() - started
    if code != 0:
        tail = log_path.read_text(errors="replace").splitlines()[-30:]
        raise SystemExit(
            f"{scenario}: dg launch exited {code}; last lines of {log_path}:\n" + "\n".join(tail)
        )
    stats = sandbox.stats()
    spans = clock.spans()
    return Row(
        scenario=scenario,
        wall_s=wall,
        requests=int(stats["total_requests"]),
        latency_ms=latency_ms,
        concurrency=concurrency,
        peak_tree_mb=memory.peak_tree / 2**20,
        peak_process_mb=memory.peak_process / 2**20,
        peak_anon_mb=memory.peak_tree_anon / 2**20,
        crawl_s=spans.get("*"),
        peak_in_flight=int(stats["peak_in_flight"]),
        by_kind={k.removeprefix("GET "): v for k, v in stats["requests"].items()},
        crawl_by_kind={k: v for k, v in spans.items() if k != "*"},
        answer_ms_by_kind={
            kind: 1000 * total / stats["requests"][f"GET {kind}"]
            for kind, total in clock.answer_s.items()
            if stats["requests"].get(f"GET {kind}")
        },
        note=note,
    )


@contextmanager
def served(size: str, seed: int, latency_ms: int) -> Iterator[tuple[SandboxHandle, CrawlClock]]:
    started = time.monotonic()
    with run_sandbox(size=size, seed=seed, latency_ms=latency_ms) as sandbox:
        expected = sandbox.expected_requests()
        print(f"  sandbox {size} ready in {time.monotonic() - started:.1f} s: {expected}", flush=True)
        yield sandbox, CrawlClock(sandbox)


ALL = ["--assets", "*"]


def group_fixed(scratch: Path, args: argparse.Namespace) -> list[Row]:
    mart = Mart(scratch, "fixed")
    with served("small", args.seed, 0) as (sandbox, clock):
        return [launch(mart, sandbox, clock, "full sync, small, 0 ms", ALL, 0, args.concurrency)]


def group_medium(scratch: Path, args: argparse.Namespace) -> list[Row]:
    mart = Mart(scratch, "medium")
    rows = []
    with served("medium", args.seed, args.latency_ms) as (sandbox, clock):
        rows.append(launch(mart, sandbox, clock, "full sync, medium", ALL, args.latency_ms, args.concurrency))
        print_row(rows[-1])
        sales = ["--job", "sales_job"]
        rows.append(
            launch(
                mart, sandbox, clock, "incremental, nothing changed", sales, args.latency_ms, args.concurrency
            )
        )
        print_row(rows[-1])
        orders = len(sandbox.world.orders)
        share = max(3, orders // 100)  # 1% of orders: new, refunded and cancelled in equal parts
        changed = sandbox.advance(
            new_orders=share // 3, refunds=share // 3, cancellations=share - 2 * (share // 3)
        )
        note = (
            f"{len(changed['new_order_ids'])} new, {len(changed['refunded_basket_ids'])} baskets refunded, "
            f"{len(changed['cancelled_order_ids'])} orders cancelled of {orders}"
        )
        rows.append(
            launch(
                mart,
                sandbox,
                clock,
                "incremental, 1% changed",
                sales,
                args.latency_ms,
                args.concurrency,
                note,
            )
        )
    return rows


def group_large(scratch: Path, args: argparse.Namespace) -> list[Row]:
    mart = Mart(scratch, "large")
    rows = []
    with served("large", args.seed, args.latency_ms) as (sandbox, clock):
        rows.append(launch(mart, sandbox, clock, "full sync, large", ALL, args.latency_ms, args.concurrency))
        print_row(rows[-1])
        live = sandbox.expected_requests()["seat_maps"]
        rows.append(
            launch(
                mart,
                sandbox,
                clock,
                "inventory snapshot",
                ["--assets", "inventory_raw"],
                args.latency_ms,
                args.concurrency,
                f"{live} live shows",
            )
        )
    return rows


def group_dashboard(scratch: Path, args: argparse.Namespace) -> list[Row]:
    # A subprocess: chDB opens one directory per process, and its memory should not count here.
    target = scratch / "dashboard"
    command = [
        sys.executable,
        "-m",
        "bench.dashboard",
        "--dir",
        str(target),
        "--rows",
        str(args.dashboard_rows),
    ]
    done = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True)
    print(done.stdout, end="", flush=True)
    args.extra.append("Dashboard view (`python -m bench.dashboard`):\n\n" + done.stdout)
    return []


GROUP_RUNNERS = {
    "fixed": group_fixed,
    "medium": group_medium,
    "large": group_large,
    "dashboard": group_dashboard,
}


# -- reporting ----------------------------------------------------------------------------------


HEADER = (
    "| scenario | wall s | requests | floor s | sequential s | seq ÷ wall | crawl s | seq ÷ crawl "
    "| peak in flight | peak RSS tree MB | peak RSS process MB | peak anon tree MB |\n"
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
)


def _ratio(a: float, b: float | None) -> str:
    return f"{a / b:.1f}×" if b and a else "—"


def table_line(row: Row) -> str:
    crawl = f"{row.crawl_s:.2f}" if row.crawl_s is not None else "—"
    return (
        f"| {row.scenario} | {row.wall_s:.1f} | {row.requests} | {row.floor_s:.2f} | {row.sequential_s:.1f} "
        f"| {_ratio(row.sequential_s, row.wall_s)} | {crawl} | {_ratio(row.sequential_s, row.crawl_s)} "
        f"| {row.peak_in_flight} | {row.peak_tree_mb:.0f} | {row.peak_process_mb:.0f} "
        f"| {row.peak_anon_mb:.0f} |"
    )


def detail_line(row: Row) -> str:
    kinds = ", ".join(
        f"{kind} {count} req / {row.crawl_by_kind.get(kind, 0):.2f} s"
        + (f" (answered in {row.answer_ms_by_kind[kind]:.1f} ms)" if kind in row.answer_ms_by_kind else "")
        for kind, count in sorted(row.by_kind.items())
    )
    return f"- {row.scenario}: {kinds}" + (f"; {row.note}" if row.note else "")


def print_row(row: Row) -> None:
    print(table_line(row), flush=True)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = os.sysconf("SC_PHYS_PAGES") * PAGE_SIZE / 2**30
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem_gib:.0f} GiB RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", nargs="+", choices=GROUPS, default=list(GROUPS), help="scenario groups to run"
    )
    parser.add_argument("--latency-ms", type=int, default=40, help="injected latency per API request")
    parser.add_argument("--concurrency", type=int, default=8, help="QTICKETS_MAX_CONCURRENCY for the runs")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dashboard-rows", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (logs, marts)")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "last_run.md")
    args = parser.parse_args(argv)
    args.extra = []

    print(f"machine: {machine()}", flush=True)
    print(f"latency {args.latency_ms} ms per request, concurrency {args.concurrency}", flush=True)
    scratch = Path(tempfile.mkdtemp(prefix="qtickets-bench-"))
    rows: list[Row] = []
    try:
        for group in GROUPS:
            if group in args.only:
                print(f"== {group}", flush=True)
                rows += GROUP_RUNNERS[group](scratch, args)
    finally:
        if args.keep:
            print(f"scratch kept at {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    if not rows and not args.extra:
        return
    report = "\n".join(
        [
            f"Machine: {machine()}. Latency {args.latency_ms} ms (0 for the small run), "
            f"concurrency {args.concurrency}.",
            "",
            HEADER,
            *(table_line(row) for row in rows),
            "",
            *(detail_line(row) for row in rows),
            "",
            *args.extra,
        ]
    )
    print("\n" + report)
    args.output.write_text(report)
    (args.output.with_suffix(".json")).write_text(
        json.dumps(
            [{**row.__dict__, "floor_s": row.floor_s, "sequential_s": row.sequential_s} for row in rows],
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
