"""The ground truth agrees with what the server serves, recounted here from the wire."""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from qtickets_assets.sandbox.generate import default_anchor
from qtickets_assets.sandbox.testing import SandboxHandle, run_sandbox
from qtickets_assets_tests.sandbox.conftest import ANCHOR, all_pages, authorised, get, recount, wire_status


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


def held(sales: list[dict[str, Any]], shows: set[int], baskets: set[int] | None = None) -> int:
    """Tickets that keep a seat (paid or reserved) on the given shows, optionally for some baskets only."""
    return sum(
        r["quantity"]
        for r in sales
        if r["status"] in ("paid", "unpaid")
        and r["show_id"] in shows
        and (baskets is None or r["basket_id"] in baskets)
    )


def test_advance_changes_the_truth_as_expected() -> None:
    # A minute back: orders paid last are stamped with the anchor, and an advance in that same
    # second would find them among the orders it changed (updated_at >= its now).
    with run_sandbox(size="small", seed=3, anchor=default_anchor() - 60) as sb:
        before = sb.truth()
        max_id = max(o.id for o in sb.world.orders)
        summary = sb.advance(new_orders=5, refunds=3, cancellations=2, seed=7)
        after = sb.truth()
        new_ids, cancelled = set(summary["new_order_ids"]), set(summary["cancelled_order_ids"])
        assert len(new_ids) == 5 and min(new_ids) > max_id
        assert len(summary["refunded_basket_ids"]) == 3 and len(cancelled) == 2
        status = {r["basket_id"]: r["status"] for r in after["fact_sales"]}
        assert all(status[b] == "refunded" for b in summary["refunded_basket_ids"])
        assert all(r["status"] == "cancelled" for r in after["fact_sales"] if r["order_id"] in cancelled)
        new_rows = [r for r in after["fact_sales"] if r["order_id"] in new_ids]
        assert new_rows and all(r["status"] == "paid" for r in new_rows)
        # Seats follow: sold = before + new tickets − tickets freed by the refunds and cancellations.
        live = {r["show_id"] for r in after["fact_inventory_latest"]}
        touched = set(summary["refunded_basket_ids"]) | {
            r["basket_id"] for r in before["fact_sales"] if r["order_id"] in cancelled
        }
        sold = {
            t: sum(r["tickets_sold"] for r in truth["fact_inventory_latest"])
            for t, truth in (("before", before), ("after", after))
        }
        expected = sold["before"] + held(new_rows, live) - held(before["fact_sales"], live, touched)
        assert sold["after"] == expected == held(after["fact_sales"], live)
        # Every changed order now carries updated_at = now, so a watermark crawl finds it.
        headers = {"Authorization": f"Bearer {sb.token}"}
        where = [{"column": "updated_at", "operator": ">=", "value": summary["now"]}]
        with httpx.Client(base_url=sb.base_url, headers=headers) as c:
            changed = {o["id"] for o in get(c, "/orders", {"where": where}).json()["data"]}
        refunded_orders = {
            r["order_id"] for r in after["fact_sales"] if r["basket_id"] in summary["refunded_basket_ids"]
        }
        assert changed == new_ids | cancelled | refunded_orders


def test_today_and_14d_follow_each_city_calendar(client: httpx.Client, sandbox: SandboxHandle) -> None:
    """Recount "today" and "14d" from the wire: paid tickets by paid_at's date in the event's zone."""
    as_of = sandbox.world.anchor
    events = all_pages(client, "/events")
    zones = {e["id"]: ZoneInfo(e["city"]["timezone"]) for e in events if e["deleted_at"] is None}
    today: dict[int, Decimal] = defaultdict(Decimal)
    fortnight: dict[int, Decimal] = defaultdict(Decimal)
    for order in all_pages(client, "/orders", {"where": [{"column": "payed", "value": 1}]}):
        tz = zones.get(order["event_id"])
        if tz is None:
            continue  # the dashboard shows live events only
        ago = (
            datetime.fromtimestamp(as_of, tz).date()
            - datetime.fromisoformat(order["payed_at"]).astimezone(tz).date()
        ).days
        for basket in order["baskets"]:
            if wire_status(order, basket) == "paid" and 0 <= ago < 14:
                fortnight[order["event_id"]] += Decimal(str(basket["price"]))
                today[order["event_id"]] += Decimal(str(basket["price"])) if ago == 0 else 0
    rows = sandbox.truth(as_of=as_of)["v_sales_dashboard"]
    assert {r["event_id"]: Decimal(r["revenue_today"]) for r in rows if r["revenue_today"] != "0.00"} == {
        k: v for k, v in today.items() if v
    }
    assert {r["event_id"]: Decimal(r["revenue_14d"]) for r in rows if r["revenue_14d"] != "0.00"} == {
        k: v for k, v in fortnight.items() if v
    }


