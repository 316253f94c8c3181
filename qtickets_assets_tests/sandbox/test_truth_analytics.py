"""The analytics part of the truth agrees with a recount from the wire (zoneinfo, Decimal, no sandbox code).

Every column of every new row is recomputed here from the served pages (conftest's `served`, the
small world at a fixed anchor), so a truth that drifted from what the API says would fail.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from qtickets_assets.sandbox.testing import SandboxHandle
from qtickets_assets.sandbox.truth.formats import rubles, utc
from qtickets_assets_tests.sandbox.conftest import ANCHOR, Served, get, recount, wire_status

FACT_COLUMNS = [
    "basket_id", "order_id", "event_id", "show_id", "created_at", "paid_at", "status", "quantity",
    "price", "currency", "utm_source", "utm_medium", "utm_campaign",
]  # fmt: skip
NEW_FACT_COLUMNS = [
    "original_price", "discount_amount", "service_fee", "discount_id", "promo_code_id", "ticket_name",
    "payment_type", "site_host", "utm_content", "utm_term", "refunded_at", "refunded_amount",
    "cancelled_at", "checked_at", "created_date_local", "paid_date_local", "refunded_date_local",
    "tariff_name", "zone_name", "local_zone",
]  # fmt: skip
VIEW_COLUMNS = [
    "days_before_show", "event_name", "city_name", "city_timezone", "venue_name", "show_starts_at",
    "show_date_local", "show_time_local", "promo_code", "discount_name",
]  # fmt: skip
SOURCE_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "promo_code", "payment_type", "site_host")


def parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


def as_utc(stamp: str | None) -> str | None:
    return None if stamp is None else parse(stamp).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_date(stamp: str | None, zone: ZoneInfo) -> str | None:
    return None if stamp is None else parse(stamp).astimezone(zone).date().isoformat()


def rub(value: Any) -> str:
    return f"{Decimal(str(value or 0)):.2f}"


def zone_of(served: Served, order: dict[str, Any]) -> ZoneInfo:
    return ZoneInfo(served.events[order["event_id"]]["city"]["timezone"])


def days_between(later: str, earlier: str) -> int:
    return (date.fromisoformat(later) - date.fromisoformat(earlier)).days


def new_columns(served: Served, order: dict[str, Any], basket: dict[str, Any]) -> dict[str, Any]:
    """fact_sales's new columns of one basket, from its order and basket as served."""
    zone, utm = zone_of(served, order), order["utm"] or {}
    paid = local_date(order["payed_at"], zone) if order["payed"] else None
    # The hall zone's name is the label the show's scheme gives the zone of the ticket's seat.
    hall_zone = basket["seat_id"].rsplit("-", 1)[0]
    zone_name = served.shows[basket["show_id"]]["scheme_properties"]["zones"][hall_zone]["label"]
    return {
        "original_price": rub(basket["original_price"]),
        "discount_amount": rub(basket["discount_value"]),
        "service_fee": rub(basket["service_fee_amount"]),
        "discount_id": order["discount_id"],
        "promo_code_id": order["promo_code_id"],
        "ticket_name": basket["seat_name"],
        "payment_type": order["payment_type_id"] or "",
        "site_host": order["site"]["host"] if order["site"] else "",
        "utm_content": utm.get("utm_content", ""),
        "utm_term": utm.get("utm_term", ""),
        "refunded_at": as_utc(basket["refunded_at"]),
        "refunded_amount": rub(basket["refunded_amount"]),
        "cancelled_at": as_utc(basket["deleted_at"] or order["deleted_at"]),
        "checked_at": as_utc(basket["checked_at"]),
        "created_date_local": local_date(basket["created_at"], zone),
        "paid_date_local": paid,
        "refunded_date_local": local_date(basket["refunded_at"], zone),
        "tariff_name": basket["multiprice_code"] or zone_name,
        "zone_name": zone_name,
        "local_zone": zone.key,
    }


def view_columns(served: Served, order: dict[str, Any], basket: dict[str, Any]) -> dict[str, Any]:
    event, show = served.events[order["event_id"]], served.shows[basket["show_id"]]
    zone = zone_of(served, order)
    code, discount = order["promo_code_id"], order["discount_id"]
    paid, show_day = (
        local_date(order["payed_at"], zone) if order["payed"] else None,
        local_date(show["start_date"], zone),
    )
    assert show_day is not None
    return {
        "days_before_show": None if paid is None else days_between(show_day, paid),
        "event_name": event["name"],
        "city_name": event["city"]["name"],
        "city_timezone": event["city"]["timezone"],
        "venue_name": event["place_name"],
        "show_starts_at": as_utc(show["start_date"]),
        "show_date_local": show_day,
        "show_time_local": parse(show["start_date"]).astimezone(zone).strftime("%H:%M"),
        "promo_code": served.promo_codes[code]["code"] if code else "",
        "discount_name": served.discounts[discount]["name"] if discount else "",
    }


