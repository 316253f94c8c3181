"""A misbehaving API: every run ends with exactly the sandbox's truth, or fails naming the cause
and leaves the mart as it was before the run."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from qtickets_assets.lib.qtickets import retry
from qtickets_assets.lib.sync import AccountSync
from qtickets_assets.sandbox.generate import generate_world
from qtickets_assets.sandbox.testing import run_sandbox
from qtickets_assets.sandbox.truth import truth
from qtickets_assets_tests.graph.test_full_sync import assert_mart_equals_truth, assert_succeeded
from qtickets_assets_tests.reliability.helpers import failure_text, mart_state, sync

pytestmark = pytest.mark.slow

# Short budgets so that a dead API fails a step in about a second, not two minutes.
FAST = {"timeout_seconds": 0.5, "max_retries": 6, "max_total_wait_seconds": 60.0}
NO_FAULTS = {
    "fault_503": 0.0,
    "fault_429": 0.0,
    "slow_share": 0.0,
    "drop_share": 0.0,
    "truncate_share": 0.0,
    "html_share": 0.0,
    "empty_page_share": 0.0,
}
# The transient test's faults spoil ~29 % of answers, independently. With six retries (seven
# attempts) one request in ~6,000 failed them all; over the ~290 requests of its two runs the test
# failed in 2 of 12 tries. Fourteen retries put a request's odds at ~1 in 100 million; the waits
# are not slept (see `waits`), so the larger budget costs no time.
PATIENT = {"timeout_seconds": 0.5, "max_retries": 14, "max_total_wait_seconds": 600.0}


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Back-off waits the client asked for; each is slept for at most 10 ms to keep tests short."""
    asked: list[float] = []

    def short_sleep(seconds: float, stop: threading.Event) -> None:
        asked.append(seconds)
        time.sleep(min(seconds, 0.01))

    monkeypatch.setattr(retry, "sleep", short_sleep)
    return asked


@pytest.mark.parametrize(
    "reading",
    [{"ignore_filters": True}, {"unfiltered_total": True}],
    ids=["filters-ignored", "total-unfiltered"],
)
def test_transient_faults_on_either_reading_of_filters_still_give_exact_truth(tmp_path, waits, reading):
    """503s, 429s with Retry-After, timeouts, dropped connections, cut-off JSON and HTML pages on
    a server that also ignores filters, or counts the unfiltered list in a filtered list's total:
    retried until the figures are exact, full and incremental."""
    url = f"chdb://{tmp_path / 'ch'}"
    faults = {
        "fault_503": 0.12,
        "fault_429": 0.06,
        "retry_after": 7,
        "slow_share": 0.04,
        "slow_seconds": 1.0,
        "drop_share": 0.05,
        "truncate_share": 0.03,
        "html_share": 0.03,
    }
    with run_sandbox(size="small", seed=11, **reading) as sandbox:
        # Set after start: run_sandbox's own `seed` (the world's) shadows the fault injector's.
        sandbox.set_faults(**faults, seed=3)
        assert_succeeded(sync(sandbox.base_url, sandbox.token, url, **PATIENT))
        assert_mart_equals_truth(url, sandbox.truth)

        sandbox.advance(new_orders=40, refunds=15, cancellations=10)
        assert_succeeded(sync(sandbox.base_url, sandbox.token, url, **PATIENT))
        assert_mart_equals_truth(url, sandbox.truth)

        injected = sandbox.stats()
    assert 7.0 in waits, "a 429's Retry-After: 7 was not honoured"
    faults_seen = injected.get("faults") or {}
    assert len(faults_seen) >= 5, f"the sandbox injected too few kinds of fault: {faults_seen}"


# fault settings that make every answer bad, and the words the failure must contain
FATAL = {
    "503": ({"fault_503": 1.0}, "the Qtickets API is unavailable", "HTTP 503"),
    "429": ({"fault_429": 1.0, "retry_after": 1}, "the Qtickets API is unavailable", "HTTP 429"),
    "slow": ({"slow_share": 1.0, "slow_seconds": 1.5}, "the Qtickets API is unavailable", "timeout"),
    "drop": ({"drop_share": 1.0}, "the Qtickets API is unavailable", "connection failed"),
    "truncated-json": ({"truncate_share": 1.0}, "unreadable answer", "malformed or cut-off JSON"),
    "html-200": ({"html_share": 1.0}, "unreadable answer", "HTML page instead of JSON"),
    "empty-page": ({"empty_page_share": 1.0}, "is empty but the total is", "mid-crawl"),
}


