"""A seat map is documented unpaged (conf. M): one that comes in pages is read whole, or refused."""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from qtickets_assets.lib.qtickets.rules import ShowInventory

from .fakes import FakeApi, json_response, make_client, raw_seat

# 23 seats of 2 tariffs each (46 entries: one place, two prices), 11 of them free.
SEATS = {
    f"{tariff}_A-{n};1": raw_seat(f"{tariff}_A-{n};1", f"A-{n};1", 1, int(n <= 11))
    for n in range(1, 24)
    for tariff in ("full", "preferential")
}


def paged(per_page: int, lose: int = 0) -> FakeApi:
    """A server that pages seat maps `per_page` entries at a time (losing the last `lose`)."""
    entries = list(SEATS.items())

    def answer(request: httpx.Request) -> httpx.Response | None:
        if not request.url.path.endswith("/seats"):
            return None
        page = orjson.loads(request.content).get("page", 1)
        held = dict(entries[: len(entries) - lose][(page - 1) * per_page : page * per_page])
        paging: dict[str, Any] = {"perPage": per_page, "currentPage": page, "total": len(entries)}
        return json_response({"data": held, "paging": paging})

    api = FakeApi()
    api.override = answer
    return api


def test_a_seat_map_in_pages_is_read_to_its_last_page() -> None:
    """Only page 1 was read: a hall of 23 seats counted as 5, without a word."""
    api = paged(per_page=10)
    with make_client(api) as client:
        assert dict(client.iter_show_inventory([300501])) == {300501: ShowInventory(23, 11)}
    assert [orjson.loads(r.content).get("page", 1) for r in api.requests] == [1, 2, 3, 4, 5]


def test_a_seat_map_whose_pages_hold_less_than_its_total_is_not_counted() -> None:
    api = paged(per_page=10, lose=3)
    with make_client(api) as client:
        ((show, why),) = client.iter_show_inventory_or_why([300501])
    assert show == 300501
    expected = "GET /shows/300501/seats: its 5 pages hold 43 entries, its total says 46"
    assert why == f"{expected}; the seats cannot be counted"
