"""The bench's figures: one run's from the sandbox's stats, their medians over repeats, the targets.

Sequential is what the same requests would take one after another against this API: the sum over
requests of each one's service time (its sampled latency plus the sandbox's CPU time for it), as the
sandbox counts them. Floor is sequential ÷ concurrency: every slot busy all the time. Crawl is the
first request in to the last answer out.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

FULL_SYNCS = ("full sync, medium", "full sync, large", "inventory snapshot")
MIN_MEAN_IN_FLIGHT = 7.5


@dataclass
class Run:
    """One `dg launch`: what the bench measured around it and what the sandbox counted."""

    scenario: str
    wall_s: float
    concurrency: int
    stats: dict[str, Any]  # the sandbox's /_sandbox/stats after the run
    sandbox_cpu_s: float
    peak_tree_mb: float
    peak_process_mb: float
    peak_anon_mb: float
    note: str = ""


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

    def add(self, run: Run) -> None:
        self.runs.append(figures(run))
        if run.note:
            self.notes.append(run.note)

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

    def routes(self) -> list[str]:
        names = {key.split("|")[0] for run in self.runs for key in run if "|" in key}
        return sorted(names)


HEADER = (
    "| scenario | runs | wall s | requests | crawl s | sequential s | floor s | seq ÷ wall | seq ÷ crawl "
    "| mean in flight | peak in flight | sandbox CPU s | peak RSS tree MB | peak RSS process MB "
    "| peak anon tree MB |\n"
    "| --- |" + " ---: |" * 14
)


def table_line(s: Summary) -> str:
    cells = [
        s.scenario,
        str(len(s.runs)),
        s.cell("wall_s"),
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
    return f"- {s.scenario}{notes}: {routes}"


def _verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def ratio_target(summaries: dict[str, Summary], label: str, scenario: str, key: str, goal: float) -> str:
    s = summaries.get(scenario)
    if s is None:
        return f"| {label} | not run | |"
    hits = sum(v >= goal for v in s.values(key))
    measured = f"{s.cell(key, 2, '×')}, ≥ {goal:g}× in {hits} of {len(s.runs)} runs"
    return f"| {label} | {measured} | {_verdict(s.median(key) >= goal)} |"


def in_flight_targets(summaries: dict[str, Summary], concurrency: int) -> list[str]:
    lines = []
    for scenario in FULL_SYNCS:
        s = summaries.get(scenario)
        if s is None:
            continue
        means = {name: s.median(f"{name}|mean_in_flight") for name in s.routes()}
        low = min(means, key=lambda name: means[name])
        measured = ", ".join(f"{name} {value:.2f}" for name, value in means.items())
        crawl = f"; whole crawl {s.median('mean_in_flight'):.2f}"
        label = f"{scenario}: mean in flight ≥ {MIN_MEAN_IN_FLIGHT} on every route"
        lines.append(f"| {label} | {measured}{crawl} | {_verdict(means[low] >= MIN_MEAN_IN_FLIGHT)} |")
    peak = max((max(s.values("peak_in_flight") or [0]) for s in summaries.values()), default=0)
    lines.append(
        f"| never more than {concurrency} in flight | peak {peak:.0f} | {_verdict(peak <= concurrency)} |"
    )
    return lines


def targets(summaries: dict[str, Summary], concurrency: int) -> list[str]:
    medium, large = "full sync, medium", "full sync, large"
    return [
        "| target (medians) | measured | |",
        "| --- | --- | --- |",
        ratio_target(summaries, "medium crawl ≥ 6× faster than sequential", medium, "seq_crawl", 6.0),
        ratio_target(summaries, "medium `dg launch` ≥ 3.5× faster than sequential", medium, "seq_wall", 3.5),
        ratio_target(summaries, "large crawl ≥ 6× faster than sequential", large, "seq_crawl", 6.0),
        *in_flight_targets(summaries, concurrency),
    ]
