"""The analytics fields of orders, baskets, discounts and promo codes, as the real API spells them.

One world at a fixed anchor (conftest's `served`), crawled once: the figures are that world's, exactly.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from decimal import Decimal
from typing import Any

from qtickets_assets_tests.sandbox.conftest import ANCHOR, Served, wire_status

HOUR = 3600
UTM_KEYS = {"utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"}
PAYMENT_TYPES = {"card", "sbp", "pushka_card", "4326371", "invoice"}
SEAT_LABEL = re.compile(r"^(Партер|Балкон): Ряд \d+, Место \d+$")
GA_TARIFFS = {"Взрослый билет", "Детский билет", "Семейный билет", "Танцевальный партер"}


def at(stamp: str) -> float:
    assert stamp.endswith("+03:00"), stamp  # every timestamp in Moscow time
    return datetime.fromisoformat(stamp).timestamp()


def money(value: Any) -> Decimal:
    assert type(value) in (int, float), value
    return Decimal(str(value))


def usable(offer: dict[str, Any], stamp: str) -> bool:
    """Live, switched on and within its window at that instant."""
    t = at(stamp)
    return (
        offer["deleted_at"] is None
        and offer["is_active"] == 1
        and at(offer["created_at"]) <= t
        and (offer["active_from"] is None or at(offer["active_from"]) <= t)
        and (offer["active_to"] is None or t <= at(offer["active_to"]))
    )


def test_sites_and_payment_types(served: Served) -> None:
    hosts: Counter[str | None] = Counter()
    for order in served.orders:
        site = order["site"]
        if site is None:
            assert order["site_id"] is None
        else:
            assert type(order["site_id"]) is int and site == {"id": order["site_id"], "host": site["host"]}
        hosts[None if site is None else site["host"]] += 1
        kind = order["payment_type_id"]
        assert kind is None or kind in PAYMENT_TYPES
        if kind is None:
            assert site is None and order["utm"] == []  # the box office: no site, no visit
        if kind not in ("card", "4326371", "pushka_card") or not order["payed"]:
            assert order["payment_card_number"] is None
    assert hosts == {
        "корпорация-кубиков.рф": 652, "qtickets.events": 460, "afisha-partner.ru": 228, None: 160
    }  # fmt: skip
    kinds = Counter(o["payment_type_id"] for o in served.orders)
    assert kinds == {"card": 845, "sbp": 238, "4326371": 152, "pushka_card": 115, None: 98, "invoice": 52}


def test_discounted_baskets_and_promo_codes_of_their_discount(served: Served) -> None:
    uses: Counter[int] = Counter()
    for order in served.orders:
        discount_id, code_id = order["discount_id"], order["promo_code_id"]
        for basket in order["baskets"]:
            original, price = money(basket["original_price"]), money(basket["price"])
            if discount_id is None:
                assert basket["discount_value"] is None and original == price
            else:
                assert money(basket["discount_value"]) == original - price > 0
        if discount_id is None:
            assert code_id is None
            continue
        discount = served.discounts[discount_id]
        assert usable(discount, order["created_at"])
        assert order["event_id"] in {e["id"] for e in discount["events"]}
        if code_id is not None:
            code = served.promo_codes[code_id]  # a served code...
            assert code["discount_id"] == discount_id  # ...of the order's own discount
            assert usable(code, order["created_at"])
            uses[code_id] += 1
    for code_id, n in uses.items():
        limit = served.promo_codes[code_id]["max_uses_count"]
        assert limit == 0 or n <= limit
    discounted = [o for o in served.orders if o["discount_id"] is not None]
    assert (len(discounted), sum(o["promo_code_id"] is not None for o in discounted)) == (116, 65)
    assert len(uses) == 19


def test_discounts_and_promo_codes_are_served_as_documented(served: Served) -> None:
    for d in served.discounts.values():
        assert set(d) == {
            "id", "is_active", "name", "active_from", "active_to", "type", "events", "shows",
            "created_at", "updated_at", "deleted_at",
        }  # fmt: skip
        assert d["type"] == "P" and d["is_active"] in (0, 1) and d["name"].startswith("Скидка ")
        assert d["is_active"] == int(d["deleted_at"] is None)
        for stamp in ("active_from", "active_to"):
            assert d[stamp] is None or at(d[stamp]) > 0
    for p in served.promo_codes.values():
        assert set(p) == {
            "id", "is_active", "type", "discount_id", "code", "max_uses_count", "active_from",
            "active_to", "created_at", "updated_at", "deleted_at",
        }  # fmt: skip
        assert p["type"] == 0 and type(p["max_uses_count"]) is int
        assert p["is_active"] == int(p["deleted_at"] is None)
        assert p["discount_id"] in served.discounts
        if served.discounts[p["discount_id"]]["deleted_at"]:
            assert p["deleted_at"]  # a deleted discount's codes go with it
    assert len({p["code"] for p in served.promo_codes.values()}) == len(served.promo_codes)
    windows = Counter(
        (d["active_from"] is not None, d["active_to"] is not None, d["deleted_at"] is not None)
        for d in served.discounts.values()
    )
    assert windows == {(False, False, False): 3, (True, True, False): 1, (False, False, True): 2}
    code_windows = Counter(
        (p["active_from"] is not None, p["active_to"] is not None, p["deleted_at"] is not None)
        for p in served.promo_codes.values()
    )
    assert code_windows[(True, True, False)] and code_windows[(True, False, False)]
    assert sum(n for (_, _, deleted), n in code_windows.items() if deleted) == 17


def test_ticket_names_read_as_tariffs_or_seat_labels(served: Served) -> None:
    tariffs: Counter[tuple[str | None, bool]] = Counter()
    for _, basket in served.baskets():
        name, code = basket["seat_name"], basket["multiprice_code"]
        if code is None:
            assert name in GA_TARIFFS
        else:
            assert code in ("full", "preferential") and SEAT_LABEL.match(name), name
        tariffs[(code, name in GA_TARIFFS)] += 1
    assert set(tariffs) == {(None, True), ("full", False), ("preferential", False)}


def test_service_fees_on_a_quarter_of_baskets(served: Served) -> None:
    charged = 0
    for _, basket in served.baskets():
        fee = basket["service_fee_amount"]
        if fee == 0:
            assert type(fee) is int
            continue
        charged += 1
        assert Decimal("0.02") <= money(fee) / money(basket["price"]) <= Decimal("0.071")
    assert (charged, sum(1 for _ in served.baskets())) == (726, 2891)
    assert any(money(b["service_fee_amount"]) % 1 for _, b in served.baskets())  # kopecks


def test_utm_is_an_object_or_an_empty_list(served: Served) -> None:
    sizes: Counter[int] = Counter()
    for order in served.orders:
        utm = order["utm"]
        assert utm == [] or (isinstance(utm, dict) and utm and set(utm) <= UTM_KEYS)
        assert all(isinstance(v, str) for v in (utm or {}).values())
        sizes[len(utm)] += 1
    assert sizes == {0: 888, 1: 97, 3: 209, 5: 306}


def test_refunds_carry_amounts_and_deductions(served: Served) -> None:
    deductions = []
    for order in served.orders:
        refunded = [b for b in order["baskets"] if b["refunded_at"]]
        for basket in order["baskets"]:
            if not basket["refunded_at"]:
                assert basket["refunded_amount"] is None and basket["refunded_deduction_amount"] is None
                assert basket["refunds"] == []
                continue
            amount, kept = money(basket["refunded_amount"]), money(basket["refunded_deduction_amount"])
            assert amount + kept == money(basket["price"])
            assert basket["refunds"] == [{"amount": basket["refunded_amount"]}]
            deductions.append(kept / money(basket["price"]))
        assert sorted((r["amount"], r["created_at"]) for r in order["refunds"]) == sorted(
            (b["refunded_amount"], b["refunded_at"]) for b in refunded
        )
    assert len(deductions) == 83 and sum(d == 0 for d in deductions) == 67
    assert all(d == 0 or abs(d - Decimal("0.1")) < Decimal("0.001") for d in deductions)


def test_only_valid_tickets_of_started_shows_are_scanned_near_the_start(served: Served) -> None:
    started = {
        s["id"]
        for e in served.events.values()
        if e["deleted_at"] is None
        for s in e["shows"]
        if s["deleted_at"] is None and at(s["start_date"]) <= ANCHOR
    }
    valid = scanned = 0
    for order, basket in served.baskets():
        checked = basket["checked_at"]
        if wire_status(order, basket) != "paid" or basket["show_id"] not in started:
            assert checked is None
            continue
        valid += 1
        if checked is None:
            continue
        scanned += 1
        start = at(served.shows[basket["show_id"]]["start_date"])
        assert start - HOUR <= at(checked) <= min(start + HOUR, ANCHOR)
        assert at(order["payed_at"]) <= at(checked) <= at(basket["updated_at"]) <= at(order["updated_at"])
    assert (valid, scanned) == (500, 397)
