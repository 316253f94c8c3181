"""The wire behaviour of the sandbox matches the real API's documented quirks (qtickets-api.md §2)."""

from __future__ import annotations

import math
import time

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qtickets_assets.sandbox.render import dumps, msk
from qtickets_assets.sandbox.testing import SandboxHandle, run_sandbox
from qtickets_assets_tests.sandbox.conftest import all_pages, get

UNKNOWN = {"error": "Unknown error", "status": 503, "code": "UNKNOWN_ERROR", "info": []}


@pytest.mark.parametrize(
    ("path", "per_page", "total"),
    [("/events", 10, 25), ("/clients", 100, 1000), ("/discounts", 100, 6), ("/promo-codes", 500, 40)],
)
def test_fixed_page_sizes_and_envelope(client: httpx.Client, path: str, per_page: int, total: int) -> None:
    payload = get(client, path, {"perPage": 1, "per_page": 1}, params={"per_page": 3}).json()
    assert set(payload) == {"data", "paging"}
    assert payload["paging"] == {"perPage": per_page, "currentPage": 1, "total": total}
    assert len(payload["data"]) == min(per_page, total)


def test_orders_pages_cover_every_order_once_in_id_order(
    client: httpx.Client, sandbox: SandboxHandle
) -> None:
    first = get(client, "/orders").json()
    assert first["paging"] == {"perPage": 50, "currentPage": 1, "total": len(sandbox.world.orders)}
    rows = all_pages(client, "/orders")
    ids = [o["id"] for o in rows]
    assert ids == sorted(ids) == [o.id for o in sandbox.world.orders]
    assert math.ceil(len(ids) / 50) == sandbox.expected_requests()["orders_pages"]


def test_page_past_the_end_is_empty_and_page_in_query_works(client: httpx.Client) -> None:
    past = get(client, "/events", {"page": 99}).json()
    assert past["data"] == [] and past["paging"]["currentPage"] == 99
    third = client.get("/events", params={"page": 3}).json()
    assert [e["id"] for e in third["data"]] == [e["id"] for e in all_pages(client, "/events")[20:]]


def test_filters_come_only_from_the_json_body(client: httpx.Client) -> None:
    where = [{"column": "payed", "value": 1}, {"column": "deleted_at", "operator": "null"}]
    filtered = get(client, "/orders", {"where": where}).json()
    assert filtered["paging"]["total"] < get(client, "/orders").json()["paging"]["total"]
    assert all(o["payed"] is True and o["deleted_at"] is None for o in filtered["data"])
    # The same filter as a form body, or plain query parameters, is ignored.
    as_form = client.request("GET", "/orders", content=b'{"where":[{"column":"payed","value":1}]}')
    assert as_form.json()["paging"]["total"] == get(client, "/orders").json()["paging"]["total"]
    ignored = client.get("/orders", params={"payed": 1, "since": "2025-01-01"}).json()
    assert ignored["paging"]["total"] == get(client, "/orders").json()["paging"]["total"]


def test_datetime_filter_compares_instants(client: httpx.Client, sandbox: SandboxHandle) -> None:
    cut = sorted(o.updated_at for o in sandbox.world.orders)[len(sandbox.world.orders) // 2]
    expected = sum(1 for o in sandbox.world.orders if o.updated_at >= cut)
    # The same instant in Moscow time, in UTC and in Tomsk's zone selects the same rows.
    moscow = time.strftime("%Y-%m-%dT%H:%M:%S+03:00", time.gmtime(cut + 3 * 3600))
    utc_text = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(cut))
    tomsk = time.strftime("%Y-%m-%dT%H:%M:%S+07:00", time.gmtime(cut + 7 * 3600))
    for value in (moscow, utc_text, tomsk):
        body = {"where": [{"column": "updated_at", "operator": ">=", "value": value}]}
        assert get(client, "/orders", body).json()["paging"]["total"] == expected


