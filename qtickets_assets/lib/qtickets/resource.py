"""The Dagster resource that hands assets a configured QticketsClient."""

from __future__ import annotations

from typing import Any

import dagster as dg
from pydantic import Field

from .client import QticketsClient


class QticketsResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """Qtickets API access. The token is never shown: not in repr, str, logs or messages."""

    base_url: str = Field(
        default="",
        description="API root, e.g. https://qtickets.ru/api/rest/v1 (QTICKETS_BASE_URL). No default.",
    )
    token: str = Field(default="", repr=False, description="Organiser token (QTICKETS_TOKEN).")
    max_concurrency: int = Field(default=8, description="Most requests in flight at once.")
    timeout_seconds: float = Field(default=30.0, description="Per-request timeout.")
    max_retries: int = Field(default=6, description="Retries of a failing request (429, 5xx, timeouts).")
    max_total_wait_seconds: float = Field(default=120.0, description="Cap on the sum of back-off waits.")

    def __repr_args__(self) -> Any:
        # Pydantic honours repr=False, but Dagster's resource base may add its own fields; drop the
        # token by name so no subclass or wrapper can bring it back into a repr.
        return [(k, v) for k, v in super().__repr_args__() if k != "token"]

    def probe_client(self) -> QticketsClient:
        """A client for a sensor's 1-3 requests, on a budget that ends within a tick (Dagster
        abandons an evaluation after 60 s; an abandoned one would go on retrying behind the next
        ticks): 8 s a request, one retry, 4 s of waiting, at most ~20 s a request."""
        return self.client(timeout=min(self.timeout_seconds, 8.0), max_retries=1, max_total_wait=4.0)

    def client(
        self,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        max_total_wait: float | None = None,
    ) -> QticketsClient:
        """The configured client (its transport checks the root and the token); a caller on a
        tighter budget may shorten its timeout and retries."""
        return QticketsClient(
            self.base_url,
            self.token,
            max_concurrency=self.max_concurrency,
            timeout=self.timeout_seconds if timeout is None else timeout,
            max_retries=self.max_retries if max_retries is None else max_retries,
            max_total_wait=self.max_total_wait_seconds if max_total_wait is None else max_total_wait,
        )
