"""Ground truth in the contract's terms, counted from the sandbox's own model (never from the client).

Money is a string with two decimals, timestamps ISO UTC with "Z", dates "YYYY-MM-DD", local clock
times "HH:MM". "Local" is the zone of the event's city. Columns that depend on when the loader ran
(`snapshot_at`, `inventory_updated_at`, `sales_updated_at`) are left out.

This package's entry points are here: `truth()` (every table and view) and `expected_requests()`.
The rows are counted in its modules: `formats` (the spellings above), `tables` (the dimensions and
the inventory), `tickets` (fact_sales), and the views in `sales_views`, `daily_views` and
`summary_views`.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from qtickets_assets.sandbox.model import World
from qtickets_assets.sandbox.truth.daily_views import daily_rows, pace_rows
from qtickets_assets.sandbox.truth.sales_views import source_rows, view_rows
from qtickets_assets.sandbox.truth.summary_views import attendance_rows, dashboard_rows
from qtickets_assets.sandbox.truth.tables import (
    dim_discount,
    dim_event,
    dim_promo_code,
    inventory_rows,
    live_shows,
)
from qtickets_assets.sandbox.truth.tickets import sales_row, tickets


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """The truth of a large world is ~1.5 million new dicts and tuples, none in a cycle: the cyclic
    collector would walk them over and over (a third of the time), and find nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def truth(world: World, as_of: int | None = None) -> dict[str, list[dict[str, Any]]]:
    """The mart a correct loader builds; "today" is taken at `as_of` (default: the wall clock)."""
    as_of = int(time.time()) if as_of is None else as_of
    with world.lock, no_cyclic_gc():
        inventory = inventory_rows(world)
        all_tickets = tickets(world)
        sales = [sales_row(t) for t in all_tickets]
        views = view_rows(world, all_tickets, sales)
        daily = daily_rows(all_tickets)
        return {
            "dim_events": [dim_event(e) for e in world.events],
            "dim_discounts": [dim_discount(d) for d in world.discounts],
            "dim_promo_codes": [dim_promo_code(p) for p in world.promo_codes],
            "fact_inventory_latest": inventory,
            "fact_sales": sales,
            "v_sales_dashboard": dashboard_rows(world, inventory, as_of),
            "v_sales": views,
            "v_sales_daily": daily,
            "v_show_attendance": attendance_rows(all_tickets, inventory),
            "v_sales_pace": pace_rows(daily, inventory),
            "v_sales_by_source": source_rows(all_tickets, views),
        }


def expected_requests(world: World) -> dict[str, int]:
    """How many GETs a full crawl needs: pages per list, and one seat map per inventoried show."""
    with world.lock:
        return {
            "events_pages": math.ceil(len(world.events) / 10),
            "orders_pages": math.ceil(len(world.orders) / 50),
            "seat_maps": sum(len(live_shows(e)) for e in world.events if e.deleted_at is None),
        }
