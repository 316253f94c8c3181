"""The incremental sales load's filtered crawls (new ids, orders updated since the watermark) on
both readings of `paging.total` (the filtered list's own, as documented, or the unfiltered list's):
a page lost fails the run and keeps the mart, and an order updated while the crawl runs is stored
at once."""

import threading
import time
from typing import Any

import pytest

from qtickets_assets.sandbox.testing import run_sandbox
from qtickets_assets_tests.graph.mart import materialize_all, read_mart
from qtickets_assets_tests.graph.test_full_sync import assert_mart_equals_truth, assert_succeeded

READINGS = pytest.mark.parametrize(
    "reading", [{}, {"unfiltered_total": True}], ids=["total-own", "total-unfiltered"]
)
# What the sales job writes, and the views of it alone (the inventory is a snapshot of its own).
SALES = ("fact_sales", "v_sales", "v_sales_daily", "v_sales_by_source")


def test_a_page_of_new_orders_lost_fails_the_sales_run_and_keeps_the_mart(tmp_path):
    """120 new orders (3 filtered pages), each page below the last answered empty: page 1 empty was
    read as "no new order", and the run succeeded, every check green, with 255 tickets missing."""
    url = f"chdb://{tmp_path / 'ch'}"
    with run_sandbox(size="small", seed=11) as sandbox:
        assert_succeeded(materialize_all(sandbox.base_url, sandbox.token, url))
        stored = read_mart(url, "fact_sales")
        sandbox.advance(new_orders=120)
        sandbox.set_faults(empty_page_share=1.0)
        lost = materialize_all(sandbox.base_url, sandbox.token, url, job_name="sales_job")
        assert not lost.success
        [failure] = [event for event in lost.all_events if event.is_step_failure]
        assert "page 1 is empty but the total is 120" in str(failure.step_failure_data.error)
        assert read_mart(url, "fact_sales") == stored, "a failed run left fact_sales as it was"

        sandbox.set_faults(empty_page_share=0.0)
        assert_succeeded(materialize_all(sandbox.base_url, sandbox.token, url))
        assert_mart_equals_truth(url, sandbox.truth)


@READINGS
def test_orders_cancelled_while_the_updated_orders_are_read_are_stored_by_that_run(tmp_path, reading):
    """20 old orders cancelled while the crawl of orders updated since the watermark reads its page
    2: some join pages already read and push others back onto them. Where the total counts the
    unfiltered list, an update does not change it, and the recount that proves a whole read passed:
    the run succeeded with 17-20 cancelled tickets stored as paid. Two crawls alike prove it there."""
    url = f"chdb://{tmp_path / 'ch'}"
    with run_sandbox(size="small", seed=11, **reading) as sandbox:
        assert_succeeded(materialize_all(sandbox.base_url, sandbox.token, url))
        sandbox.advance(refunds=150)  # the orders updated since the watermark: 3 pages
        # The cancellations below are stamped in a later second than these refunds: updated_at, the
        # only order the API gives two changes of one order, counts whole seconds.
        time.sleep(1.01 - time.time() % 1)
        api = sandbox._sandbox.api
        handle, changed = api.handle, threading.Event()

        def cancelling_on_page_2(path: str, query: Any, body: dict, empty_page: bool = False) -> Any:
            updated = any(clause.get("column") == "updated_at" for clause in body.get("where") or [])
            if path == "/orders" and updated and body.get("page") == 2 and not changed.is_set():
                changed.set()
                sandbox.advance(cancellations=20)
            return handle(path, query, body, empty_page)

        api.handle = cancelling_on_page_2
        try:
            assert_succeeded(materialize_all(sandbox.base_url, sandbox.token, url, job_name="sales_job"))
        finally:
            api.handle = handle
        assert changed.is_set()
        assert_mart_equals_truth(url, sandbox.truth, SALES)
