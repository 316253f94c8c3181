"""The ground truth agrees with what the server serves, recounted here from the wire."""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx

from qtickets_assets.sandbox.testing import SandboxHandle, run_sandbox
from qtickets_assets_tests.sandbox.conftest import all_pages, get


def recount(seats: dict[str, dict[str, Any]]) -> tuple[int, int]:
    """The contract's rule: non-disabled seats, each root_id once, Σmax and Σfree."""
    by_root = {s["root_id"]: s for s in seats.values() if not s["disabled"]}
    return sum(s["max_quantity"] for s in by_root.values()), sum(s["free_quantity"] for s in by_root.values())


def wire_status(order: dict[str, Any], basket: dict[str, Any]) -> str:
    if basket["deleted_at"] or order["deleted_at"]:
        return "cancelled"
    if basket["refunded_at"]:
        return "refunded"
    return "paid" if order["payed"] else "unpaid"


def test_inventory_equals_a_recount_of_served_seat_maps(client: httpx.Client, sandbox: SandboxHandle) -> None:
    inventory = sandbox.truth()["fact_inventory_latest"]
    assert len(inventory) == sandbox.expected_requests()["seat_maps"]
    seated = 0
    for row in inventory[:8]:
        flat = get(client, f"/shows/{row['show_id']}/seats", {"flat": True}).json()["data"]
        assert recount(flat) == (row["tickets_total"], row["tickets_left"])
        assert row["tickets_sold"] == row["tickets_total"] - row["tickets_left"]
        zoned = get(client, f"/shows/{row['show_id']}/seats").json()["data"]
        merged = {k: v for zone in zoned.values() for k, v in zone["seats"].items()}
        assert merged == flat
        seated += len({s["root_id"] for s in flat.values()}) < len(flat)  # several tariffs per seat
    assert seated > 0


def test_sold_seats_match_holding_baskets_and_barcodes(client: httpx.Client, sandbox: SandboxHandle) -> None:
    orders = all_pages(client, "/orders")
    held: dict[int, int] = defaultdict(int)
    valid: dict[int, int] = defaultdict(int)
    for order in orders:
        for basket in order["baskets"]:
            status = wire_status(order, basket)
            if status in ("paid", "unpaid"):
                held[basket["show_id"]] += basket["quantity"]
            if status == "paid":
                valid[basket["show_id"]] += 1
    for row in sandbox.truth()["fact_inventory_latest"][:10]:
        assert row["tickets_sold"] == held[row["show_id"]]
        assert len(client.get(f"/shows/{row['show_id']}/barcodes").json()) == valid[row["show_id"]]


def test_sales_and_revenue_match_served_orders(client: httpx.Client, sandbox: SandboxHandle) -> None:
    truth = sandbox.truth()
    orders = all_pages(client, "/orders")
    baskets = [(o, b) for o in orders for b in o["baskets"]]
    assert len(truth["fact_sales"]) == len(baskets)
    statuses = {b["id"]: wire_status(o, b) for o, b in baskets}
    assert {r["basket_id"]: r["status"] for r in truth["fact_sales"]} == statuses
    assert set(statuses.values()) == {"paid", "unpaid", "cancelled", "refunded"}
    revenue: dict[int, Decimal] = defaultdict(Decimal)
    for order, basket in baskets:
        if statuses[basket["id"]] == "paid":
            revenue[order["event_id"]] += Decimal(str(basket["price"]))
    for row in truth["v_sales_dashboard"]:
        assert Decimal(row["revenue_total"]) == revenue[row["event_id"]]
    # Kopecks exist, so a float sum would drift.
    assert any(Decimal(r["price"]) % 1 for r in truth["fact_sales"])


