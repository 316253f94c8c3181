"""Local days are the event city's calendar days, on both sides of its midnight, in any zone.

The anchor, 2026-09-21T16:30Z, is 02:30 on the 22nd in Vladivostok (UTC+10) and 00:30 on the 22nd
in Irkutsk (UTC+8), but still the 21st in UTC and in Moscow (19:30): tickets paid in the last hours
fall on either side of a local midnight that neither UTC nor Moscow time has reached.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from qtickets_assets.sandbox.render import msk
from qtickets_assets.sandbox.testing import SandboxHandle, run_sandbox
from qtickets_assets_tests.sandbox.conftest import all_pages, authorised, wire_status

ANCHOR = int(datetime(2026, 9, 21, 16, 30, tzinfo=UTC).timestamp())
ZONES = ("Asia/Vladivostok", "Asia/Irkutsk")
HOURS = 12  # the window of payments looked at, before the anchor


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[SandboxHandle, list[dict[str, Any]], dict[int, dict[str, Any]]]]:
    """The medium world at ANCHOR, its events, the orders paid in the last HOURS (filtered on the wire)."""
    with (
        run_sandbox(size="medium", seed=1, anchor=ANCHOR) as sb,
        authorised(sb, timeout=60) as c,
    ):
        where = [{"column": "payed_at", "operator": ">=", "value": msk(ANCHOR - HOURS * 3600)}]
        orders = all_pages(c, "/orders", {"where": where})
        events = {e["id"]: e for e in all_pages(c, "/events")}
        yield sb, orders, events


def test_paid_date_and_days_before_show_follow_the_city_midnight(
    world: tuple[SandboxHandle, list[dict[str, Any]], dict[int, dict[str, Any]]],
) -> None:
    sb, orders, events = world
    rows = {r["basket_id"]: r for r in sb.truth(as_of=ANCHOR)["v_sales"]}
    shows = {s["id"]: s for e in events.values() for s in e["shows"]}
    sides: Counter[tuple[str, str]] = Counter()
    for order in orders:
        tz_name = events[order["event_id"]]["city"]["timezone"]
        if tz_name not in ZONES:
            continue
        zone, paid = ZoneInfo(tz_name), datetime.fromisoformat(order["payed_at"])
        midnight = datetime(2026, 9, 22, tzinfo=zone)
        side, day = ("after", "2026-09-22") if paid >= midnight else ("before", "2026-09-21")
        assert paid.astimezone(UTC).date() == date(2026, 9, 21)  # the UTC day is the 21st
        assert paid.astimezone(ZoneInfo("Europe/Moscow")).date() == date(2026, 9, 21)  # and Moscow's
        for basket in order["baskets"]:
            row = rows[basket["id"]]
            show_day = datetime.fromisoformat(shows[basket["show_id"]]["start_date"]).astimezone(zone).date()
            assert row["paid_date_local"] == day, (tz_name, order["payed_at"])
            assert row["days_before_show"] == (show_day - date.fromisoformat(day)).days
            sides[(tz_name, side)] += 1
    assert sides == {
        ("Asia/Vladivostok", "before"): 72,
        ("Asia/Vladivostok", "after"): 144,
        ("Asia/Irkutsk", "before"): 50,
        ("Asia/Irkutsk", "after"): 70,
    }


def test_daily_rows_split_at_the_city_midnight(
    world: tuple[SandboxHandle, list[dict[str, Any]], dict[int, dict[str, Any]]],
) -> None:
    """v_sales_daily's 22nd: the tickets paid after the city's midnight, in the cities that reached it."""
    sb, orders, events = world
    expected: Counter[str] = Counter()
    for order in orders:
        zone = ZoneInfo(events[order["event_id"]]["city"]["timezone"])
        if datetime.fromisoformat(order["payed_at"]).astimezone(zone).date() == date(2026, 9, 22):
            paid = (b["quantity"] for b in order["baskets"] if wire_status(order, b) == "paid")
            expected[events[order["event_id"]]["city"]["timezone"]] += sum(paid)
    got: Counter[str] = Counter()
    for row in sb.truth(as_of=ANCHOR)["v_sales_daily"]:
        if row["date_local"] == "2026-09-22":
            got[events[row["event_id"]]["city"]["timezone"]] += row["tickets_paid"]
    assert +got == +expected
    assert set(+got) == {"Asia/Vladivostok", "Asia/Irkutsk"}  # the only zones past midnight at 16:30Z
