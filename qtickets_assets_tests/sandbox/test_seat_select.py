"""`select` on GET /shows/{id}/seats: only the asked keys go on the wire; answers follow mutations."""

from __future__ import annotations

import httpx

from qtickets_assets.sandbox.testing import SandboxHandle
from qtickets_assets_tests.sandbox.conftest import get

WANTED = ["id", "root_id", "zone_root_id", "admission", "max_quantity", "free_quantity", "disabled"]


def _show_id(sandbox: SandboxHandle) -> int:
    return sandbox.truth()["fact_inventory_latest"][0]["show_id"]


def test_select_keeps_exactly_the_asked_keys(client: httpx.Client, sandbox: SandboxHandle) -> None:
    show_id = _show_id(sandbox)
    full = get(client, f"/shows/{show_id}/seats", {"flat": True}).json()["data"]
    picked = get(client, f"/shows/{show_id}/seats", {"flat": True, "select": [*WANTED, "no_such"]})
    data = picked.json()["data"]
    assert list(data) == list(full)
    for key, seat in data.items():
        assert list(seat) == WANTED  # the seat's own key order; unknown names ignored
        assert seat == {k: full[key][k] for k in WANTED}
    assert b'"name"' not in picked.content and b'"coords"' not in picked.content
    zoned = get(client, f"/shows/{show_id}/seats", {"select": ["root_id", "free_quantity"]}).json()["data"]
    merged = {k: v for zone in zoned.values() for k, v in zone["seats"].items()}
    assert merged == {
        k: {"root_id": s["root_id"], "free_quantity": s["free_quantity"]} for k, s in full.items()
    }


def test_no_or_unreadable_select_sends_whole_seats(client: httpx.Client, sandbox: SandboxHandle) -> None:
    show_id = _show_id(sandbox)
    full = get(client, f"/shows/{show_id}/seats", {"flat": True}).content
    for select in ([], "id", None, {"a": 1}):
        assert get(client, f"/shows/{show_id}/seats", {"flat": True, "select": select}).content == full


def test_seat_maps_follow_mutations(client: httpx.Client, sandbox: SandboxHandle) -> None:
    body = {"flat": True, "select": ["root_id", "free_quantity", "max_quantity", "disabled"]}
    shows = [row["show_id"] for row in sandbox.truth()["fact_inventory_latest"]]
    before = {s: get(client, f"/shows/{s}/seats", body).content for s in shows}
    assert all(get(client, f"/shows/{s}/seats", body).content == before[s] for s in shows)  # the same again
    sandbox.advance(new_orders=40, seed=5)
    after = {row["show_id"]: row for row in sandbox.truth()["fact_inventory_latest"]}
    changed = 0
    for show_id in shows:
        seats = get(client, f"/shows/{show_id}/seats", body).json()["data"]
        by_root = {s["root_id"]: s for s in seats.values() if not s["disabled"]}
        assert sum(s["free_quantity"] for s in by_root.values()) == after[show_id]["tickets_left"]
        changed += get(client, f"/shows/{show_id}/seats", body).content != before[show_id]
    assert changed > 0