def test_order_by_desc_and_in_operator(client: httpx.Client, sandbox: SandboxHandle) -> None:
    newest = get(client, "/orders", {"orderBy": {"id": "desc"}}).json()["data"]
    assert newest[0]["id"] == sandbox.world.orders[-1].id
    wanted = [o.id for o in sandbox.world.orders[:3]]
    picked = get(client, "/orders", {"where": [{"column": "id", "operator": "in", "value": wanted}]}).json()
    assert [o["id"] for o in picked["data"]] == wanted


@pytest.mark.parametrize(
    "request_kwargs",
    [{"params": {"where": '[{"column":"payed","value":1}]'}}, {"json": {"where": "payed = 1"}}],
)
def test_string_where_is_503(client: httpx.Client, request_kwargs: dict[str, object]) -> None:
    response = client.request("GET", "/orders", **request_kwargs)  # type: ignore[arg-type]
    assert response.status_code == 503
    assert response.json() == UNKNOWN


def test_ignore_filters_switch() -> None:
    with run_sandbox(size="small", seed=1, ignore_filters=True) as sb:
        headers = {"Authorization": f"Bearer {sb.token}"}
        with httpx.Client(base_url=sb.base_url, headers=headers) as c:
            body = {"where": [{"column": "payed", "value": 1}], "orderBy": {"id": "desc"}}
            payload = get(c, "/orders", body).json()
            assert payload["paging"]["total"] == len(sb.world.orders)
            assert payload["data"][0]["id"] == sb.world.orders[0].id  # id asc, orderBy ignored too


def test_unfiltered_total_switch() -> None:
    """Filtered pages whose total counts the whole list: the sandbox serves that reading too."""
    with run_sandbox(size="small", seed=1, unfiltered_total=True) as sb:
        headers = {"Authorization": f"Bearer {sb.token}"}
        newest = max(order.id for order in sb.world.orders)
        with httpx.Client(base_url=sb.base_url, headers=headers) as c:
            payload = get(
                c, "/orders", {"where": [{"column": "id", "operator": ">", "value": newest - 3}]}
            ).json()
            assert [order["id"] for order in payload["data"]] == sorted(
                order.id for order in sb.world.orders if order.id > newest - 3
            )
            assert payload["paging"]["total"] == len(sb.world.orders)
            none = get(c, "/orders", {"where": [{"column": "id", "operator": ">", "value": newest}]}).json()
            assert none["data"] == [] and none["paging"]["total"] == len(sb.world.orders)


def test_missing_or_wrong_token_is_403(sandbox: SandboxHandle) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": sandbox.token}):
        response = httpx.get(f"{sandbox.base_url}/events", headers=headers)
        assert response.status_code == 403
        assert response.json() == {"error": "Wrong authorization", "status": 403}
        assert sandbox.token not in response.text


def test_json_404_for_missing_ids_and_html_404_for_unknown_routes(client: httpx.Client) -> None:
    missing = client.get("/orders/4360")
    assert missing.status_code == 404
    assert missing.text == (
        '{"error":"Resource \\"Order\\" not found","status":404,"code":"RESOURCE_NOT_FOUND",'
        '"info":{"id":4360,"resource":"Order"}}'
    )
    assert client.get("/discounts/colors").json()["info"] == {"id": 0, "resource": "Discount"}
    for path in ("/events/1/seats", "/barcodes", "/orders/filter/x", "/price-shades"):
        page = client.get(path)
        assert page.status_code == 404
        assert page.headers["content-type"] == "text/html; charset=UTF-8"
        assert "<title>Страница не найдена 404 – Qtickets</title>" in page.text


def test_writes_are_answered_as_documented_and_counted(client: httpx.Client, sandbox: SandboxHandle) -> None:
    """POST /orders with a filter crashes the real server (503 UNKNOWN_ERROR); with `data` it
    creates an order. Every write is counted ("POST orders"), so a test can prove none was sent."""
    before = len(sandbox.world.orders)
    sandbox.reset_stats()
    filtered = client.post("/orders", json={"where": [{"column": "payed", "value": 1}]})
    assert (filtered.status_code, filtered.json()["code"]) == (503, "UNKNOWN_ERROR")
    created = client.post("/orders", json={"data": {"event_id": 1, "baskets": []}})
    assert created.status_code == 200 and "payment_url" in created.json()["data"]
    for method in ("PUT", "DELETE"):
        assert client.request(method, "/orders", json={"where": []}).status_code == 405
    assert sandbox.stats()["requests"] == {"POST orders": 2, "PUT orders": 1, "DELETE orders": 1}
    assert len(sandbox.world.orders) == before
    with httpx.Client(base_url=sandbox.base_url) as stranger:  # the token is checked first
        assert stranger.post("/orders", json={"data": {}}).status_code == 403


