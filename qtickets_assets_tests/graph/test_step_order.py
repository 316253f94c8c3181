"""A full sync's steps run while its crawls do (defs/sync.py): every crawl starts at the run's
first API step, and the step that waits for the longest one, the orders crawl (fact_sales), runs
after every step that does not need it, so the inventory is written during that crawl."""

import dagster as dg

# What needs fact_sales, and so must wait for the orders crawl: its checks and the views over it.
AFTER_THE_ORDERS = {
    "fact_sales",
    "v_sales",
    "v_sales_daily",
    "v_sales_by_source",
    "v_sales_dashboard",
    "v_show_attendance",
    "v_sales_pace",
}


def started_steps(result: dg.ExecuteInProcessResult) -> list[str]:
    return [
        str(event.step_key)
        for event in result.all_events
        if event.event_type == dg.DagsterEventType.STEP_START
    ]


def asset_of(step: str) -> str:
    return step.removesuffix("_checks")


def test_a_full_sync_writes_everything_the_orders_do_not_feed_before_it_waits_for_them(clean_sync):
    steps = started_steps(clean_sync[2])
    waits = steps.index("fact_sales")
    before, after = steps[:waits], steps[waits:]
    assert {"inventory_raw", "inventory_raw_checks", "fact_inventory_latest", "v_sell_through"} <= set(before)
    assert {asset_of(step) for step in after} == AFTER_THE_ORDERS
