"""Request accounting: counts, statuses, faults, bytes, and per route the crawl's shape in time.

Per route ("GET orders", ...) and over every API request together ("crawl"): first request in, last
answer out, peak in flight, and the time-weighted mean number of requests in flight over that span
(first in to last out). The integral of "requests in flight" over time is the sum of each request's
own time in flight, so the mean is that sum over the span, exactly, with no sampling. Each request
also adds its service time: the latency it was given plus the CPU time the server spent on it, which
is what answering the requests one after another would take (the bench's "sequential").

A request is in flight from `enter` (its body read) until `leave`, which the server calls just before
it writes the answer: a client that reads the answer and sends its next request can then never be
counted twice at once. Times in a snapshot are seconds since the last reset. Both clocks are
parameters so that tests can drive them.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class Span:
    """Requests of one route (or of all): when they came and went, how many at once."""

    requests: int = 0
    first_in: float | None = None
    last_out: float | None = None
    in_flight: int = 0
    peak_in_flight: int = 0
    busy_s: float = 0.0  # the sum of the finished requests' times in flight
    latency_s: float = 0.0  # the sum of the latencies given (slow faults included)
    work_s: float = 0.0  # the sum of the server's CPU time per request

    def enter(self, now: float) -> None:
        self.requests += 1
        self.first_in = now if self.first_in is None else self.first_in
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    def leave(self, now: float, in_flight_s: float, latency_s: float, work_s: float) -> None:
        self.in_flight -= 1
        self.last_out = now
        self.busy_s += in_flight_s
        self.latency_s += latency_s
        self.work_s += work_s

    def snapshot(self, origin: float) -> dict[str, Any]:
        span = None if self.first_in is None or self.last_out is None else self.last_out - self.first_in
        return {
            "requests": self.requests,
            "first_in_s": None if self.first_in is None else self.first_in - origin,
            "last_out_s": None if self.last_out is None else self.last_out - origin,
            "span_s": span,
            "mean_in_flight": self.busy_s / span if span else None,
            "peak_in_flight": self.peak_in_flight,
            "in_flight_s": self.busy_s,
            "latency_s": self.latency_s,
            "work_s": self.work_s,
            "service_s": self.latency_s + self.work_s,
        }


@dataclass(frozen=True, slots=True)
class Ticket:
    """One request on its way: which route, both clocks when it came in, and which reset it follows."""

    route: str
    entered: float
    cpu_entered: float
    generation: int


class Stats:
    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        cpu_clock: Callable[[], float] = time.thread_time,  # the handling thread's own CPU time
    ) -> None:
        self._clock, self._cpu_clock = clock, cpu_clock
        self._lock = threading.Lock()
        self._generation = 0
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._generation += 1
            self._origin = self._clock()
            self._statuses: Counter[int] = Counter()
            self._faults: Counter[str] = Counter()
            self._bytes = 0
            self._crawl = Span()
            self._routes: dict[str, Span] = {}

    def enter(self, method: str, kind: str) -> Ticket:
        with self._lock:
            ticket = Ticket(f"{method} {kind}", self._clock(), self._cpu_clock(), self._generation)
            self._crawl.enter(ticket.entered)
            self._routes.setdefault(ticket.route, Span()).enter(ticket.entered)
        return ticket

    def leave(
        self, ticket: Ticket, status: int | None, sent: int, fault: str | None, latency_s: float
    ) -> None:
        now, work = self._clock(), self._cpu_clock() - ticket.cpu_entered
        with self._lock:
            if ticket.generation != self._generation:
                return  # entered before a reset: it belongs to no span that is still counted
            for span in (self._crawl, self._routes[ticket.route]):
                span.leave(now, now - ticket.entered, latency_s, work)
            self._bytes += sent
            if status is not None:
                self._statuses[status] += 1
            if fault is not None:
                self._faults[fault] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": {route: span.requests for route, span in self._routes.items()},
                "total_requests": self._crawl.requests,
                "statuses": {str(k): v for k, v in self._statuses.items()},
                "faults": dict(self._faults),
                "in_flight": self._crawl.in_flight,
                "peak_in_flight": self._crawl.peak_in_flight,
                "bytes_served": self._bytes,
                "routes": {route: span.snapshot(self._origin) for route, span in self._routes.items()},
                "crawl": self._crawl.snapshot(self._origin),
            }