def test_a_run_that_fails_on_a_fault_changes_nothing_and_the_next_run_catches_up(tmp_path, waits):
    url = f"chdb://{tmp_path / 'ch'}"
    with run_sandbox(size="small", seed=7) as sandbox:
        assert_succeeded(sync(sandbox.base_url, sandbox.token, url, **FAST))
        # The world before the advance, built again: its truth is taken when compared, so that a
        # local midnight passed meanwhile moves the dashboard's "today" in both.
        earlier_world = generate_world("small", 7, sandbox.world.anchor)
        before = mart_state(url)

        sandbox.advance(new_orders=30, refunds=10, cancellations=5)
        for name, (faults, cause, detail) in FATAL.items():
            sandbox.set_faults(**{**NO_FAULTS, **faults})
            result = sync(sandbox.base_url, sandbox.token, url, **FAST)
            message = failure_text(result)
            assert not result.success, f"{name}: the run succeeded on an API that never answers well"
            assert cause in message and detail in message, f"{name}: unclear failure:\n{message}"
            assert sandbox.token not in message
            assert mart_state(url) == before, f"{name}: a failed run changed the mart"
        assert_mart_equals_truth(url, lambda: truth(earlier_world))

        sandbox.set_faults(**NO_FAULTS)
        assert_succeeded(sync(sandbox.base_url, sandbox.token, url, **FAST))
        assert_mart_equals_truth(url, sandbox.truth)


def _then_set(method: Callable[[AccountSync], Any], done: threading.Event) -> Callable[[AccountSync], Any]:
    def wrapped(self: AccountSync) -> Any:
        try:
            return method(self)
        finally:
            done.set()

    return wrapped


def _after(started: threading.Event, method: Callable[[AccountSync], Any]) -> Callable[[AccountSync], Any]:
    def wrapped(self: AccountSync) -> Any:
        started.wait()
        return method(self)

    return wrapped


def test_the_api_failing_mid_crawl_writes_no_partial_table(tmp_path, waits, monkeypatch):
    """Orders crawl (full refresh, 30 pages) breaks after a few pages: no page of it is stored."""
    url = f"chdb://{tmp_path / 'ch'}"
    with run_sandbox(size="small", seed=11) as sandbox:
        assert_succeeded(sync(sandbox.base_url, sandbox.token, url, **FAST))
        before = mart_state(url)
        sandbox.advance(new_orders=30, refunds=10, cancellations=5)
        sandbox.set_faults(latency_ms=20)
        sandbox.reset_stats()
        # What must break is the orders crawl, half way (the seat maps' with it). The events crawl
        # runs beside them, and a count of its requests at the sandbox cannot say it has ended (a
        # timed-out page is asked again), so here the other crawls start once it has returned.
        crawled = threading.Event()
        monkeypatch.setattr(AccountSync, "_crawl_events", _then_set(AccountSync._crawl_events, crawled))
        for crawl in ("_crawl_sales", "_crawl_snapshot"):
            monkeypatch.setattr(AccountSync, crawl, _after(crawled, getattr(AccountSync, crawl)))

        stop = threading.Event()

        def break_the_api_after_some_pages() -> None:
            while not stop.wait(0.002):  # a fault is drawn as a request arrives
                if sandbox.stats()["requests"].get("GET orders", 0) >= 6:
                    sandbox.set_faults(fault_503=1.0)
                    return

        watcher = threading.Thread(target=break_the_api_after_some_pages, daemon=True)
        watcher.start()
        try:
            result = sync(sandbox.base_url, sandbox.token, url, full_refresh=True, **FAST)
        finally:
            stop.set()
            watcher.join()
        assert not result.success
        assert "fact_sales: " in failure_text(result) and "HTTP 503" in failure_text(result)
        assert mart_state(url) == before, "a crawl that broke half way changed the mart"

        sandbox.set_faults(fault_503=0.0, latency_ms=0)
        assert_succeeded(sync(sandbox.base_url, sandbox.token, url, **FAST))
        assert_mart_equals_truth(url, sandbox.truth)
