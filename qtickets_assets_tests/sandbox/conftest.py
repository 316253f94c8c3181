"""Shared fixtures: one small sandbox per module, plus an authorised httpx client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from qtickets_assets.sandbox.testing import SandboxHandle, run_sandbox


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxHandle]:
    with run_sandbox(size="small", seed=1) as handle:
        yield handle


@pytest.fixture(scope="module")
def client(sandbox: SandboxHandle) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {sandbox.token}"}
    with httpx.Client(base_url=sandbox.base_url, headers=headers, timeout=30) as c:
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
