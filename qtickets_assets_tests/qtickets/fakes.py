"""Small, exact fakes of the Qtickets API for httpx.MockTransport, written independently of the client.

Raw records carry the PHP-isms and the personal data the real API sends, so tests also prove the
client drops what it must not keep.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import orjson

from qtickets_assets.sandbox.filters import apply_order, apply_where, coerce
from qtickets_assets.sandbox.resources import RESOURCES

BASE = "https://qtickets.test/api/rest/v1"
TOKEN = "tok-SECRET-9f3a1c"
HTML_404 = "<!DOCTYPE html><html><head><title>Страница не найдена 404 – Qtickets</title></head></html>"


def raw_basket(basket_id: int, **over: Any) -> dict[str, Any]:
    return {
        "id": basket_id,
        "show_id": 300501,
        "seat_id": "vzroslyj-1;1",
        "price": 501,
        "quantity": 1,
        "client_email": "buyer@example.org",
        "client_phone": "+79990000000",
        "client_name": "Анна",
        "created_at": "2025-11-20T14:03:01+03:00",
        "updated_at": "2025-11-20T14:05:11+03:00",
        "deleted_at": None,
        "refunded_at": None,
        "refunds": [],
        **over,
    }


def raw_order(order_id: int, **over: Any) -> dict[str, Any]:
    return {
        "id": order_id,
        "uniqid": "Qx7pL2mZaK",
        "payed": order_id % 3 != 0,
        "event_id": 51012,
        "payed_at": "2025-11-20T14:05:11+03:00" if order_id % 3 else None,
        "client": {"id": 1, "email": "buyer@example.org", "details": {"phone": "+79990000000"}},
        "payment_card_number": "220220******0000",
        "currency_id": "RUB",
        "price": 501,
        "utm": [],
        "custom": "",
        "fields": [],
        "integrations": [],
        "baskets": [raw_basket(order_id * 10)],
        "created_at": "2025-11-20T14:03:40+03:00",
        "updated_at": f"2025-11-{1 + order_id % 28:02d}T10:00:00+03:00",
        "deleted_at": None,
        **over,
    }


def raw_event(event_id: int, **over: Any) -> dict[str, Any]:
    return {
        "id": event_id,
        "is_active": 1,
        "name": f"Событие {event_id}",
        "currency_id": "RUB",
        "place_name": 'ТРЦ "Изумрудный"',
        "place_address": "пр. Ленина, 80",
        "city_id": 24,
        "city": {"id": 24, "name": "Томск", "timezone": "Asia/Krasnoyarsk"},
        "shows": [],
        "created_at": "2025-10-20T11:58:00+03:00",
        "updated_at": "2025-10-21T09:15:00+03:00",
        "deleted_at": None,
        **over,
    }


def raw_seat(seat_id: str, root_id: str, max_q: int, free_q: int, **over: Any) -> dict[str, Any]:
    return {
        "id": seat_id,
        "root_id": root_id,
        "zone_root_id": root_id.split("-")[0],
        "admission": False,
        "max_quantity": max_q,
        "free_quantity": free_q,
        "disabled": False,
        "price": 300,
        **over,
    }


def json_response(payload: Any, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(
        status, content=orjson.dumps(payload), headers={"Content-Type": "application/json", **headers}
    )


def server_side(
    name: str, records: list[dict[str, Any]], where: Any = None, order_by: Any = None
) -> list[dict[str, Any]]:
    """`where` and `orderBy` applied as the sandbox applies them to raw records of list `name`: the
    server's side, independent of the client's own evaluator (which re-checks every record)."""
    columns = RESOURCES[name].columns
    rows = [
        {**{c: None if r.get(c) is None else coerce(kind, r[c]) for c, kind in columns.items()}, "_raw": r}
        for r in records
    ]
    return [row["_raw"] for row in apply_order(apply_where(rows, where, columns), order_by, list(columns))]


class FakeApi:
    """GET /orders, /events, /orders/{id}, /shows/{id}/seats with fixed page sizes and id asc order."""

    def __init__(
        self,
        *,
        orders: list[dict[str, Any]] | None = None,
        events: list[dict[str, Any]] | None = None,
        seats: dict[int, Any] | None = None,
        honour_filters: bool = True,
        honour_order: bool = True,
        newest_first: bool = False,
        delay: float = 0.0,
    ) -> None:
        self.tables: dict[str, list[dict[str, Any]]] = {
            "orders": orders or [],
            "events": events or [],
            "discounts": [],
            "promo-codes": [],
        }
        self.per_page = {"orders": 50, "events": 10, "discounts": 100, "promo-codes": 500}
        self.seats = seats or {}
        self.honour_filters, self.honour_order, self.delay = honour_filters, honour_order, delay
        self.newest_first = newest_first  # the order of its lists when it ignores orderBy
        self.requests: list[httpx.Request] = []
        self.in_flight = self.peak = 0
        self._lock = threading.Lock()
        self.override: Callable[[httpx.Request], httpx.Response | None] | None = None

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def bodies(self, path: str) -> list[dict[str, Any]]:
        return [
            orjson.loads(r.content) if r.content else {}
            for r in self.requests
            if r.url.path == f"/api/rest/v1{path}"
        ]

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append(request)
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            time.sleep(self.delay)
            if self.override and (response := self.override(request)) is not None:
                return response
            return self._route(request)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _route(self, request: httpx.Request) -> httpx.Response:
        parts = request.url.path.removeprefix("/api/rest/v1/").split("/")
        body = orjson.loads(request.content) if request.content else {}
        if len(parts) == 1 and parts[0] in self.tables:
            return self._list(parts[0], body)
        if len(parts) == 2 and parts[0] in ("orders", "events"):
            found = [o for o in self.tables[parts[0]] if str(o["id"]) == parts[1]]
            if found:
                return json_response({"data": found[0]})
            resource = "Order" if parts[0] == "orders" else "Event"
            info = {"id": int(parts[1]), "resource": resource}
            return json_response(
                {
                    "error": f'Resource "{resource}" not found',
                    "status": 404,
                    "code": "RESOURCE_NOT_FOUND",
                    "info": info,
                },
                404,
            )
        if len(parts) == 3 and parts[0] == "shows" and parts[2] == "seats" and int(parts[1]) in self.seats:
            return json_response({"data": self.seats[int(parts[1])]})
        return httpx.Response(404, text=HTML_404, headers={"Content-Type": "text/html; charset=UTF-8"})

    def _list(self, name: str, body: dict[str, Any]) -> httpx.Response:
        rows = server_side(
            name,
            self.tables[name],
            body.get("where") if self.honour_filters else None,
            body.get("orderBy") if self.honour_order else self._own_order(),
        )
        per_page, page = self.per_page[name], int(body.get("page", 1))
        chunk = rows[(page - 1) * per_page : page * per_page]
        return json_response(
            {"data": chunk, "paging": {"perPage": per_page, "currentPage": page, "total": len(rows)}}
        )

    def _own_order(self) -> dict[str, str] | None:
        return {"id": "desc"} if self.newest_first else None


def make_client(api: FakeApi | httpx.MockTransport, **kwargs: Any):  # type: ignore[no-untyped-def]
    from qtickets_assets.lib.qtickets.client import QticketsClient

    transport = api.transport() if isinstance(api, FakeApi) else api
    return QticketsClient(BASE, TOKEN, transport=transport, **kwargs)
