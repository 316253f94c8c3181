"""Request accounting: counts by method and route kind, peak in flight, bytes, faults injected."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._requests: Counter[str] = Counter()
            self._statuses: Counter[int] = Counter()
            self._faults: Counter[str] = Counter()
            self._in_flight = 0
            self._peak = 0
            self._bytes = 0

    def enter(self, method: str, kind: str) -> None:
        with self._lock:
            self._requests[f"{method} {kind}"] += 1
            self._in_flight += 1
            self._peak = max(self._peak, self._in_flight)

    def leave(self, status: int | None, sent: int, fault: str | None) -> None:
        with self._lock:
            self._in_flight -= 1
            self._bytes += sent
            if status is not None:
                self._statuses[status] += 1
            if fault is not None:
                self._faults[fault] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": dict(self._requests),
                "total_requests": sum(self._requests.values()),
                "statuses": {str(k): v for k, v in self._statuses.items()},
                "faults": dict(self._faults),
                "in_flight": self._in_flight,
                "peak_in_flight": self._peak,
                "bytes_served": self._bytes,
            }
