"""Shared fixtures: one small sandbox per module, plus an authorised httpx client; wire helpers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from qtickets_assets.sandbox.testing import SandboxHandle, run_sandbox

ANCHOR = 1_790_000_000  # 2026-09-21T14:13:20Z: a fixed world for exact figures


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxHandle]:
    with run_sandbox(size="small", seed=1) as handle:
        yield handle


def authorised(handle: SandboxHandle, timeout: float = 30) -> httpx.Client:
    """An httpx client for a sandbox's API, with its token."""
    headers = {"Authorization": f"Bearer {handle.token}"}
    return httpx.Client(base_url=handle.base_url, headers=headers, timeout=timeout)


@pytest.fixture(scope="module")
def client(sandbox: SandboxHandle) -> Iterator[httpx.Client]:
    with authorised(sandbox) as c:
        yield c


def get(client: httpx.Client, path: str, body: dict[str, Any] | None = None, **kw: Any) -> httpx.Response:
    """A GET with a JSON body, the way the real API takes list parameters."""
    return client.request("GET", path, json=body, **kw) if body is not None else client.get(path, **kw)


def all_pages(client: httpx.Client, path: str, body: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        payload = get(client, path, {**(body or {}), "page": page}).json()
        rows += payload["data"]
        paging = payload["paging"]
        if page * paging["perPage"] >= paging["total"]:
            return rows
        page += 1


def wire_status(order: dict[str, Any], basket: dict[str, Any]) -> str:
    if basket["deleted_at"] or order["deleted_at"]:
        return "cancelled"
    if basket["refunded_at"]:
        return "refunded"
    return "paid" if order["payed"] else "unpaid"


def recount(seats: dict[str, dict[str, Any]]) -> tuple[int, int]:
    """The contract's rule: non-disabled seats, each root_id once, Σmax and Σfree."""
    by_root = {s["root_id"]: s for s in seats.values() if not s["disabled"]}
    return sum(s["max_quantity"] for s in by_root.values()), sum(s["free_quantity"] for s in by_root.values())


@dataclass(frozen=True)
class Served:
    """Everything a full crawl reads, by id."""

    events: dict[int, dict[str, Any]]
    shows: dict[int, dict[str, Any]]
    orders: list[dict[str, Any]]
    discounts: dict[int, dict[str, Any]]
    promo_codes: dict[int, dict[str, Any]]

    def baskets(self) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        return ((o, b) for o in self.orders for b in o["baskets"])


def crawl(client: httpx.Client) -> Served:
    events = {e["id"]: e for e in all_pages(client, "/events")}
    return Served(
        events,
        {s["id"]: s for e in events.values() for s in e["shows"]},
        all_pages(client, "/orders"),
        {d["id"]: d for d in all_pages(client, "/discounts")},
        {p["id"]: p for p in all_pages(client, "/promo-codes")},
    )


@pytest.fixture(scope="module")
def anchored() -> Iterator[SandboxHandle]:
    """The small world at ANCHOR (its truth and wire are fixed)."""
    with run_sandbox(size="small", seed=1, anchor=ANCHOR) as handle:
        yield handle


@pytest.fixture(scope="module")
def anchored_client(anchored: SandboxHandle) -> Iterator[httpx.Client]:
    with authorised(anchored) as c:
        yield c


@pytest.fixture(scope="module")
def served(anchored_client: httpx.Client) -> Served:
    return crawl(anchored_client)