def utc(ts: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def by_id(rows: list[dict[str, Any]], key: str) -> dict[Any, dict[str, Any]]:
    return {r[key]: r for r in rows}


def test_advance_scans_refunds_with_deductions_and_cancels_in_the_truth() -> None:
    with run_sandbox(size="small", seed=3, anchor=ANCHOR) as sb:
        now = ANCHOR + 2 * 3600
        before = sb.truth(as_of=now)
        summary = sb.advance(new_orders=4, refunds=12, cancellations=2, scans=6, seed=11, now=now)
        after = sb.truth(as_of=now)
        with authorised(sb) as c:
            where = [{"column": "updated_at", "operator": ">=", "value": summary["now"]}]
            changed = all_pages(c, "/orders", {"where": where})
    assert set(summary) == {
        "now", "new_order_ids", "refunded_basket_ids", "cancelled_order_ids", "scanned_basket_ids",
        "postponed_show_ids", "restored_order_ids", "moved_events", "dropped_basket_ids", "version",
    }  # fmt: skip
    old, new = by_id(before["fact_sales"], "basket_id"), by_id(after["fact_sales"], "basket_id")
    served = {b["id"]: (o, b) for o in changed for b in o["baskets"]}
    # Scans: a valid ticket gets checked_at = now, and both updated_at move, so a watermark sees it.
    scanned = summary["scanned_basket_ids"]
    assert len(scanned) == 6
    for basket_id in scanned:
        assert old[basket_id]["checked_at"] is None and old[basket_id]["status"] == "paid"
        assert new[basket_id]["checked_at"] == utc(now) and new[basket_id]["status"] == "paid"
        order, basket = served[basket_id]
        assert basket["checked_at"] == basket["updated_at"] == order["updated_at"] == summary["now"]
    attendance_before = by_id(before["v_show_attendance"], "show_id")
    for row in after["v_show_attendance"]:
        gained = sum(new[b]["quantity"] for b in scanned if new[b]["show_id"] == row["show_id"])
        assert row["tickets_scanned"] == attendance_before[row["show_id"]]["tickets_scanned"] + gained
        if gained:
            assert row["last_scan_at"] == utc(now)
    # Refunds: the amount is the price less what was kept back, on the wire and in v_sales_daily.
    refunded = summary["refunded_basket_ids"]
    kept = {b: Decimal(str(served[b][1]["refunded_deduction_amount"])) for b in refunded}
    assert len(refunded) == 12 and sum(k > 0 for k in kept.values()) == 1
    for basket_id in refunded:
        row = new[basket_id]
        assert (row["status"], row["refunded_at"], row["checked_at"]) == ("refunded", utc(now), None)
        assert Decimal(row["refunded_amount"]) == Decimal(row["price"]) - kept[basket_id]
    refunded_on: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for basket_id in refunded:
        key = (new[basket_id]["show_id"], new[basket_id]["refunded_date_local"])
        refunded_on[key] += Decimal(new[basket_id]["refunded_amount"])
    daily_before = {(r["show_id"], r["date_local"]): r for r in before["v_sales_daily"]}
    daily_after = {(r["show_id"], r["date_local"]): r for r in after["v_sales_daily"]}
    assert set(refunded_on) <= set(daily_after)
    for key, row in daily_after.items():
        moved = Decimal(row["amount_refunded"]) - Decimal(daily_before.get(key, {}).get("amount_refunded", 0))
        assert moved == refunded_on.get(key, 0), key
    # Cancellations and new orders: paid now, on today's date in the event's own zone.
    for order_id in summary["cancelled_order_ids"]:
        assert {r["cancelled_at"] for r in new.values() if r["order_id"] == order_id} == {utc(now)}
    fresh = [r for r in after["v_sales"] if r["order_id"] in set(summary["new_order_ids"])]
    assert len({r["city_timezone"] for r in fresh}) > 1
    for row in fresh:
        today = datetime.fromtimestamp(now, ZoneInfo(row["city_timezone"])).date()
        assert (row["paid_at"], row["paid_date_local"]) == (utc(now), today.isoformat())
        assert row["days_before_show"] == (date.fromisoformat(row["show_date_local"]) - today).days


def test_a_restored_order_is_paid_again_and_takes_its_seats_back() -> None:
    """advance(restorations=...) restores paid orders cancelled in an earlier step: served with
    deleted_at null and a new updated_at, their tickets paid in the truth, their seats taken again."""
    with run_sandbox(size="small", seed=3, anchor=ANCHOR) as sb:
        now = ANCHOR + 3600
        cancelled = sb.advance(cancellations=4, seed=2, now=now - 60)["cancelled_order_ids"]
        before = sb.truth(as_of=now)
        summary = sb.advance(restorations=len(cancelled) + 50, seed=2, now=now)
        after = sb.truth(as_of=now)
        with authorised(sb) as c:
            where = [{"column": "updated_at", "operator": ">=", "value": summary["now"]}]
            served = {o["id"]: o for o in all_pages(c, "/orders", {"where": where})}
    restored = set(summary["restored_order_ids"])
    assert len(restored) > 4 and restored & set(cancelled), "this world's cancellations and the step's"
    assert set(served) == restored
    assert {(o["deleted_at"], o["updated_at"]) for o in served.values()} == {(None, summary["now"])}
    old, new = by_id(before["fact_sales"], "basket_id"), by_id(after["fact_sales"], "basket_id")
    back = [b for b, row in new.items() if row["order_id"] in restored and old[b]["status"] != "refunded"]
    assert {old[b]["status"] for b in back} == {"cancelled"} and {new[b]["status"] for b in back} == {"paid"}
    starts = {row["basket_id"]: row["show_starts_at"] for row in after["v_sales"]}
    assert all(starts[b] > utc(now) for b in back), "only tickets of shows to come"
    seats = by_id(before["fact_inventory_latest"], "show_id")
    for row in after["fact_inventory_latest"]:
        taken = sum(new[b]["quantity"] for b in back if new[b]["show_id"] == row["show_id"])
        assert row["tickets_left"] == seats[row["show_id"]]["tickets_left"] - taken


def test_advance_scans_the_soonest_shows_once_started_ones_are_all_scanned() -> None:
    with run_sandbox(size="small", seed=3, anchor=ANCHOR) as sb:
        now = ANCHOR + 60
        truth = sb.truth(as_of=now)
        live = {r["show_id"] for r in truth["v_show_attendance"] if not r["is_deleted"]}
        valid = [
            r
            for r in truth["v_sales"]
            if r["status"] == "paid" and r["checked_at"] is None and r["show_id"] in live
        ]
        started = {r["basket_id"] for r in valid if r["show_starts_at"] <= utc(now)}
        upcoming = sorted(
            (r["show_starts_at"], r["basket_id"]) for r in valid if r["show_starts_at"] > utc(now)
        )
        summary = sb.advance(scans=len(started) + 3, seed=1, now=now)
    assert set(summary["scanned_basket_ids"]) == started | {b for _, b in upcoming[:3]}
    assert len(started) == 160


def test_a_postponed_show_moves_on_the_wire_and_in_the_truth() -> None:
    """advance(postpone_show_ids=...) moves the show 14 days on: the API serves the new start, and
    every ticket's days_before_show (v_sales) and the show's daily rows move by 14."""
    with run_sandbox(size="small", seed=3, anchor=ANCHOR) as sb:
        now = ANCHOR + 60
        before = sb.truth(as_of=now)
        show_id = min(r["show_id"] for r in before["v_sales"] if r["status"] == "paid")
        summary = sb.advance(postpone_show_ids=[show_id], now=now)
        after = sb.truth(as_of=now)
        with authorised(sb) as c:
            shows = {s["id"]: s for e in all_pages(c, "/events") for s in e["shows"]}
    assert summary["postponed_show_ids"] == [show_id]
    old_start = next(r["show_starts_at"] for r in before["v_sales"] if r["show_id"] == show_id)
    moved = datetime.fromisoformat(shows[show_id]["start_date"]) - datetime.fromisoformat(old_start)
    assert moved.days == 14 and moved.seconds == 0
    for view, key in (("v_sales", ("basket_id",)), ("v_sales_daily", ("show_id", "date_local"))):
        old = {
            tuple(r[k] for k in key): r["days_before_show"] for r in before[view] if r["show_id"] == show_id
        }
        new = {
            tuple(r[k] for k in key): r["days_before_show"] for r in after[view] if r["show_id"] == show_id
        }
        assert new == {k: None if d is None else d + 14 for k, d in old.items()}, view
