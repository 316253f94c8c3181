"""When to try a request again and how long to wait first.

Exponential backoff with full jitter (a random wait in [0, base * 2**n], capped), unless the server
says how long via Retry-After. `max_retries` caps the attempts and `max_total_wait` caps the sum
of the waits, so a failing API ends a run in bounded time.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def sleep(seconds: float, stop: threading.Event) -> None:
    """A back-off wait that ends early once `stop` is set (the client is closing). Module-level so
    tests can replace it and record the waits instead of sleeping."""
    stop.wait(seconds)


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 6
    max_total_wait: float = 120.0
    base_delay: float = 0.5
    max_delay: float = 30.0
    # A 200 that is not JSON is probably a proxy's error page or a cut-off body: worth a couple
    # of retries, but not the whole budget.
    max_protocol_retries: int = 2

    def backoff(self, retry_number: int) -> float:
        """Full jitter: uniform in [0, min(max_delay, base_delay * 2**retry_number)]."""
        return random.uniform(0.0, min(self.max_delay, self.base_delay * 2**retry_number))


class Retryable(Exception):
    """Raised inside one attempt when trying again may succeed."""

    def __init__(self, reason: str, *, retry_after: float | None = None, protocol: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.protocol = protocol


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as delay-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