@pytest.fixture(scope="module")
def truth(anchored: SandboxHandle) -> dict[str, list[dict[str, Any]]]:
    return anchored.truth(as_of=ANCHOR)


def test_truth_has_every_key(truth: dict[str, list[dict[str, Any]]]) -> None:
    assert list(truth) == [
        "dim_events", "dim_discounts", "dim_promo_codes", "fact_inventory_latest", "fact_sales",
        "v_sales_dashboard", "v_sales", "v_sales_daily", "v_show_attendance", "v_sales_pace",
        "v_sales_by_source",
    ]  # fmt: skip
    assert {k: len(v) for k, v in truth.items()} == {
        "dim_events": 25, "dim_discounts": 6, "dim_promo_codes": 40, "fact_inventory_latest": 48,
        "fact_sales": 2891, "v_sales_dashboard": 22, "v_sales": 2891, "v_sales_daily": 840,
        "v_show_attendance": 60, "v_sales_pace": 631, "v_sales_by_source": 1135,
    }  # fmt: skip


def test_fact_sales_new_columns_are_the_wire_recounted(
    truth: dict[str, list[dict[str, Any]]], served: Served
) -> None:
    rows = {r["basket_id"]: r for r in truth["fact_sales"]}
    assert all(list(r) == FACT_COLUMNS + NEW_FACT_COLUMNS for r in rows.values())
    assert len(rows) == sum(1 for _ in served.baskets())
    for order, basket in served.baskets():
        row = rows[basket["id"]]
        assert {k: row[k] for k in NEW_FACT_COLUMNS} == new_columns(served, order, basket), basket["id"]
        assert row["status"] == wire_status(order, basket)
    # Every new column takes more than one value in this world.
    for column in NEW_FACT_COLUMNS:
        assert len({r[column] for r in rows.values()}) > 1, column


def test_v_sales_is_fact_sales_with_event_show_and_names(
    truth: dict[str, list[dict[str, Any]]], served: Served
) -> None:
    facts = {r["basket_id"]: r for r in truth["fact_sales"]}
    views = {r["basket_id"]: r for r in truth["v_sales"]}
    assert len(views) == len(facts)
    for order, basket in served.baskets():
        # v_sales says the zone of the _local days once, as city_timezone (the event's zone now).
        fact = {k: v for k, v in facts[basket["id"]].items() if k != "local_zone"}
        assert views[basket["id"]] == {**fact, **view_columns(served, order, basket)}
        assert views[basket["id"]]["city_timezone"] == facts[basket["id"]]["local_zone"]
    assert len({r["promo_code"] for r in views.values()}) == 20  # 19 codes used, and ""
    assert len({r["discount_name"] for r in views.values()}) == 5  # 4 discounts used, and ""


def test_dims_of_discounts_and_promo_codes(truth: dict[str, list[dict[str, Any]]], served: Served) -> None:
    assert truth["dim_discounts"] == [
        {
            "discount_id": d["id"], "name": d["name"], "type": d["type"], "is_active": d["is_active"],
            "active_from": as_utc(d["active_from"]), "active_to": as_utc(d["active_to"]),
            "is_deleted": int(d["deleted_at"] is not None),
        }
        for d in served.discounts.values()
    ]  # fmt: skip
    assert truth["dim_promo_codes"] == [
        {
            "promo_code_id": p["id"], "code": p["code"], "discount_id": p["discount_id"],
            "is_active": p["is_active"], "max_uses_count": p["max_uses_count"],
            "active_from": as_utc(p["active_from"]), "active_to": as_utc(p["active_to"]),
            "is_deleted": int(p["deleted_at"] is not None),
        }
        for p in served.promo_codes.values()
    ]  # fmt: skip


def daily_recount(served: Served) -> dict[tuple[int, int, str], list[Any]]:
    """(event, show, local day) -> [tickets paid, revenue, tickets refunded, amount refunded,
    paid tickets cancelled without a refund, their price]."""
    sums: dict[tuple[int, int, str], list[Any]] = defaultdict(
        lambda: [0, Decimal(0), 0, Decimal(0), 0, Decimal(0)]
    )
    for order, basket in served.baskets():
        columns = new_columns(served, order, basket)
        key = (order["event_id"], basket["show_id"])
        if wire_status(order, basket) == "paid":
            acc = sums[(*key, columns["paid_date_local"])]
            acc[0] += basket["quantity"]
            acc[1] += Decimal(str(basket["price"]))
        if basket["refunded_at"]:
            acc = sums[(*key, columns["refunded_date_local"])]
            acc[2] += basket["quantity"]
            acc[3] += Decimal(str(basket["refunded_amount"]))
        elif wire_status(order, basket) == "cancelled" and order["payed"]:
            deleted = basket["deleted_at"] or order["deleted_at"]
            acc = sums[(*key, local_date(deleted, zone_of(served, order)))]
            acc[4] += basket["quantity"]
            acc[5] += Decimal(str(basket["price"]))
    return sums


