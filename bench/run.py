"""End-to-end benchmarks through the real Dagster run: `python -m bench.run [--only NAME ...] [--repeat N]`.

Each scenario group starts the sandbox as a process of its own (`python -m qtickets_assets.sandbox
serve`, log-normal latency around `--latency-ms`, see qtickets_assets/sandbox/latency.py) and drives
it over its control routes (stats, reset, advance, truth), so its CPU is not the client's. Each run
is `dg launch` as a subprocess with a fresh chDB directory and DAGSTER_HOME; the bench reads the
machine's 1-minute load average just before it, samples the RSS of the run's process tree from
/proc during it, and reads the sandbox's stats and the run's event log (entries and steps, from its
DAGSTER_HOME) after it (see bench/figures.py for what each figure means).

Scenarios (groups share a sandbox and a mart, in this order):
    fixed        full sync of the small sandbox, no latency: the fixed cost of a run
    medium       full sync of the medium sandbox; then sales_job with nothing changed, and with 1%
                 of orders changed (sandbox advance)
    large        full sync of the large sandbox, then every table and view of its mart compared with
                 the sandbox's truth (`bench/exact.py`, outside the run's figures); then a seat
                 snapshot of every live show (`inventory_raw`)
    dashboard    v_sales_dashboard over 1,000,000 generated tickets (see bench/dashboard.py), once
    decode       the client's CPU per orders page, validated vs native, and the fact_sales write's
                 calendar per page vs per block, on the medium world without HTTP (bench/decode.py)

Every group runs `--repeat` times (a fresh sandbox, mart and latency seed each time; repeats take
turns group by group), and each figure is reported as the median of the runs with their min–max.
Figures only: nothing here fails on timing. Results are printed as Markdown tables and written to
bench/last_run.md and bench/last_run.json (bench/RESULTS.md keeps the curated figures).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.figures import HEADER, Run, Summary, detail_line, exact_lines, table_line, targets
from qtickets_assets.sandbox.process import RemoteSandbox, spawn_sandbox

ROOT = Path(__file__).resolve().parents[1]
INFO_LOGS = '{"loggers": {"console": {"config": {"log_level": "INFO"}}}}'
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
GROUPS = ("fixed", "medium", "large", "dashboard", "decode")
ALL = ["--assets", "*"]


# -- measuring ---------------------------------------------------------------------------------


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


def load_average() -> float:
    """The machine's 1-minute load average: how busy the 2 cores already were when a run started."""
    return float(Path("/proc/loadavg").read_text().split()[0])


def run_log(dagster_home: Path) -> tuple[int, int]:
    """(entries in the event log, steps started) of the newest run in `dagster_home`: each entry is a
    write the run waited for, each step a process-free but not cost-free unit of Dagster's work."""
    import dagster as dg  # here, not at the top: only the bench's own process pays for it

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        runs = instance.get_runs(limit=1)
        if not runs:
            raise SystemExit(f"no run recorded in {dagster_home}")
        entries = instance.all_logs(runs[0].run_id)
    kinds = Counter(entry.dagster_event_type for entry in entries if entry.is_dagster_event)
    return len(entries), kinds[dg.DagsterEventType.STEP_START]


# -- running ------------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class Setting:
    """What every run of one bench shares."""

    scratch: Path
    latency_ms: int
    latency_model: str
    concurrency: int
    seed: int
    repeat: int  # which repeat this is: its sandboxes' latency seed


def launch(mart: Mart, sandbox: RemoteSandbox, setting: Setting, scenario: str, selection: list[str]) -> Run:
    env = dict(os.environ)
    env.update(
        QTICKETS_BASE_URL=sandbox.base_url,
        QTICKETS_TOKEN=sandbox.token,
        QTICKETS_MAX_CONCURRENCY=str(setting.concurrency),
        CLICKHOUSE_URL=mart.clickhouse_url,
        CLICKHOUSE_DATABASE="qtickets",
        DAGSTER_HOME=str(mart.dagster_home),
        VIRTUAL_ENV=sys.prefix,
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
    )
    sandbox.reset_stats()
    sandbox_cpu = sandbox.cpu_seconds()
    load = load_average()
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
    events, steps = run_log(mart.dagster_home)
    run = Run(
        scenario=scenario,
        wall_s=wall,
        load_avg=load,
        events=events,
        steps=steps,
        concurrency=setting.concurrency,
        stats=sandbox.stats(),
        sandbox_cpu_s=sandbox.cpu_seconds() - sandbox_cpu,
        peak_tree_mb=memory.peak_tree / 2**20,
        peak_process_mb=memory.peak_process / 2**20,
        peak_anon_mb=memory.peak_tree_anon / 2**20,
    )
    print(
        f"  {scenario}: wall {wall:.1f} s (load average {load:.2f} before), "
        f"{run.stats['total_requests']} requests, {events} events, {steps} steps",
        flush=True,
    )
    return run


