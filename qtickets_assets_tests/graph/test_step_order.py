"""A full sync's steps run while its crawls do (defs/sync.py): every crawl starts at the run's
first API step, and the step that waits for the longest one, the orders crawl (fact_sales), runs
after every step that does not need it, so the inventory is written during that crawl."""

import dagster as dg


def started_steps(result: dg.ExecuteInProcessResult) -> list[str]:
    return [
        str(event.step_key)
        for event in result.all_events
        if event.event_type == dg.DagsterEventType.STEP_START
    ]


def test_a_full_sync_writes_everything_the_orders_do_not_feed_before_it_waits_for_them(clean_sync):
    steps = started_steps(clean_sync[2])
    waits = steps.index("fact_sales")
    before, after = steps[:waits], steps[waits:]
    # The seat snapshot and the newest inventory are written while the orders are still crawled;
    # only the views (one step, several of them over fact_sales) come after.
    assert set(before) == {
        "dim_events_and_dim_shows",
        "dim_discounts_and_dim_promo_codes",
        "inventory_raw",
        "fact_inventory_latest",
    }
    assert after == ["fact_sales", "views"]
