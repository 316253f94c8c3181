"""The Qtickets REST v1 routes over a World: routing, list parameters, paging, errors.

Transport-free: `Api.handle` maps a parsed GET to a `Response`; the HTTP server adds auth and faults.
Every answer is rendered and encoded anew (`render.dumps`): the sandbox is an oracle, and must
never be cheaper to serve than the real API. What it keeps between requests stands for the real
API's database and its indexes: the filterable columns and which items a query matches, per world
version, never a rendered byte.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from qtickets_assets.sandbox.filters import FilterError, apply_order, apply_where
from qtickets_assets.sandbox.model import World
from qtickets_assets.sandbox.render import dumps
from qtickets_assets.sandbox.resources import RESOURCES, Resource, color_themes_body
from qtickets_assets.sandbox.seats import render_barcodes, render_seats, seat_select

JSON_TYPE = "application/json"
HTML_TYPE = "text/html; charset=UTF-8"
NOT_FOUND_HTML = (
    '<!DOCTYPE html>\n<html lang="ru">\n<head>\n<meta charset="utf-8">\n'
    "<title>Страница не найдена 404 – Qtickets</title>\n</head>\n<body>\n"
    "<h1>Страница не найдена</h1>\n<p>Запрашиваемая страница не существует.</p>\n</body>\n</html>\n"
).encode()
LIST_RE = re.compile(r"^/(events|orders|clients|discounts|promo-codes)$")
# Orders, events and clients are routed by a numeric id only (/orders/filter is the HTML 404 page,
# qtickets-api.md §2.3); discounts and promo codes by any id (/discounts/colors: a JSON 404).
ITEM_RE = re.compile(r"^/(?:(events|orders|clients)/(\d+)|(discounts|promo-codes)/([^/]+))$")
SHOW_RE = re.compile(r"^/shows/([^/]+)/(seats|barcodes)$")


@dataclass(slots=True)
class Response:
    status: int
    body: bytes
    content_type: str = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)


def error(status: int, message: str, code: str | None = None, info: Any = None) -> Response:
    body: dict[str, Any] = {"error": message, "status": status}
    if code is not None:
        body["code"] = code
        body["info"] = [] if info is None else info
    return Response(status, dumps(body))


def unknown_error() -> Response:
    return error(503, "Unknown error", "UNKNOWN_ERROR")


def order_created(body: dict[str, Any]) -> Response:
    """POST /orders as documented: a body without `data` (a filter sent by POST) crashes the server
    (503 UNKNOWN_ERROR); one with `data` creates an order and answers its payment page."""
    if not isinstance(body.get("data"), dict):
        return unknown_error()
    return Response(200, dumps({"data": {"id": 0, "payment_url": "https://qtickets.ru/payment/sandbox"}}))


def html_not_found() -> Response:
    return Response(404, NOT_FOUND_HTML, HTML_TYPE)


def not_found(label: str, raw_id: str) -> Response:
    item_id = int(raw_id) if raw_id.isdigit() else 0
    return error(
        404, f'Resource "{label}" not found', "RESOURCE_NOT_FOUND", {"id": item_id, "resource": label}
    )


def route_kind(path: str) -> str | None:
    """A label for stats, or None when the path is not an API route (an HTML 404)."""
    if LIST_RE.match(path):
        return path[1:]
    if m := ITEM_RE.match(path):
        return f"{m.group(1) or m.group(3)}/{{id}}"
    if m := SHOW_RE.match(path):
        return f"shows/{{id}}/{m.group(2)}"
    if path == "/color-themes":
        return "color-themes"
    return None


def page_number(body: dict[str, Any], query: dict[str, list[str]]) -> int:
    raw: Any = body.get("page", query["page"][0] if query.get("page") else None)
    try:
        return max(1, int(raw))
    except (TypeError, ValueError):
        return 1


class Api:
    def __init__(
        self,
        world: World,
        ignore_filters: bool = False,
        ignore_select: bool = False,
        unfiltered_total: bool = False,
    ) -> None:
        self.world = world
        self.ignore_filters = ignore_filters
        self.ignore_select = ignore_select  # serve whole seat objects whatever `select` asks
        # paging.total counts the list without its `where` (the pages are filtered): another
        # reading of the API the client must survive, as paginators that count first do.
        self.unfiltered_total = unfiltered_total
        self._lock = threading.Lock()
        # Which items a (route, where, orderBy) matches, per world version: a database answers a
        # page from its indexes, while filtering and sorting every item again for each page would
        # make a crawl quadratic in the list's length here.
        self._results: OrderedDict[tuple[Any, ...], list[Any]] = OrderedDict()
        self._row_cache: dict[str, tuple[int, list[dict[str, Any]]]] = {}

    def handle(
        self, path: str, query: dict[str, list[str]], body: dict[str, Any], empty_page: bool = False
    ) -> Response:
        with self.world.lock:
            if m := LIST_RE.match(path):
                return self._list(RESOURCES[m.group(1)], query, body, empty_page)
            if m := ITEM_RE.match(path):
                return self._item(RESOURCES[m.group(1) or m.group(3)], m.group(2) or m.group(4))
            if m := SHOW_RE.match(path):
                return self._show(m.group(1), m.group(2), body)
            if path == "/color-themes":
                return Response(200, dumps(color_themes_body()))
            return html_not_found()

    def _list(
        self, res: Resource, query: dict[str, list[str]], body: dict[str, Any], empty: bool
    ) -> Response:
        where_sent = body.get("where")
        if (
            ("where" in query and res.route == "orders")
            or isinstance(where_sent, str)
            or (isinstance(where_sent, dict) and where_sent)
        ):
            # PHP expects a list of clauses and crashes on a string, or on one clause not in a list
            # (a query-string where was seen to crash /orders only; /events answered it).
            return unknown_error()
        where, order_by = (None, None) if self.ignore_filters else (body.get("where"), body.get("orderBy"))
        try:
            items = self._select(res, where, order_by)
        except FilterError:
            return unknown_error()
        page = page_number(body, query)
        last_page = -(-len(items) // res.per_page)
        chunk = [] if empty and page < last_page else items[(page - 1) * res.per_page : page * res.per_page]
        total = len(self._select(res, None, None)) if self.unfiltered_total else len(items)
        paging = {"perPage": res.per_page, "currentPage": page, "total": total}
        return Response(
            200, dumps({"data": [res.render(item, self.world) for item in chunk], "paging": paging})
        )

    def _select(self, res: Resource, where: Any, order_by: Any) -> list[Any]:
        key = (res.route, json.dumps(where, sort_keys=True), json.dumps(order_by), self.world.version)
        with self._lock:
            if key in self._results:
                self._results.move_to_end(key)
                return self._results[key]
        rows = apply_order(apply_where(self._rows(res), where, res.columns), order_by, list(res.columns))
        items = [row["_item"] for row in rows]
        with self._lock:
            self._results[key] = items
            while len(self._results) > 64:
                self._results.popitem(last=False)
        return items

    def _rows(self, res: Resource) -> list[dict[str, Any]]:
        """Filterable columns of every item, built once per world version (the costly part)."""
        cached = self._row_cache.get(res.route)
        if cached is None or cached[0] != self.world.version:
            rows = []
            for item in res.items(self.world):
                row = res.row(item)  # a fresh dict per item
                row["_item"] = item
                rows.append(row)
            cached = (self.world.version, rows)
            self._row_cache[res.route] = cached
        return cached[1]

    def _item(self, res: Resource, raw_id: str) -> Response:
        if not raw_id.isdigit():
            return not_found(res.label, raw_id)
        wanted = int(raw_id)
        found = next((i for i in self._by_id(res, wanted)), None)
        if found is None:
            return not_found(res.label, raw_id)
        return Response(200, dumps({"data": res.render(found, self.world)}))

    def _by_id(self, res: Resource, wanted: int) -> list[Any]:
        if res.route == "orders":
            order = self.world.orders_by_id.get(wanted)
            return [order] if order else []
        if res.route == "events":
            event = self.world.events_by_id.get(wanted)
            return [event] if event else []
        return [i for i in res.items(self.world) if i.id == wanted]

    def _show(self, raw_id: str, what: str, body: dict[str, Any]) -> Response:
        show = self.world.shows_by_id.get(int(raw_id)) if raw_id.isdigit() else None
        if show is None:
            return not_found("Show", raw_id)
        if what == "barcodes":
            return Response(200, dumps(render_barcodes(self.world, show.id)))
        flat = body.get("flat") in (True, 1, "1", "true")
        select = None if self.ignore_select else seat_select(body.get("select"))
        event = self.world.events_by_id[show.event_id]
        return Response(200, dumps(render_seats(show, event, flat, select)))