def test_dashboard_has_today_and_14_day_sales(sandbox: SandboxHandle) -> None:
    rows = sandbox.truth(as_of=sandbox.world.anchor)["v_sales_dashboard"]
    today = sum(r["tickets_sold_today"] for r in rows)
    fortnight = sum(r["tickets_sold_14d"] for r in rows)
    total = sum(r["tickets_sold_total"] for r in rows)
    assert 0 < today < fortnight < total
    cities = {r["city_name"] for r in rows if r["tickets_sold_today"] > 0}
    assert len(cities) >= 3


def test_dim_events_dates_come_from_live_shows(client: httpx.Client, sandbox: SandboxHandle) -> None:
    served = {e["id"]: e for e in all_pages(client, "/events")}
    dims = sandbox.truth()["dim_events"]
    assert len(dims) == len(served) == 25
    assert sum(d["starts_at"] is None for d in dims) == 2  # no show at all; every show deleted
    for dim in dims:
        live = [s for s in served[dim["event_id"]]["shows"] if s["deleted_at"] is None]
        if live:
            first = min(datetime.fromisoformat(s["start_date"]) for s in live)
            assert dim["starts_at"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(first.timestamp()))
        assert dim["city_name"] == served[dim["event_id"]]["city"]["name"]


def test_nothing_is_timestamped_after_the_wall_clock(client: httpx.Client) -> None:
    now = time.time()
    for order in all_pages(client, "/orders"):
        stamps = [order["created_at"], order["updated_at"], order["payed_at"], order["deleted_at"]]
        stamps += [b["refunded_at"] for b in order["baskets"]]
        assert all(datetime.fromisoformat(s).timestamp() <= now for s in stamps if s)


def test_advance_changes_the_truth_as_expected() -> None:
    with run_sandbox(size="small", seed=3) as sb:
        before = sb.truth()
        headers = {"Authorization": f"Bearer {sb.token}"}
        max_id = max(o.id for o in sb.world.orders)
        summary = sb.advance(new_orders=5, refunds=3, cancellations=2, seed=7)
        after = sb.truth()
        assert len(summary["new_order_ids"]) == 5 and min(summary["new_order_ids"]) > max_id
        sales = {r["basket_id"]: r for r in after["fact_sales"]}
        assert all(sales[b]["status"] == "refunded" for b in summary["refunded_basket_ids"])
        cancelled = set(summary["cancelled_order_ids"])
        assert all(r["status"] == "cancelled" for r in after["fact_sales"] if r["order_id"] in cancelled)
        new_rows = [r for r in after["fact_sales"] if r["order_id"] in set(summary["new_order_ids"])]
        assert new_rows and all(r["status"] == "paid" for r in new_rows)
        new_tickets = sum(r["quantity"] for r in new_rows)
        gone = [r for r in before["fact_sales"] if r["basket_id"] in set(summary["refunded_basket_ids"])]
        gone += [r for r in before["fact_sales"] if r["order_id"] in cancelled and r["status"] in ("paid", "unpaid")]
        sold = sum(r["tickets_sold"] for r in after["fact_inventory_latest"])
        sold_before = sum(r["tickets_sold"] for r in before["fact_inventory_latest"])
        live_shows = {r["show_id"] for r in after["fact_inventory_latest"]}
        released = sum(r["quantity"] for r in {r["basket_id"]: r for r in gone}.values() if r["show_id"] in live_shows)
        assert sold == sold_before + new_tickets - released
        with httpx.Client(base_url=sb.base_url, headers=headers) as c:
            changed = get(c, "/orders", {"where": [{"column": "updated_at", "operator": ">=", "value": summary["now"]}]})
            expected = set(summary["new_order_ids"]) | cancelled
            expected |= sales_orders(after, summary["refunded_basket_ids"])
            assert {o["id"] for o in changed.json()["data"]} >= expected


def sales_orders(truth: dict[str, Any], basket_ids: list[int]) -> set[int]:
    wanted = set(basket_ids)
    return {r["order_id"] for r in truth["fact_sales"] if r["basket_id"] in wanted}
