"""The bench's figures: one run's from the sandbox's stats, their medians over repeats, the targets.

Sequential is what the same requests would take one after another against this API: the sum over
requests of each one's service time (its sampled latency plus the sandbox's CPU time for it), as the
sandbox counts them. Floor is sequential ÷ concurrency: every slot busy all the time. Crawl is the
first request in to the last answer out. Load average: the machine's 1-minute load average read just
before the run (2 cores: above ~1 the run shared them). Events: the entries of the run's Dagster event
log; steps: the steps it started.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

SMALL, MEDIUM, LARGE = "full sync, small, 0 ms", "full sync, medium", "full sync, large"
NOTHING_CHANGED = "sales job, nothing changed"
MIN_MEAN_IN_FLIGHT = 7.0  # the medium crawl's, all routes together (one budget of requests)
PREVIOUS_LARGE_PEAK_MB = 814  # bench/RESULTS.md before issue 19: the large run's peak RSS of a process


@dataclass
class Run:
    """One `dg launch`: what the bench measured around it and what the sandbox counted."""

    scenario: str
    wall_s: float
    load_avg: float  # the 1-minute load average just before the run
    events: int  # entries in the run's Dagster event log
    steps: int
    concurrency: int
    stats: dict[str, Any]  # the sandbox's /_sandbox/stats after the run
    sandbox_cpu_s: float
    peak_tree_mb: float
    peak_process_mb: float
    peak_anon_mb: float
    note: str = ""
    exact: dict[str, str] | None = None  # table → "" when equal to the sandbox's truth, else how not


def _per(total: float, count: float) -> float:
    return total / count if count else 0.0


def route_figures(name: str, route: dict[str, Any]) -> dict[str, float]:
    requests = route["requests"]
    return {
        f"{name}|requests": requests,
        f"{name}|span_s": route["span_s"] or 0.0,
        f"{name}|mean_in_flight": route["mean_in_flight"] or 0.0,
        f"{name}|peak_in_flight": route["peak_in_flight"],
        f"{name}|answer_ms": 1000 * _per(route["in_flight_s"], requests),  # in the sandbox, all told
        f"{name}|service_ms": 1000 * _per(route["service_s"], requests),  # latency + CPU work
    }


def figures(run: Run) -> dict[str, float]:
    """Every figure of a run by name; routes' as "route|figure"."""
    crawl = run.stats["crawl"]
    sequential, span = crawl["service_s"], crawl["span_s"] or 0.0
    out = {
        "wall_s": run.wall_s,
        "load_avg": run.load_avg,
        "events": run.events,
        "steps": run.steps,
        "requests": crawl["requests"],
        "crawl_s": span,
        "sequential_s": sequential,
        "floor_s": sequential / run.concurrency,
        "seq_wall": _per(sequential, run.wall_s),
        "seq_crawl": _per(sequential, span),
        "mean_in_flight": crawl["mean_in_flight"] or 0.0,
        "peak_in_flight": crawl["peak_in_flight"],
        "sandbox_cpu_s": run.sandbox_cpu_s,
        "peak_tree_mb": run.peak_tree_mb,
        "peak_process_mb": run.peak_process_mb,
        "peak_anon_mb": run.peak_anon_mb,
    }
    for route, numbers in sorted(run.stats["routes"].items()):
        out.update(route_figures(route.removeprefix("GET "), numbers))
    return out


def _spell(value: float, digits: int, suffix: str) -> str:
    return f"{value:.{digits}f}{suffix}"


