"""The client asks seat maps for the fields it keeps, and reads the same seats when `select` is ignored."""

from __future__ import annotations

import httpx

from qtickets_assets.lib.qtickets.client import QticketsClient
from qtickets_assets.lib.qtickets.rules import show_inventory
from qtickets_assets.lib.qtickets.seats import SEAT_SELECT, parse_show_seats, show_seat_counts
from qtickets_assets.sandbox.generate import default_anchor
from qtickets_assets.sandbox.testing import run_sandbox

# Both worlds from one anchor: two calls of run_sandbox on either side of a minute would differ.
ANCHOR = default_anchor()


def _seats(ignore_select: bool) -> tuple[dict[int, list], dict[int, tuple[int, int]], list[bytes]]:
    with run_sandbox(size="small", seed=1, ignore_select=ignore_select, anchor=ANCHOR) as sb:
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
            assert dict(client.iter_show_inventory(shows)) == truth
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


def test_seat_counts_equal_the_validated_seats_counts() -> None:
    """Seats of the final wire types are read as sent, the others validated: the same counts."""
    from .fakes import raw_seat

    raws = {
        "full_A-1;1": raw_seat("full_A-1;1", "A-1;1", 1, 0),
        "full_A-1;2": raw_seat("full_A-1;2", "A-1;2", 1, 1, name="Партер", coords=[1, 2]),
        "x": {"id": "x", "root_id": "GA-1;1", "max_quantity": 500, "free_quantity": 137},  # defaults
        "y": {k: v for k, v in raw_seat("y", "B-1;1", 1, 1).items() if k in SEAT_SELECT},
        # PHP-isms take the validating path and count the same
        "z": raw_seat("z", "C-1;1", "2", "1", disabled="0", admission=1),
        "w": raw_seat("w", "C-1;2", 1, 1, disabled="1"),
        "v": {k: v for k, v in raw_seat("v", "D-1;1", 3, 2, zone_root_id=None).items() if k != "id"},
    }
    counts = show_seat_counts({"data": raws}, 1)
    seats = parse_show_seats({"data": raws}, 1)
    assert counts == [(s.root_id, s.max_quantity, s.free_quantity, s.disabled) for s in seats]
    assert counts[4:] == [("C-1;1", 2, 1, False), ("C-1;2", 1, 1, True), ("D-1;1", 3, 2, False)]
    assert show_inventory(counts, 1) == show_inventory(seats, 1) == (508, 142)
