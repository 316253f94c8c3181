"""Unfiltered reference lists (events, discounts, promo codes) read whole, each record once, even
from a server that pages them in an order that changes between requests."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import orjson
import pytest

from qtickets_assets.lib.qtickets.errors import QticketsProtocolError

from .fakes import FakeApi, json_response, make_client, raw_event

PER_PAGE = 2


def raw_promo_code(promo_id: int, discount_id: int) -> dict[str, Any]:
    return {"id": promo_id, "code": f"CODE{promo_id}", "discount_id": discount_id, "is_active": 1}


# Grouped by discount: ties within a discount come in whatever order the server's sort leaves them.
PROMO_CODES = [raw_promo_code(i, 1 if i <= 3 else 2) for i in range(1, 6)]


def answering(path: str, orders_of_records: itertools.cycle[list[dict[str, Any]]]) -> FakeApi:
    """A server that ignores orderBy and lists `path` in the next of `orders_of_records` for each
    request, PER_PAGE records a page, its total the list's own."""
    api = FakeApi()

    def answer(request: httpx.Request) -> httpx.Response | None:
        if request.url.path != f"/api/rest/v1{path}":
            return None
        page = orjson.loads(request.content)["page"]
        records = next(orders_of_records)
        held = records[(page - 1) * PER_PAGE : page * PER_PAGE]
        return json_response(
            {"data": held, "paging": {"perPage": PER_PAGE, "currentPage": page, "total": len(records)}}
        )

    api.override = answer
    return api


def test_promo_codes_whose_ties_are_ordered_anew_per_request_are_all_read_once() -> None:
    """Promo code 3 shared discount 1 with codes 1 and 2, and the server ordered the three anew for
    each page: code 2 came on pages 1 and 2 and code 3 on none. The run logged "read 4 promo codes",
    and code 3's tickets showed under no promo code. The list is read again until each is read."""
    first, second = PROMO_CODES, [PROMO_CODES[2], PROMO_CODES[0], PROMO_CODES[1], *PROMO_CODES[3:]]
    # Read 1: page 1 in the first order (codes 1, 2), pages 2-3 in the second (2, 4 and 5): code 3
    # lost. Read 2: page 1 in the second order (3, 1), pages 2-3 in the first (3, 4 and 5).
    per_request = itertools.cycle([first, second, second, second, first, first])
    api = answering("/promo-codes", per_request)
    with make_client(api, max_concurrency=1) as client:
        read = [code.id for page in client.iter_promo_code_pages() for code in page]
    assert sorted(read) == [1, 2, 3, 4, 5]  # each once
    assert len(api.requests) == 6  # read twice: the second read found code 3


def test_a_list_still_short_after_three_reads_fails_naming_it() -> None:
    """Every page holds the same two records: the list can never be read whole."""
    api = answering("/promo-codes", itertools.cycle([PROMO_CODES[:2] * 3]))
    with make_client(api) as client, pytest.raises(QticketsProtocolError) as err:
        list(client.iter_promo_code_pages())
    assert str(err.value).startswith(
        "GET /promo-codes: read 2 distinct records of a total of 6 in 3 reads, the list moving under each "
        "(out of id order: orderBy ignored, 4 records repeated)"
    )


def test_events_in_id_order_are_read_once() -> None:
    api = FakeApi(events=[raw_event(i) for i in range(1, 24)])
    with make_client(api) as client:
        read = [event.id for page in client.iter_event_pages() for event in page]
    assert sorted(read) == list(range(1, 24))
    assert len(api.requests) == 3  # 10 a page: one read


def test_events_paged_newest_first_in_a_stable_order_are_read_once() -> None:
    """Out of id order, but each record once and the whole total: no second read."""
    api = FakeApi(events=[raw_event(i) for i in range(1, 24)], honour_order=False, newest_first=True)
    with make_client(api) as client:
        read = [event.id for page in client.iter_event_pages() for event in page]
    assert sorted(read) == list(range(1, 24))
    assert len(api.requests) == 3


def test_a_promo_code_deleted_outright_while_the_list_is_read_costs_no_other() -> None:
    """Code 1 (page 1, read) deleted before page 2 was answered: code 3 moved back onto page 1 and
    no page held it, though the pages came in id order. A read short of its total is done again."""
    codes = [raw_promo_code(i, 1) for i in range(1, 7)]
    per_request = itertools.cycle([codes, *[codes[1:]] * 5])
    api = answering("/promo-codes", per_request)
    with make_client(api, max_concurrency=1) as client:
        read = [code.id for page in client.iter_promo_code_pages() for code in page]
    assert sorted(read) == [1, 2, 3, 4, 5, 6]  # each once; code 1 as it was read
    assert len(api.requests) == 6  # read twice