def test_dumps_and_msk_spell_values_as_php_does() -> None:
    assert dumps({"url": "a/b", "name": "Ёж «1»", "money": [1.5, 2], "none": None, "map": []}) == (
        b'{"url":"a\\/b","name":"\\u0401\\u0436 \\u00ab1\\u00bb","money":[1.5,2],"none":null,"map":[]}'
    )
    assert dumps("\U0001f600") == b'"\\ud83d\\ude00"'  # astral: a surrogate pair, as PHP writes it
    assert msk(0) == "1970-01-01T03:00:00+03:00" and msk(1_790_000_000) == "2026-09-21T17:13:20+03:00"
    assert msk(None) is None


def test_php_style_encoding_on_the_wire(client: httpx.Client) -> None:
    raw = client.get("/events").text
    assert "\\u0" in raw and "\\/" in raw and '": ' not in raw and ', "' not in raw
    assert not any(ord(ch) > 127 for ch in raw)
    order = get(client, "/orders").json()["data"][0]
    assert len(order) == 34 and len(order["baskets"][0]) == 37
    assert order["utm"] == [] or isinstance(order["utm"], dict)
    assert order["custom"] == "" and order["fields"] == []
    events = get(client, "/events").json()["data"]
    assert events[0]["shows"] == []  # an event with no show at all is served too
    event = events[1]
    assert len(event) == 28 and event["is_active"] in (0, 1)
    assert event["payments"][0]["is_active"] is True
    assert event["created_at"].endswith("+03:00")
    show = event["shows"][0]
    assert isinstance(show["prices"][0]["color_theme"], str)
    leaves = next(iter(show["scheme_properties"]["seats"].values()))
    assert all(isinstance(v, str) for v in leaves.values())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    op=st.sampled_from(["=", "!=", "<", ">", "<=", ">="]),
    position=st.integers(min_value=0, max_value=1_499),
    direction=st.sampled_from(["asc", "desc"]),
)
def test_where_and_order_by_agree_with_the_model(
    client: httpx.Client, sandbox: SandboxHandle, op: str, position: int, direction: str
) -> None:
    orders = sandbox.world.orders
    pivot = orders[min(position, len(orders) - 1)].id
    compare = {
        "=": int.__eq__,
        "!=": int.__ne__,
        "<": int.__lt__,
        ">": int.__gt__,
        "<=": int.__le__,
        ">=": int.__ge__,
    }
    wanted = sorted((o.id for o in orders if compare[op](o.id, pivot)), reverse=direction == "desc")
    body = {"where": [{"column": "id", "operator": op, "value": pivot}], "orderBy": {"id": direction}}
    payload = get(client, "/orders", body).json()
    assert payload["paging"]["total"] == len(wanted)
    assert [o["id"] for o in payload["data"]] == wanted[:50]


def test_routes_and_where_forms_answer_as_the_captures_say(client: httpx.Client) -> None:
    """/orders/filter is the HTML 404 page (an order id is a number); one clause sent without its
    list, like a string, crashes the server; a query-string where crashes /orders only."""
    assert client.get("/orders/filter").headers["content-type"] == "text/html; charset=UTF-8"
    assert client.get("/discounts/colors").json()["code"] == "RESOURCE_NOT_FOUND"
    one_clause = {"where": {"column": "payed", "value": 1}}
    assert client.request("GET", "/orders", json=one_clause).status_code == 503
    where = '[{"column":"id","operator":">","value":1}]'
    assert client.get("/orders", params={"where": where}).status_code == 503
    assert client.get("/events", params={"where": where}).status_code == 200
