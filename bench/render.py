"""What serving a full crawl costs the sandbox, no HTTP: `python -m bench.render --size medium`.

Calls the sandbox's `Api.handle` for every request a full crawl makes (event pages, order pages,
every live show's seat map with the client's `select`), twice over one `Api` (a second crawl of
the same world), and prints the CPU time of each pass per route.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from qtickets_assets.lib.qtickets.seats import SEAT_SELECT
from qtickets_assets.sandbox.api import Api
from qtickets_assets.sandbox.generate import generate_world
from qtickets_assets.sandbox.model import World
from qtickets_assets.sandbox.truth.tables import live_shows


def list_pages(route: str, per_page: int, count: int) -> list[tuple[str, dict[str, Any]]]:
    pages = -(-count // per_page)
    return [(route, {"orderBy": {"id": "asc"}, "page": page}) for page in range(1, pages + 1)]


def crawl(world: World) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    shows = [s.id for e in world.events if e.deleted_at is None for s in live_shows(e)]
    seat_body = {"flat": True, "select": list(SEAT_SELECT)}
    return {
        "events": list_pages("/events", 10, len(world.events)),
        "orders": list_pages("/orders", 50, len(world.orders)),
        "seats": [(f"/shows/{show_id}/seats", seat_body) for show_id in shows],
    }


def timed(requests: list[tuple[str, dict[str, Any]]], handle: Callable[..., Any]) -> tuple[float, int]:
    started, size = time.process_time(), 0
    for path, body in requests:
        size += len(handle(path, {}, body).body)
    return time.process_time() - started, size


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.render")
    parser.add_argument("--size", default="medium")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    world = generate_world(args.size, args.seed)
    api = Api(world)
    for label in ("first crawl", "second crawl"):
        for route, requests in crawl(world).items():
            cpu, size = timed(requests, api.handle)
            print(
                f"{label:12} {route:7} {len(requests):5} requests  {cpu:6.2f} s CPU  "
                f"{1000 * cpu / len(requests):6.2f} ms each  {size / len(requests) / 1024:7.1f} KiB each"
            )


if __name__ == "__main__":
    main()