def test_v_sales_daily_is_the_wire_recounted(truth: dict[str, list[dict[str, Any]]], served: Served) -> None:
    expected = []
    for (event_id, show_id, day), sums in sorted(daily_recount(served).items()):
        paid, revenue, refunded, amount, cancelled, lost = sums
        zone = ZoneInfo(served.events[event_id]["city"]["timezone"])
        show_day = local_date(served.shows[show_id]["start_date"], zone)
        assert show_day is not None
        expected.append({
            "event_id": event_id, "show_id": show_id, "date_local": day,
            "days_before_show": days_between(show_day, day), "tickets_paid": paid,
            "revenue_paid": f"{revenue:.2f}", "tickets_refunded": refunded,
            "amount_refunded": f"{amount:.2f}", "tickets_cancelled": cancelled,
            "amount_cancelled": f"{lost:.2f}",
        })  # fmt: skip
    assert truth["v_sales_daily"] == expected
    assert sum(r["tickets_cancelled"] for r in expected) > 0  # paid, then cancelled with nothing back
    assert any(r["tickets_refunded"] and not r["tickets_paid"] for r in expected)  # refund-only days
    assert any(r["days_before_show"] < 0 for r in expected)  # refunds after a show


def test_v_show_attendance_is_the_wire_recounted(
    truth: dict[str, list[dict[str, Any]]], served: Served, anchored_client: httpx.Client
) -> None:
    paid: dict[int, int] = defaultdict(int)
    scans: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for order, basket in served.baskets():
        if wire_status(order, basket) == "paid":
            paid[basket["show_id"]] += basket["quantity"]
            if basket["checked_at"]:
                scans[basket["show_id"]].append((as_utc(basket["checked_at"]) or "", basket["quantity"]))
    live, deleted = [], []
    for event in served.events.values():
        for show in event["shows"]:
            is_deleted = int(event["deleted_at"] is not None or show["deleted_at"] is not None)
            if is_deleted and not paid[show["id"]]:
                continue
            seats = (
                {}
                if is_deleted
                else get(anchored_client, f"/shows/{show['id']}/seats", {"flat": True}).json()["data"]
            )
            scanned, stamps = sum(q for _, q in scans[show["id"]]), [t for t, _ in scans[show["id"]]]
            (deleted if is_deleted else live).append({
                "event_id": event["id"], "show_id": show["id"], "is_deleted": is_deleted,
                "show_starts_at": as_utc(show["start_date"]),
                "capacity": recount(seats)[0] if seats else 0, "tickets_paid": paid[show["id"]],
                "tickets_scanned": scanned,
                "share_scanned": scanned / paid[show["id"]] if paid[show["id"]] else None,
                "first_scan_at": min(stamps, default=None), "last_scan_at": max(stamps, default=None),
            })  # fmt: skip
    expected = live + sorted(deleted, key=lambda r: r["show_id"])
    assert sorted(truth["v_show_attendance"], key=lambda r: (r["is_deleted"], r["show_id"])) == sorted(
        expected, key=lambda r: (r["is_deleted"], r["show_id"])
    )
    assert deleted, "deleted shows that still have paid tickets are listed"
    assert {r["first_scan_at"] is None for r in expected} == {True, False}  # shows to come, shows gone
    assert sum(r["tickets_scanned"] for r in expected) == 406


