"""In-process sandbox for tests and the demo: `with run_sandbox() as sb: httpx.get(sb.base_url + ...)`."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from qtickets_assets.sandbox.faults import FaultConfig
from qtickets_assets.sandbox.generate import generate_world
from qtickets_assets.sandbox.model import World
from qtickets_assets.sandbox.server import Sandbox, SandboxServer
from qtickets_assets.sandbox.truth import expected_requests


class SandboxHandle:
    """A running sandbox: where it listens, and the knobs tests turn."""

    def __init__(self, server: SandboxServer, token: str) -> None:
        self._server = server
        self._sandbox = server.sandbox
        self.token = token
        host, port = server.server_address[:2]
        self.host, self.port = str(host), int(port)
        self.base_url = f"http://{self.host}:{self.port}/api/rest/v1"

    def __repr__(self) -> str:
        return f"SandboxHandle(base_url={self.base_url!r}, token=***)"

    @property
    def world(self) -> World:
        return self._sandbox.world

    def truth(self, as_of: int | None = None) -> dict[str, Any]:
        """Ground truth; "today" is the wall clock unless `as_of` (epoch seconds) is given."""
        return self._sandbox.truth(as_of)

    def advance(self, **what: Any) -> dict[str, Any]:
        """new_orders=, refunds=, cancellations=, scans=, restorations= (paid orders cancelled
        before), seed=, now= (epoch seconds, capped at the wall clock), touch_updated_at= (False:
        refunds, cancellations and scans leave updated_at as it was), postpone_show_ids= and
        postpone_days= (default 14), move_event_ids= (to the city farthest in time zone)."""
        return self._sandbox.advance(**what)

    def set_faults(self, **faults: Any) -> dict[str, Any]:
        self._sandbox.faults.update(**faults)
        return self._sandbox.faults.as_dict()

    def stats(self) -> dict[str, Any]:
        return self._sandbox.stats.snapshot()

    def reset_stats(self) -> None:
        self._sandbox.stats.reset()

    def expected_requests(self) -> dict[str, int]:
        return expected_requests(self._sandbox.world)


def start_server(
    world: World,
    token: str,
    host: str = "127.0.0.1",
    port: int = 0,
    ignore_filters: bool = False,
    ignore_select: bool = False,
    unfiltered_total: bool = False,
    **faults: Any,
) -> SandboxServer:
    """Bind (port 0: a free port) and serve in a daemon thread."""
    sandbox = Sandbox(world, token, ignore_filters, FaultConfig(**faults), ignore_select, unfiltered_total)
    server = SandboxServer((host, port), sandbox)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="qtickets-sandbox", daemon=True
    ).start()
    return server


@contextmanager
def run_sandbox(
    size: str = "small",
    seed: int = 1,
    token: str = "sandbox-token",
    ignore_filters: bool = False,
    anchor: int | None = None,
    ignore_select: bool = False,
    unfiltered_total: bool = False,
    **faults: Any,
) -> Iterator[SandboxHandle]:
    """A sandbox on a free loopback port for the duration of the block.

    `ignore_filters`, `ignore_select` and `unfiltered_total` are readings of the API the client
    must survive (see `Api`). `faults` are `FaultConfig`'s fields: latency_ms (0 by default, so
    tests stay fast), latency_model ("lognormal" or "constant"), latency_seed, and the fault shares.
    """
    world = generate_world(size, seed, anchor)
    server = start_server(
        world,
        token,
        ignore_filters=ignore_filters,
        ignore_select=ignore_select,
        unfiltered_total=unfiltered_total,
        **faults,
    )
    try:
        yield SandboxHandle(server, token)
    finally:
        server.shutdown()
        server.server_close()
