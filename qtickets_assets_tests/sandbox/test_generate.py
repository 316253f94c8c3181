"""Generated worlds: sizes, determinism, internal consistency, and the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import httpx
import pytest

from qtickets_assets.sandbox.generate import generate_world
from qtickets_assets.sandbox.model import World, holds_seat, seat_free
from qtickets_assets.sandbox.testing import run_sandbox

ANCHOR = 1_790_000_000  # a fixed instant (2026-09-21) for byte-level determinism
PYTHON = sys.executable


def shape(world: World) -> tuple[int, int, int]:
    return len(world.events), sum(len(e.shows) for e in world.events), len(world.orders)


def assert_consistent(world: World) -> None:
    """Seats free = max − tickets held by live baskets; ids ascend with created_at; nothing after now;
    only valid tickets scanned; a refund is the price less its deduction; codes of the order's discount."""
    held: dict[tuple[int, str], int] = {}
    codes = {p.id: p for p in world.promo_codes}
    for order in world.orders:
        for basket in order.baskets:
            if holds_seat(order, basket):
                key = (basket.show_id, basket.seat_root_id)
                held[key] = held.get(key, 0) + basket.quantity
            if basket.checked_at is not None:
                assert order.payed and holds_seat(order, basket)
                assert basket.checked_at <= min(basket.updated_at, order.updated_at)
            if basket.refunded_amount is not None:
                assert basket.refunded_amount + (basket.refunded_deduction or 0) == basket.price
            assert max(basket.updated_at, basket.checked_at or 0, basket.refunded_at or 0) <= world.now
        if order.promo_code_id is not None:
            assert codes[order.promo_code_id].discount_id == order.discount_id
        assert max(order.updated_at, order.payed_at or 0, order.deleted_at or 0) <= world.now
    for event in world.events:
        for show in event.shows:
            for zone in event.venue.layout.zones:
                for seat in zone.seats:
                    if not seat.disabled:
                        free = seat_free(show, seat)
                        assert free == seat.max_quantity - held.get((show.id, seat.root_id), 0) >= 0
    created = [(o.created_at, o.id) for o in world.orders]
    assert created == sorted(created)


def test_small_and_medium_sizes_and_consistency() -> None:
    small = generate_world("small", 1, ANCHOR)
    assert shape(small)[:2] == (25, 60) and 1_400 <= shape(small)[2] <= 1_500
    assert_consistent(small)
    medium = generate_world("medium", 2, ANCHOR)
    assert shape(medium)[:2] == (120, 400) and 19_000 <= shape(medium)[2] <= 20_000
    assert_consistent(medium)


@pytest.mark.slow
def test_large_has_its_documented_shape() -> None:
    # No time bound: timings live in bench/ (a slow or shared machine failed a 20 s bound here).
    large = generate_world("large", 1, ANCHOR)
    assert shape(large)[:2] == (250, 1_200) and 115_000 <= shape(large)[2] <= 120_000


def test_world_has_every_kind_of_row() -> None:
    world = generate_world("small", 1, ANCHOR)
    assert any(e.deleted_at for e in world.events)
    assert any(s.deleted_at for e in world.events for s in e.shows)
    assert any(s.start < ANCHOR for e in world.events for s in e.shows)
    assert any(s.start > ANCHOR for e in world.events for s in e.shows)
    assert len({e.city.timezone for e in world.events}) >= 8
    assert any(o.utm for o in world.orders) and any(not o.utm for o in world.orders)
    assert any(o.discount_id and any(b.price % 100 for b in o.baskets) for o in world.orders)
    assert any(b.deleted_at and not o.deleted_at for o in world.orders for b in o.baskets)
    assert any(not o.payed and not o.deleted_at for o in world.orders)  # live reservations
    assert any(o.site is None and o.payment_type_id is None for o in world.orders)  # the box office
    assert any(b.service_fee for o in world.orders for b in o.baskets)
    assert any(b.checked_at for o in world.orders for b in o.baskets)
    assert any(b.refunded_deduction for o in world.orders for b in o.baskets)
    assert any(d.deleted_at for d in world.discounts) and any(d.active_to for d in world.discounts)


def fetch(size: str, seed: int) -> list[bytes]:
    with (
        run_sandbox(size=size, seed=seed, anchor=ANCHOR) as sb,
        httpx.Client(base_url=sb.base_url, headers={"Authorization": f"Bearer {sb.token}"}) as c,
    ):
        show_id = sb.world.events[3].shows[0].id
        return [
            c.get("/events").content,
            c.request("GET", "/orders", json={"page": 3}).content,
            c.request("GET", f"/shows/{show_id}/seats", json={"flat": True}).content,
        ]


def test_same_seed_and_anchor_give_the_same_bytes() -> None:
    first = fetch("small", 5)
    assert fetch("small", 5) == first
    assert fetch("small", 6)[1] != first[1]


def test_cli_serves_until_sigterm_and_never_prints_the_token() -> None:
    env = {**os.environ, "QTICKETS_TOKEN": "cli-secret-token"}
    proc = subprocess.Popen(
        [PYTHON, "-m", "qtickets_assets.sandbox", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("sandbox listening on http://127.0.0.1:") and line.endswith("/api/rest/v1")
        url = line.removeprefix("sandbox listening on ")
        assert (
            httpx.get(f"{url}/events", headers={"Authorization": "Bearer cli-secret-token"}).status_code
            == 200
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert "cli-secret-token" not in line + out + err


def test_cli_truth_prints_json() -> None:
    done = subprocess.run(
        [
            PYTHON,
            "-m",
            "qtickets_assets.sandbox",
            "truth",
            "--size",
            "small",
            "--seed",
            "1",
            "--anchor",
            str(ANCHOR),
            "--as-of",
            str(ANCHOR),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    truth = json.loads(done.stdout)
    assert len(truth["dim_events"]) == 25
    assert truth["dim_events"][0]["city_name"] == "Томск"