@contextmanager
def served(setting: Setting, size: str, latency_ms: int) -> Iterator[RemoteSandbox]:
    started = time.monotonic()
    flags = ["--latency-model", setting.latency_model, "--latency-seed", str(setting.repeat)]
    with spawn_sandbox(size, setting.seed, latency_ms, flags) as sandbox:
        expected = sandbox.expected_requests()
        print(f"  sandbox {size} ready in {time.monotonic() - started:.1f} s: {expected}", flush=True)
        yield sandbox


def group_fixed(setting: Setting) -> list[Run]:
    mart = Mart(setting.scratch, f"fixed-{setting.repeat}")
    with served(setting, "small", 0) as sandbox:
        return [launch(mart, sandbox, setting, "full sync, small, 0 ms", ALL)]


def change_one_percent(sandbox: RemoteSandbox) -> str:
    """1% of orders: new, refunded and cancelled in equal parts."""
    orders = sandbox.world()["orders"]
    share = max(3, orders // 100)
    changed = sandbox.advance(
        new_orders=share // 3, refunds=share // 3, cancellations=share - 2 * (share // 3)
    )
    return (
        f"{len(changed['new_order_ids'])} new, {len(changed['refunded_basket_ids'])} baskets refunded, "
        f"{len(changed['cancelled_order_ids'])} orders cancelled of {orders}"
    )


def group_medium(setting: Setting) -> list[Run]:
    mart = Mart(setting.scratch, f"medium-{setting.repeat}")
    sales = ["--job", "sales_job"]
    with served(setting, "medium", setting.latency_ms) as sandbox:
        full = launch(mart, sandbox, setting, "full sync, medium", ALL)
        unchanged = launch(mart, sandbox, setting, "sales job, nothing changed", sales)
        note = change_one_percent(sandbox)
        changed = launch(mart, sandbox, setting, "sales job, 1% changed", sales)
        changed.note = note
    return [full, unchanged, changed]


def group_large(setting: Setting) -> list[Run]:
    mart = Mart(setting.scratch, f"large-{setting.repeat}")
    with served(setting, "large", setting.latency_ms) as sandbox:
        full = launch(mart, sandbox, setting, "full sync, large", ALL)
        full.exact = exact(mart, sandbox)
        inventory = launch(mart, sandbox, setting, "inventory snapshot", ["--assets", "inventory_raw"])
        inventory.note = f"{sandbox.expected_requests()['seat_maps']} live shows"
    return [full, inventory]


def exact(mart: Mart, sandbox: RemoteSandbox) -> dict[str, str]:
    """{table: "" when exact, else what differs} for every table and view the truth has.

    A subprocess (`bench/exact.py`), after the run and outside its figures: chDB opens one directory
    per process, and the inventory snapshot's `dg launch` needs this one next."""
    started = time.monotonic()
    command = [sys.executable, "-m", "bench.exact", "--clickhouse-url", mart.clickhouse_url]
    done = subprocess.run(
        [*command, "--sandbox-url", sandbox.base_url], cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0:
        tail = "\n".join(done.stderr.splitlines()[-30:])
        raise SystemExit(f"the comparison with the truth exited {done.returncode}:\n{tail}")
    tables = [json.loads(line) for line in done.stdout.splitlines()]
    found = {t["table"]: "" if t["count"] == 0 else t["message"] for t in tables}
    wrong = sum(1 for message in found.values() if message)
    verdict = "every table exact" if not wrong else f"{wrong} of {len(found)} tables differ"
    print(f"  compared with the truth in {time.monotonic() - started:.0f} s: {verdict}", flush=True)
    return found


def dashboard(scratch: Path, rows: int) -> str:
    # A subprocess: chDB opens one directory per process, and its memory should not count here.
    command = [
        sys.executable,
        "-m",
        "bench.dashboard",
        "--dir",
        str(scratch / "dashboard"),
        "--rows",
        str(rows),
    ]
    done = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True)
    print(done.stdout, end="", flush=True)
    return (
        "Dashboard view (`python -m bench.dashboard`, one run of 21 queries after a warm-up):\n\n"
        + done.stdout
    )


def decode() -> str:
    # A subprocess: its CPU time is its own, whatever the groups before it left behind.
    command = [sys.executable, "-m", "bench.decode"]
    done = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True)
    print(done.stdout, end="", flush=True)
    return "Orders page decoding and the write's calendar (`python -m bench.decode`):\n\n" + done.stdout