def test_v_sales_by_source_is_the_wire_recounted(
    truth: dict[str, list[dict[str, Any]]], served: Served
) -> None:
    sums: dict[tuple[Any, ...], list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    for order, basket in served.baskets():
        if wire_status(order, basket) != "paid":
            continue
        row = {**new_columns(served, order, basket), **view_columns(served, order, basket)}
        utm = order["utm"] or {}
        row |= {k: utm.get(k, "") for k in ("utm_source", "utm_medium", "utm_campaign")}
        acc = sums[(order["event_id"], row["paid_date_local"], *(row[f] for f in SOURCE_FIELDS))]
        acc[0] += basket["quantity"]
        acc[1] += Decimal(str(basket["price"]))
    expected = [
        {
            **dict(zip(("event_id", "date_local", *SOURCE_FIELDS), key, strict=True)),
            "tickets_paid": n,
            "revenue_paid": f"{revenue:.2f}",
        }
        for key, (n, revenue) in sorted(sums.items())
    ]
    assert truth["v_sales_by_source"] == expected
    assert {r["payment_type"] for r in expected} == {"", "card", "sbp", "4326371", "pushka_card", "invoice"}


def test_dashboard_is_the_sum_of_daily_sales(truth: dict[str, list[dict[str, Any]]], served: Served) -> None:
    """Per live event: total, today and 14 days of v_sales_dashboard = Σ v_sales_daily over those days."""
    sums: dict[int, list[Any]] = defaultdict(lambda: [0, Decimal(0), 0, Decimal(0), 0, Decimal(0)])
    for row in truth["v_sales_daily"]:
        zone = ZoneInfo(served.events[row["event_id"]]["city"]["timezone"])
        ago = (datetime.fromtimestamp(ANCHOR, zone).date() - date.fromisoformat(row["date_local"])).days
        acc = sums[row["event_id"]]
        for slot in (0, 2) if ago == 0 else (0,):
            acc[slot] += row["tickets_paid"]
            acc[slot + 1] += Decimal(row["revenue_paid"])
        if 0 <= ago < 14:
            acc[4] += row["tickets_paid"]
            acc[5] += Decimal(row["revenue_paid"])
    dashboard = truth["v_sales_dashboard"]
    for row in dashboard:
        total, revenue, today, revenue_today, fortnight, revenue_14d = sums[row["event_id"]]
        assert (row["tickets_sold_total"], Decimal(row["revenue_total"])) == (total, revenue)
        assert (row["tickets_sold_today"], Decimal(row["revenue_today"])) == (today, revenue_today)
        assert (row["tickets_sold_14d"], Decimal(row["revenue_14d"])) == (fortnight, revenue_14d)
    live = {r["event_id"] for r in dashboard}
    assert any(acc[0] for e, acc in sums.items() if e not in live)  # v_sales_daily has deleted events too
    assert sum(r["tickets_sold_today"] for r in dashboard) > 0


def test_local_days_differ_from_utc_days(truth: dict[str, list[dict[str, Any]]]) -> None:
    """Not a formality: in this world many tickets' local day is not their UTC day."""
    rows = truth["fact_sales"]
    assert sum(r["paid_at"] is not None and r["paid_at"][:10] != r["paid_date_local"] for r in rows) == 640


def test_rubles_and_utc_spell_what_integer_arithmetic_and_strftime_do() -> None:
    rng = random.Random(5)
    kopecks = [0, 1, -1, 5, 99, 100, 10**15 - 1, -(10**15 - 1), 10**15, -(10**17) - 7]
    kopecks += [rng.randrange(-(10**15), 10**15) for _ in range(50_000)]
    kopecks += [rng.randrange(-(10**7), 10**7) for _ in range(50_000)]
    for k in kopecks:
        sign = "-" if k < 0 else ""
        assert rubles(k) == f"{sign}{abs(k) // 100}.{abs(k) % 100:02d}", k
    stamps = [0, 86399, -1, ANCHOR] + [rng.randrange(-(10**9), 4 * 10**9) for _ in range(50_000)]
    for ts in stamps:
        assert utc(ts) == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts)), ts
    assert utc(None) is None


def test_v_sales_pace_is_the_daily_paid_tickets_summed_up(
    truth: dict[str, list[dict[str, Any]]], served: Served, anchored_client: httpx.Client
) -> None:
    """Per live show, each local day of payment and the running total of tickets still paid."""
    live = {
        show["id"]
        for event in served.events.values()
        for show in event["shows"]
        if event["deleted_at"] is None and show["deleted_at"] is None
    }
    capacity = {r["show_id"]: r["capacity"] for r in truth["v_show_attendance"] if r["show_id"] in live}
    expected, so_far = [], defaultdict(int)
    for (event_id, show_id, day), sums in sorted(
        daily_recount(served).items(), key=lambda kv: (kv[0][1], kv[0][2])
    ):
        if show_id not in live or not sums[0]:
            continue
        so_far[show_id] += sums[0]
        zone = ZoneInfo(served.events[event_id]["city"]["timezone"])
        show_day = local_date(served.shows[show_id]["start_date"], zone)
        assert show_day is not None
        expected.append({
            "event_id": event_id, "show_id": show_id, "date_local": day,
            "days_before_show": days_between(show_day, day), "tickets_paid": sums[0],
            "tickets_paid_cumulative": so_far[show_id], "capacity": capacity[show_id],
            "share_of_capacity": so_far[show_id] / capacity[show_id] if capacity[show_id] else None,
        })  # fmt: skip
    assert truth["v_sales_pace"] == expected
    assert (
        max(sum(1 for r in expected if r["show_id"] == show) for show in so_far) > 10
    )  # a curve, not a point
