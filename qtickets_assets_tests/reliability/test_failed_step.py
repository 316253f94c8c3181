"""A step that fails while another step's crawl is still reading: the run ends, failed, at once."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from qtickets_assets.lib import frames
from qtickets_assets.sandbox.testing import run_sandbox
from qtickets_assets_tests.reliability.helpers import failure_text, row_counts, sync

pytestmark = pytest.mark.slow


def test_a_step_failing_mid_crawl_ends_the_run_and_writes_no_sales(tmp_path, monkeypatch) -> None:
    """The events step fails while the orders crawl still has pages in flight and pages queued
    (every page is submitted at once: 29 pages, a window of 64). fact_sales, which waits for the
    events, is skipped, so nobody reads the orders; the run's teardown closes the client. It once
    hung there for good: the queued pages were cancelled, and a cancelled future never wakes the
    crawl waiting on it, so `dg launch` (or the queue's one run slot) never came back."""

    def broken_events_frame(events: Any) -> Any:
        raise ValueError("the events frame broke on purpose")

    monkeypatch.setattr(frames, "events_frame", broken_events_frame)
    url = f"chdb://{tmp_path / 'ch'}"
    outcome: list[Any] = []
    with run_sandbox(size="small", seed=7) as sandbox:
        # Each answer takes 0.3 s: the events (3 pages) are read while the orders still arrive.
        sandbox.set_faults(latency_ms=300, latency_model="constant")
        run = threading.Thread(
            target=lambda: outcome.append(sync(sandbox.base_url, sandbox.token, url, max_concurrency=32)),
            daemon=True,
        )
        run.start()
        run.join(timeout=60)
        assert not run.is_alive(), "the run did not end within 60 s of its events step failing"
    result = outcome[0]
    assert not result.success
    assert "the events frame broke on purpose" in failure_text(result)
    assert "fact_sales" not in {event.step_key for event in result.all_events if event.is_step_success}
    assert row_counts(url)["fact_sales"] == 0
