"""The client asks seat maps for the fields it keeps, and reads the same seats when `select` is ignored."""

from __future__ import annotations

import httpx

from qtickets_assets.lib.qtickets.client import QticketsClient
from qtickets_assets.lib.qtickets.rules import show_inventory
from qtickets_assets.lib.qtickets.seats import SEAT_SELECT, parse_show_seats
from qtickets_assets.sandbox.testing import run_sandbox


def _seats(ignore_select: bool) -> tuple[dict[int, list], dict[int, tuple[int, int]], list[bytes]]:
    with run_sandbox(size="small", seed=1, ignore_select=ignore_select) as sb:
        shows = [row["show_id"] for row in sb.truth()["fact_inventory_latest"]]
        truth = {
            r["show_id"]: (r["tickets_total"], r["tickets_left"]) for r in sb.truth()["fact_inventory_latest"]
        }
        sent: list[bytes] = []
        wire = httpx.HTTPTransport()

        class Spy(httpx.BaseTransport):
            def handle_request(self, request: httpx.Request) -> httpx.Response:
                sent.append(request.content)
                return wire.handle_request(request)

        with QticketsClient(sb.base_url, sb.token, transport=Spy()) as client:
            seats = dict(client.iter_show_seats(shows))
        return seats, truth, sent


def test_same_inventory_whether_or_not_select_is_honoured() -> None:
    honoured, truth, sent = _seats(ignore_select=False)
    ignored, truth_again, _ = _seats(ignore_select=True)
    assert truth == truth_again
    assert {k: [s.model_dump() for s in v] for k, v in honoured.items()} == {
        k: [s.model_dump() for s in v] for k, v in ignored.items()
    }
    for show_id, seats in honoured.items():
        assert show_inventory(seats, show_id) == truth[show_id]
    assert all(b'"select":' in body and b'"flat":true' in body for body in sent)
    assert set(SEAT_SELECT) == {
        "id",
        "root_id",
        "zone_root_id",
        "admission",
        "max_quantity",
        "free_quantity",
        "disabled",
    }


def test_fast_seats_equal_validated_seats() -> None:
    from qtickets_assets.lib.qtickets.models import Seat, parse_record

    from .fakes import raw_seat

    raws = [
        raw_seat("full_A-1;1", "A-1;1", 1, 0),
        raw_seat("full_A-1;2", "A-1;2", 1, 1, name="Партер", coords=[1, 2]),
        {"id": "x", "root_id": "GA-1;1", "max_quantity": 500, "free_quantity": 137},  # defaults filled
        {k: v for k, v in raw_seat("y", "B-1;1", 1, 1).items() if k in SEAT_SELECT},
    ]
    got = parse_show_seats({"data": raws}, 1)
    for raw, seat in zip(raws, got, strict=True):
        want = parse_record(Seat, raw, "test")
        constructed = Seat.model_construct(**{k: v for k, v in raw.items() if k in Seat.model_fields})
        for other in (want, constructed):
            assert seat == other
            assert list(seat.__dict__.items()) == list(other.__dict__.items())
            assert seat.model_fields_set == other.model_fields_set
            assert seat.__pydantic_extra__ == other.__pydantic_extra__
        assert seat.model_dump() == want.model_dump() and hash(seat) == hash(want)
