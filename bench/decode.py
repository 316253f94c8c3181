"""The client's CPU per orders page, and the fact_sales write's calendar: `python -m bench.decode`.

No HTTP and no Dagster: the sandbox's `Api.handle` renders every orders page of a world once (its
CPU is not counted), then each way of reading them runs over all pages, `--repeat` times:
    validated   orjson + pydantic (`models.Order`) + the page's tickets table: the path of every
                page before the native reading, and of the pages it leaves to validation
    native      msgspec (`native.decode_order_page`) + the page's tickets table: the crawl's path
and the calendar days of the spooled tickets of the whole world (`orders.with_local_dates`):
    per page    one `Calendar.with_local_dates` per spooled page, as the write did before
    per block   the write's own stream: one per block of BLOCK_ROWS tickets
Each figure is the median of the runs (min–max) of this process's CPU time, with the load average
(1 min) read just before the first run beside it. Figures only: nothing here fails on timing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import orjson
import pyarrow as pa

from qtickets_assets.lib import local_days, tickets
from qtickets_assets.lib.clickhouse.ddl import to_arrow_schema
from qtickets_assets.lib.orders import SpooledTickets, with_local_dates
from qtickets_assets.lib.qtickets.models import Event, Order, parse_record
from qtickets_assets.lib.qtickets.native import decode_order_page
from qtickets_assets.lib.spool import ArrowSpool
from qtickets_assets.sandbox.api import Api
from qtickets_assets.sandbox.generate import generate_world

ORDERS_PER_PAGE = 50  # the API's (sandbox/resources.py)
EVENTS_PER_PAGE = 10


def pages(api: Api, route: str, per_page: int, count: int) -> list[bytes]:
    numbers = range(1, -(-count // per_page) + 1)
    return [api.handle(route, {}, {"orderBy": {"id": "asc"}, "page": n}).body for n in numbers]


def validated(body: bytes) -> pa.Table:
    orders = [parse_record(Order, raw) for raw in orjson.loads(body)["data"]]
    return tickets.tickets_table(orders)


def native(body: bytes) -> pa.Table:
    page = decode_order_page(body)
    if page is None:
        raise SystemExit("a sandbox page fell back to validation: the native figure would not be native")
    return tickets.tickets_table(page.data)


def cpu(run: Callable[[], Any], repeat: int) -> tuple[list[float], float]:
    """CPU seconds of each of `repeat` runs, and the 1-minute load average before the first."""
    load = os.getloadavg()[0]
    times = []
    for _ in range(repeat):
        started = time.process_time()
        run()
        times.append(time.process_time() - started)
    return times, load


def line(label: str, times: list[float], load: float, per: int, unit: str) -> str:
    ms = [1000 * t / per for t in times]
    return (
        f"| {label} | {statistics.median(ms):.3f} ({min(ms):.3f}–{max(ms):.3f}) {unit} "
        f"| {1000 * statistics.median(times):.0f} ms | {load:.2f} |"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.decode", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--size", default="medium", choices=["small", "medium", "large"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    world = generate_world(args.size, args.seed)
    api = Api(world)
    bodies = pages(api, "/orders", ORDERS_PER_PAGE, len(world.orders))
    event_bodies = pages(api, "/events", EVENTS_PER_PAGE, len(world.events))
    events = [parse_record(Event, raw) for body in event_bodies for raw in orjson.loads(body)["data"]]
    calendar = local_days.Calendar.of_events(events)
    n = len(bodies)
    orders = len(world.orders)
    print(f"{args.size} world: {orders:,} orders on {n} pages; medians of {args.repeat} runs (min–max)")
    print()
    print("| reading | CPU per page | CPU, all pages | load avg |")
    print("| --- | ---: | ---: | ---: |")
    for label, read in (
        ("validated (orjson + pydantic + Arrow)", validated),
        ("native (msgspec + Arrow)", native),
    ):
        times, load = cpu(lambda read=read: [read(body) for body in bodies], args.repeat)  # type: ignore[misc]
        print(line(label, times, load, n, "ms"), flush=True)

    page_tables = [native(body) for body in bodies]

    def spooled() -> SpooledTickets:
        spool = ArrowSpool(to_arrow_schema(tickets.crawled_schema()))
        for table in page_tables:
            spool.append(table)
        return SpooledTickets(spool, len(world.orders), frozenset(calendar.zones), 0)

    def per_page() -> None:
        for batch in spooled().spool.reader():
            calendar.with_local_dates(pa.Table.from_batches([batch]))

    def per_block() -> None:
        with_local_dates(spooled(), calendar).read_all()

    def spool_only() -> None:  # what both include: spooling the pages and reading them back
        for _ in spooled().spool.reader():
            pass

    print()
    print("| calendar days of the spooled tickets | CPU per page | CPU, whole write | load avg |")
    print("| --- | ---: | ---: | ---: |")
    baseline, _ = cpu(spool_only, args.repeat)
    floor = statistics.median(baseline)
    for label, run in (("per page (before)", per_page), ("per block (the write)", per_block)):
        times, load = cpu(run, args.repeat)
        print(line(label, [t - floor for t in times], load, n, "ms"), flush=True)
    print(f"\n(spooling the {n} pages and reading them back, taken off both: {1000 * floor:.0f} ms)")


if __name__ == "__main__":
    main()