GROUP_RUNNERS: dict[str, Callable[[Setting], list[Run]]] = {
    "fixed": group_fixed,
    "medium": group_medium,
    "large": group_large,
}


# -- reporting ----------------------------------------------------------------------------------


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


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--only", nargs="+", choices=GROUPS, default=list(GROUPS), help="scenario groups to run"
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs of each group; figures are their medians")
    parser.add_argument("--latency-ms", type=int, default=40, help="median latency per API request")
    parser.add_argument("--latency-model", choices=["lognormal", "constant"], default="lognormal")
    parser.add_argument("--concurrency", type=int, default=8, help="QTICKETS_MAX_CONCURRENCY for the runs")
    parser.add_argument("--seed", type=int, default=1, help="the sandbox worlds' seed")
    parser.add_argument("--dashboard-rows", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (logs, marts)")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "last_run.md")
    return parser.parse_args(argv)


def run_groups(args: argparse.Namespace, scratch: Path) -> list[Run]:
    runs: list[Run] = []
    for repeat in range(args.repeat):
        setting = Setting(scratch, args.latency_ms, args.latency_model, args.concurrency, args.seed, repeat)
        for group in GROUP_RUNNERS:
            if group in args.only:
                print(f"== {group}, run {repeat + 1} of {args.repeat}", flush=True)
                runs += GROUP_RUNNERS[group](setting)
    return runs


def summarise(runs: list[Run]) -> dict[str, Summary]:
    summaries: dict[str, Summary] = {}
    for run in runs:
        summaries.setdefault(run.scenario, Summary(run.scenario)).add(run)
    return summaries


def report(args: argparse.Namespace, summaries: dict[str, Summary], extra: list[str]) -> str:
    return "\n".join(
        [
            f"Machine: {machine()}. Sandbox in its own process, {args.latency_model} latency, median "
            f"{args.latency_ms} ms (0 for the small run), concurrency {args.concurrency}; medians of "
            f"{args.repeat} runs (min–max).",
            "",
            HEADER,
            *(table_line(s) for s in summaries.values()),
            "",
            *(detail_line(s) for s in summaries.values()),
            "",
            *exact_lines(summaries),
            *targets(summaries, args.concurrency),
            "",
            *extra,
        ]
    )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    print(f"machine: {machine()}", flush=True)
    print(
        f"latency {args.latency_model}, median {args.latency_ms} ms, concurrency {args.concurrency}",
        flush=True,
    )
    scratch = Path(tempfile.mkdtemp(prefix="qtickets-bench-"))
    extra: list[str] = []
    failed: list[str] = []
    try:
        runs = run_groups(args, scratch)
        tools = {"dashboard": lambda: dashboard(scratch, args.dashboard_rows), "decode": decode}
        for name, tool in tools.items():
            if name in args.only:
                print(f"== {name}", flush=True)
                # The scenario runs above took many minutes: a failing tool is reported, not
                # allowed to lose their figures.
                try:
                    extra.append(tool())
                except subprocess.CalledProcessError as error:
                    failed.append(name)
                    stderr = textwrap.indent(error.stderr[-1500:], "    ")
                    extra.append(f"`bench.{name}` failed (exit {error.returncode}):\n\n{stderr}")
    finally:
        if args.keep:
            print(f"scratch kept at {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    if not runs and not extra:
        return
    text = report(args, summarise(runs), extra)
    print("\n" + text)
    args.output.write_text(text)
    args.output.with_suffix(".json").write_text(json.dumps([asdict(run) for run in runs], indent=1))
    if failed:
        raise SystemExit(f"bench: {', '.join(failed)} failed; the other figures are in {args.output}")


if __name__ == "__main__":
    main()
