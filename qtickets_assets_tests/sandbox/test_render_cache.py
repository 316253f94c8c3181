"""The sandbox's render caches and fast encoders change no byte of what it answers.

The reference is the plain path: every item rendered for every request, encoded by `render.dumps`
(json.dumps, PHP style), seat offers made one by one by `seats.seat_offer`.
"""

from __future__ import annotations

import math
import random
import struct
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qtickets_assets.sandbox import api as api_module
from qtickets_assets.sandbox import resources
from qtickets_assets.sandbox.advance import advance
from qtickets_assets.sandbox.api import Api
from qtickets_assets.sandbox.generate import generate_world
from qtickets_assets.sandbox.model import World
from qtickets_assets.sandbox.render import dumps, fast_dumps, msk
from qtickets_assets.sandbox.seats import SHOW_KEYS, render_seats

CLIENT_SELECT = ["id", "root_id", "zone_root_id", "admission", "max_quantity", "free_quantity", "disabled"]


@pytest.fixture
def world() -> World:
    return generate_world("small", seed=7)


class Reference(Api):
    """Nothing rendered is kept, bodies come from the reference encoder, seat offers one by one."""

    def __init__(self, world: World, ignore_filters: bool = False, ignore_select: bool = False) -> None:
        super().__init__(world, ignore_filters, ignore_select, fragment_cache_bytes=0)

    def handle(self, *args: Any, **kwargs: Any) -> api_module.Response:
        saved, api_module.fast_dumps = api_module.fast_dumps, dumps
        try:
            return super().handle(*args, **kwargs)
        finally:
            api_module.fast_dumps = saved

    def _seat_body(self, show_id: int, flat: bool, select: tuple[str, ...] | None) -> bytes:
        show = self.world.shows_by_id[show_id]
        return dumps(render_seats(show, self.world.events_by_id[show.event_id], flat, select))  # no plans


