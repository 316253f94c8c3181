"""Real sandbox payloads, mutated with PHP-isms and garbage: each parser returns a record or
raises QticketsPayloadError/QticketsProtocolError, never anything else."""

from __future__ import annotations

import contextlib
import copy
from functools import cache
from typing import Any

import httpx
import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qtickets_assets.lib import tickets
from qtickets_assets.lib.clickhouse.errors import SchemaMismatchError
from qtickets_assets.lib.qtickets.errors import QticketsPayloadError, QticketsProtocolError
from qtickets_assets.lib.qtickets.models import Event, Order, parse_record
from qtickets_assets.lib.qtickets.native import decode_order_page
from qtickets_assets.lib.qtickets.paging import read_envelope
from qtickets_assets.lib.qtickets.seats import parse_show_seats, show_seat_counts
from qtickets_assets.sandbox.testing import run_sandbox
from qtickets_assets_tests.qtickets.test_native import assert_same_order

ALLOWED = (QticketsPayloadError, QticketsProtocolError)
GARBAGE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["", "0", "1", "true", "null", "[]", "{}", "1e309", "NaN", "-0", "12,50", " 7 "]),
    st.sampled_from(["2025-13-40T99:99:99+03:00", "2025-11-20 14:05:11", "0000-00-00 00:00:00"]),
    st.just([]),
    st.just({}),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=3),
)


@cache
def samples() -> dict[str, Any]:
    """One raw event page, order page and seat map, straight from the sandbox."""
    with (
        run_sandbox(size="small", seed=9) as sandbox,
        httpx.Client(headers={"Authorization": f"Bearer {sandbox.token}"}) as http,
    ):
        events = http.request("GET", f"{sandbox.base_url}/events", json={"page": 1}).json()
        orders = http.request("GET", f"{sandbox.base_url}/orders", json={"page": 1}).json()
        show_id = next(show["id"] for event in events["data"] for show in event["shows"] or [])
        seats = http.request("GET", f"{sandbox.base_url}/shows/{show_id}/seats", json={"flat": True}).json()
    return {"events": events, "orders": orders, "seats": seats}


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key/index path inside a JSON document, the root included."""
    found = [prefix]
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, child in children:
        found += paths(child, (*prefix, key))
    return found


@st.composite
def mutated(draw: st.DrawFn, name: str) -> Any:
    document = copy.deepcopy(samples()[name])
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        path = draw(st.sampled_from(paths(document)))
        if not path:
            document = draw(GARBAGE)
            continue
        parent = document
        try:
            for key in path[:-1]:
                parent = parent[key]
            action = draw(st.sampled_from(["replace", "delete", "wrap", "unknown-field"]))
            key = path[-1]
            if action == "replace":
                parent[key] = draw(GARBAGE)
            elif action == "delete" and isinstance(parent, dict):
                del parent[key]
            elif action == "wrap":
                parent[key] = [parent[key]] if draw(st.booleans()) else {"ru": parent[key]}
            elif action == "unknown-field" and isinstance(parent, dict):
                parent[draw(st.text(min_size=1, max_size=8))] = draw(GARBAGE)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this path
    return document


FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def parse_list(payload: Any, model: type) -> None:
    raw, *_ = read_envelope(payload, "/fuzz", 1)
    for item in raw:
        parse_record(model, item)


@FUZZ
@given(mutated("events"))
def test_event_pages(payload):
    with contextlib.suppress(ALLOWED):
        parse_list(payload, Event)


@FUZZ
@given(mutated("orders"))
def test_order_pages(payload):
    with contextlib.suppress(ALLOWED):
        parse_list(payload, Order)


@FUZZ
@given(mutated("orders"))
def test_native_order_pages_read_only_what_validation_reads_the_same(payload):
    # The native reading may leave a page to validation (None), never read one differently.
    try:
        body = orjson.dumps(payload)
    except TypeError:  # an integer beyond 64 bits: no JSON the API could send
        return
    native = decode_order_page(body)
    if native is None:
        return
    raw, *_ = read_envelope(orjson.loads(body), "/fuzz", 1)
    validated = [parse_record(Order, item) for item in raw]  # must not raise: native read it
    for fast, order in zip(native.data, validated, strict=True):
        assert_same_order(fast, order)
    assert table_or_refusal(native.data) == table_or_refusal(validated)


def table_or_refusal(orders: list) -> list[dict[str, Any]] | str:
    """The orders' tickets, or why they do not fit fact_sales (an id of -1, say)."""
    try:
        return tickets.tickets_table(orders).to_pylist()
    except SchemaMismatchError as refusal:
        return str(refusal)


@FUZZ
@given(mutated("seats"))
def test_seat_maps(payload):
    # The snapshot's fast reading accepts exactly what validation accepts, with the same counts,
    # and refuses the rest with the same kind of error.
    validated = outcome(
        lambda: [
            (s.root_id, s.max_quantity, s.free_quantity, s.disabled) for s in parse_show_seats(payload, 1)
        ]
    )
    assert outcome(lambda: show_seat_counts(payload, 1)) == validated


def outcome(read):
    """What a reader made of a payload: its result as plain tuples, or the type of its refusal."""
    try:
        return [tuple(item) for item in read()]
    except ALLOWED as error:
        return type(error)


def test_unmutated_samples_parse():
    """The fuzz starts from payloads that parse, so it explores the edges of valid input."""
    parse_list(samples()["events"], Event)
    parse_list(samples()["orders"], Order)
    assert parse_show_seats(samples()["seats"], 1)
    assert show_seat_counts(samples()["seats"], 1)