@dataclass
class Summary:
    """One scenario's runs: medians, spreads and worst cases of each figure."""

    scenario: str
    runs: list[dict[str, float]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    exact: list[dict[str, str]] = field(default_factory=list)  # each compared run's, in order

    def add(self, run: Run) -> None:
        self.runs.append(figures(run))
        if run.note:
            self.notes.append(run.note)
        if run.exact is not None:
            self.exact.append(run.exact)

    def values(self, key: str) -> list[float]:
        return [run[key] for run in self.runs if key in run]

    def median(self, key: str) -> float:
        return statistics.median(self.values(key) or [0.0])

    def cell(self, key: str, digits: int = 1, suffix: str = "") -> str:
        """The median, and the min–max when the runs differ at this precision."""
        values = self.values(key)
        if not values:
            return "—"
        low, high = _spell(min(values), digits, suffix), _spell(max(values), digits, suffix)
        middle = _spell(statistics.median(values), digits, suffix)
        return middle if low == high else f"{middle} ({low}–{high})"

    def spread(self, key: str, digits: int = 1) -> str:
        """min–max, for figures that describe the conditions rather than the result."""
        values = self.values(key) or [0.0]
        low, high = _spell(min(values), digits, ""), _spell(max(values), digits, "")
        return low if low == high else f"{low}–{high}"

    def routes(self) -> list[str]:
        names = {key.split("|")[0] for run in self.runs for key in run if "|" in key}
        return sorted(names)


HEADER = (
    "| scenario | runs | load avg before | wall s | events | steps | requests | crawl s | sequential s "
    "| floor s | seq ÷ wall | seq ÷ crawl | mean in flight | peak in flight | sandbox CPU s "
    "| peak RSS tree MB | peak RSS process MB | peak anon tree MB |\n"
    "| --- |" + " ---: |" * 17
)


def table_line(s: Summary) -> str:
    cells = [
        s.scenario,
        str(len(s.runs)),
        s.spread("load_avg", 2),
        s.cell("wall_s"),
        s.cell("events", 0),
        s.cell("steps", 0),
        s.cell("requests", 0),
        s.cell("crawl_s", 2),
        s.cell("sequential_s"),
        s.cell("floor_s", 2),
        s.cell("seq_wall", 1, "×"),
        s.cell("seq_crawl", 1, "×"),
        s.cell("mean_in_flight", 2),
        f"{max(s.values('peak_in_flight') or [0]):.0f}",  # the worst run: the limit must always hold
        s.cell("sandbox_cpu_s"),
        s.cell("peak_tree_mb", 0),
        s.cell("peak_process_mb", 0),
        s.cell("peak_anon_mb", 0),
    ]
    return "| " + " | ".join(cells) + " |"


def detail_line(s: Summary) -> str:
    routes = "; ".join(
        f"{name} {s.cell(f'{name}|requests', 0)} req, span {s.cell(f'{name}|span_s', 2)} s, "
        f"mean in flight {s.cell(f'{name}|mean_in_flight', 2)}, "
        f"peak {max(s.values(f'{name}|peak_in_flight') or [0]):.0f}, "
        f"answered in {s.cell(f'{name}|answer_ms')} ms (service {s.cell(f'{name}|service_ms')} ms)"
        for name in s.routes()
    )
    notes = f" ({'; '.join(sorted(set(s.notes)))})" if s.notes else ""
    walls = ", ".join(f"{run['wall_s']:.1f} s (load {run['load_avg']:.2f})" for run in s.runs)
    return f"- {s.scenario}{notes}: runs {walls}; {routes}"


def exact_lines(summaries: dict[str, Summary]) -> list[str]:
    """Each compared scenario's tables against the sandbox's truth, after every run."""
    lines = []
    for s in summaries.values():
        if not s.exact:
            continue
        lines += [
            f"{s.scenario}: every table and view against the sandbox's truth after each run "
            "(`bench/exact.py`, not timed)",
            "",
            "| table | exact |",
            "| --- | --- |",
        ]
        for table in s.exact[0]:
            wrong = [f"run {n}: {found[table]}" for n, found in enumerate(s.exact, 1) if found.get(table)]
            shown = (
                f"yes ({len(s.exact)} of {len(s.exact)} runs)" if not wrong else "**no**: " + "; ".join(wrong)
            )
            lines.append(f"| {table} | {shown} |")
        lines.append("")
    return lines


def _verdict(met: bool) -> str:
    return "met" if met else "**missed**"


@dataclass(frozen=True)
class Target:
    """A figure's goal: `key` of `scenario` at least (or at most) `goal`, judged on the median."""

    label: str
    scenario: str
    key: str
    goal: float
    at_least: bool = True
    digits: int = 2
    unit: str = ""

    def met_by(self, value: float) -> bool:
        return value >= self.goal if self.at_least else value <= self.goal

    def line(self, summaries: dict[str, Summary]) -> str:
        s = summaries.get(self.scenario)
        if s is None:
            return f"| {self.label} | not run | |"
        hits = sum(self.met_by(v) for v in s.values(self.key))
        bound = f"{'≥' if self.at_least else '≤'} {self.goal:g}{self.unit}"
        measured = f"{s.cell(self.key, self.digits, self.unit)}, {bound} in {hits} of {len(s.runs)} runs"
        return f"| {self.label} | {measured} | {_verdict(self.met_by(s.median(self.key)))} |"


def exact_target(summaries: dict[str, Summary]) -> str:
    label = "large: every table equal to the sandbox's truth"
    s = summaries.get(LARGE)
    if s is None or not s.exact:
        return f"| {label} | not run | |"
    wrong = sorted({table for found in s.exact for table, message in found.items() if message})
    measured = f"{len(s.exact[0]) - len(wrong)} of {len(s.exact[0])} tables exact in all {len(s.exact)} runs"
    if wrong:
        measured += f"; not: {', '.join(wrong)}"
    return f"| {label} | {measured} | {_verdict(not wrong)} |"


def peak_in_flight_target(summaries: dict[str, Summary], concurrency: int) -> str:
    peak = max((max(s.values("peak_in_flight") or [0]) for s in summaries.values()), default=0)
    return f"| never more than {concurrency} in flight | peak {peak:.0f} | {_verdict(peak <= concurrency)} |"


def events_figure(summaries: dict[str, Summary]) -> str:
    s = summaries.get(SMALL)
    if s is None:
        return "| Dagster events per full run, reported (issue 19: 213) | not run | |"
    measured = f"{s.cell('events', 0)} events, {s.cell('steps', 0)} steps"
    return f"| Dagster events per full run, reported (issue 19: 213) | {measured} | reported |"


TARGETS = (
    Target("small full sync at 0 ms ≤ 5 s wall", SMALL, "wall_s", 5.0, False, 1, " s"),
    Target("sales job with nothing changed ≤ 3 s", NOTHING_CHANGED, "wall_s", 3.0, False, 1, " s"),
    Target("medium crawl ≥ 6.5× faster than sequential", MEDIUM, "seq_crawl", 6.5, unit="×"),
    Target(
        f"medium: mean in flight over the whole crawl ≥ {MIN_MEAN_IN_FLIGHT} (all routes together)",
        MEDIUM, "mean_in_flight", MIN_MEAN_IN_FLIGHT,
    ),
    Target("medium `dg launch` ≥ 3.5× faster than sequential", MEDIUM, "seq_wall", 3.5, unit="×"),
    Target("large crawl ≥ 6.5× faster than sequential", LARGE, "seq_crawl", 6.5, unit="×"),
)  # fmt: skip
LARGE_PEAK = Target(
    f"large: peak RSS of a process ≤ {PREVIOUS_LARGE_PEAK_MB} MB (before issue 19)",
    LARGE, "peak_process_mb", PREVIOUS_LARGE_PEAK_MB, False, 0, " MB",
)  # fmt: skip


def targets(summaries: dict[str, Summary], concurrency: int) -> list[str]:
    """Issue 19's "Done when", each judged on the medians (and how many runs met it on their own)."""
    small, nothing_changed, *crawls = (target.line(summaries) for target in TARGETS)
    return [
        "| target (medians) | measured | |",
        "| --- | --- | --- |",
        small,
        events_figure(summaries),
        nothing_changed,
        *crawls,
        exact_target(summaries),
        peak_in_flight_target(summaries, concurrency),
        LARGE_PEAK.line(summaries),
    ]