def order_bodies(world: World) -> list[dict[str, Any] | None]:
    """Every list request the client sends, and a few it does not."""
    mid = world.orders[len(world.orders) // 2]
    since = msk(sorted(o.updated_at for o in world.orders)[len(world.orders) * 2 // 3])
    return [
        None,
        {"orderBy": {"id": "asc"}},
        {"orderBy": {"id": "asc"}, "where": [{"column": "id", "operator": ">", "value": mid.id}]},
        {"orderBy": {"id": "asc"}, "where": [{"column": "updated_at", "operator": ">=", "value": since}]},
        {"orderBy": {"id": "desc"}},
        {"orderBy": {"updated_at": "desc"}},
        {"where": [{"column": "payed", "value": 1}, {"column": "deleted_at", "operator": "null"}]},
    ]


def every_page(api: Api, route: str, body: dict[str, Any] | None) -> Iterator[tuple[dict[str, Any], bytes]]:
    page = 1
    while True:
        request = {**(body or {}), "page": page}
        response = api.handle(route, {}, request)
        assert response.status == 200
        yield request, response.body
        if page * 50 >= len(api.world.orders) + 50:  # one page past the end as well
            return
        page += 1


def assert_same_orders(cached: Api, reference: Api) -> int:
    pages = 0
    for body in order_bodies(cached.world):
        for request, answer in every_page(cached, "/orders", body):
            assert answer == reference.handle("/orders", {}, request).body, request
            pages += 1
    for order in cached.world.orders[::5]:
        path = f"/orders/{order.id}"
        assert cached.handle(path, {}, {}).body == reference.handle(path, {}, {}).body
    return pages


@pytest.fixture
def render_count(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many orders were rendered (the cache misses)."""
    calls = [0]
    real = resources.render_order

    def counting(order: Any) -> dict[str, Any]:
        calls[0] += 1
        return real(order)

    monkeypatch.setattr(resources, "render_order", counting)
    return calls


@pytest.mark.parametrize("ignore_filters", [False, True])
def test_order_pages_are_the_same_cold_warm_and_after_advance(
    world: World, render_count: list[int], ignore_filters: bool
) -> None:
    cached, reference = Api(world, ignore_filters), Reference(world, ignore_filters)
    cache = cached._fragments["orders"]

    assert_same_orders(cached, reference)  # cold, then warm within the same crawl
    assert len(cache) == len(world.orders)
    render_count[0] = 0
    assert_same_orders(cached, Api(world, ignore_filters))  # warm against a second, cold cache
    warm_misses = render_count[0]
    render_count[0] = 0
    for request, answer in every_page(cached, "/orders", {"orderBy": {"id": "asc"}}):
        assert cached.handle("/orders", {}, request).body == answer
    assert render_count[0] == 0, "a warm crawl renders nothing"
    assert warm_misses == len(world.orders)  # only the second Api's own cold renders

    changed = advance(world, new_orders=25, refunds=15, cancellations=10, seed=3)
    assert changed["new_order_ids"] and changed["refunded_basket_ids"] and changed["cancelled_order_ids"]
    assert_same_orders(cached, reference)  # every fragment of the old version dropped
    assert cache.version == world.version and len(cache) == len(world.orders)
    advance(world, refunds=5, cancellations=5, seed=4)
    assert_same_orders(cached, reference)


def test_the_fragment_cache_stays_within_its_budget(world: World) -> None:
    one = len(fast_dumps(resources.render_order(world.orders[0])))
    budget = 40 * (one + api_module.FRAGMENT_OVERHEAD)
    cached = Api(world, fragment_cache_bytes=budget)
    reference = Reference(world)
    assert_same_orders(cached, reference)
    cache = cached._fragments["orders"]
    assert 0 < len(cache) < len(world.orders) and cache.size <= budget
    advance(world, new_orders=5, refunds=5, seed=9)
    assert_same_orders(cached, reference)
    assert cache.size <= budget


def test_event_pages_and_other_lists_are_the_same(world: World) -> None:
    cached, reference = Api(world), Reference(world)
    for _ in range(2):
        for route in ("/events", "/clients", "/discounts", "/promo-codes"):
            for page in (1, 2, 3, 4):
                body = {"page": page, "orderBy": {"id": "desc"}}
                assert cached.handle(route, {}, body).body == reference.handle(route, {}, body).body
        for event in world.events:
            path = f"/events/{event.id}"
            assert cached.handle(path, {}, {}).body == reference.handle(path, {}, {}).body
        advance(world, new_orders=3, seed=5)


SELECTS: list[Any] = [
    None,
    CLIENT_SELECT,
    list(SHOW_KEYS),
    ["price", "name", "coords", "spread"],
    ["id", "root_id", "name"],  # no show-dependent key at all
    ["nope", 3],
    "id",
]


@pytest.mark.parametrize("ignore_select", [False, True])
def test_seat_maps_are_the_same_as_offers_made_one_by_one(world: World, ignore_select: bool) -> None:
    cached, reference = Api(world, ignore_select=ignore_select), Reference(world, ignore_select=ignore_select)
    selects = SELECTS[:2] if ignore_select else SELECTS
    for step in range(2):
        if step:  # sales move seats: the hall part is kept, the show part is not
            advance(world, new_orders=40, refunds=15, cancellations=15, seed=step)
        for show_id in list(world.shows_by_id)[::2]:
            for select in selects:
                for flat in (True, False):
                    body: dict[str, Any] = {"flat": flat}
                    if select is not None:
                        body["select"] = select
                    path = f"/shows/{show_id}/seats"
                    expected = reference.handle(path, {}, body).body
                    assert cached.handle(path, {}, body).body == expected, (step, show_id, body)
    assert cached._seat_plans  # the halls' offers were kept between shows


def test_fast_dumps_spells_numbers_like_dumps() -> None:
    rng = random.Random(11)
    floats = [0.0, -0.0, 1e-4, 9.999e-5, 1e-5, 1.5e-7, 5e-324, 1e15, 1e16, 1.5e16, 1e22, 1.79e308]
    for _ in range(20_000):
        value = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
        if math.isfinite(value):
            floats.append(value)
        floats.append(rng.random() * 10 ** rng.randrange(-9, 20))
        floats.append(rng.randrange(-(10**12), 10**12) / 100)  # money
    for chunk in range(0, len(floats), 100):
        sample = floats[chunk : chunk + 100]
        assert fast_dumps({"v": sample}) == dumps({"v": sample})
        for value in sample[:10]:
            assert fast_dumps(value) == dumps(value)
            assert fast_dumps([-value]) == dumps([-value])
    ints = [0, -1, 2**53 + 1, 2**63 - 1, -(2**63), 2**64, -(2**64) - 1, 10**30]
    assert fast_dumps(ints) == dumps(ints)


@settings(max_examples=400, deadline=None)
@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(),
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
        max_leaves=20,
    )
)
def test_fast_dumps_is_dumps_for_any_json_value(value: Any) -> None:
    assert fast_dumps(value) == dumps(value)


def test_fast_dumps_on_awkward_text() -> None:
    texts = [
        "".join(chr(c) for c in range(0x80)),
        "".join(chr(c) for c in range(0x80, 0x200)),
        "Привет/мир «ёлка» — №5",
        "é",
        "😀 astral",
        "\u2028\u2029\ufeff\uffff",
        "\ud800 lone surrogate",
        "a/b\\/c\\u0430",
        "e-5 0.00001 1e+16",
    ]
    for text in texts:
        assert fast_dumps({"k": text, text: [text]}) == dumps({"k": text, text: [text]})
    assert fast_dumps({1: "int key"}) == dumps({1: "int key"})


def test_msk_is_strftime() -> None:
    rng = random.Random(3)
    stamps = [0, -1, -86400, -86401, 86399, 951782400, 1709164800, 253402289999, 1763600000]
    stamps += [rng.randrange(-(10**9), 4 * 10**9) for _ in range(50_000)]
    for ts in stamps:
        expected = time.strftime("%Y-%m-%dT%H:%M:%S+03:00", time.gmtime(ts + 3 * 3600))
        assert msk(ts) == expected
    assert msk(None) is None
    assert msk(1763600000.7) == time.strftime("%Y-%m-%dT%H:%M:%S+03:00", time.gmtime(1763600000.7 + 10800))
