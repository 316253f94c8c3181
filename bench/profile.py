"""Where a crawl's CPU goes, without Dagster: `python -m bench.profile --size medium --what seats`.

`--what changed`: the incremental sales load's crawls (new ids, orders updated since the watermark
less the 15 minutes' overlap) after a sandbox advance of 1 % of the orders (as many new, refunded
and cancelled), the requests they took counted; `--unfiltered-total` serves filtered pages whose
total counts the unfiltered list (the other reading of the API the client survives).

The sandbox runs as its own process (its CPU is reported apart from the client's), the client path
of one asset runs here: fetch + parse + the asset's frame and Arrow conversion (orders: the spool).
Prints wall time, this process's CPU time and the sandbox's. For a flame profile of every thread:
`py-spy record -o profile.svg -- python -m bench.profile ...` (py-spy: `pip install py-spy`).
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import timedelta

from qtickets_assets.defs.sync import SalesSyncConfig
from qtickets_assets.lib import frames
from qtickets_assets.lib.clickhouse.convert import frame_to_arrow
from qtickets_assets.lib.clickhouse.ddl import table_schema
from qtickets_assets.lib.orders import changed_order_pages, spool_tickets
from qtickets_assets.lib.qtickets.client import QticketsClient
from qtickets_assets.sandbox.process import RemoteSandbox, spawn_sandbox


def self_cpu() -> float:
    times = os.times()
    print(f"  (user {times.user:.2f} s, system {times.system:.2f} s)")
    return times.user + times.system


def changed(client: QticketsClient, sandbox: RemoteSandbox) -> str:
    """The incremental crawls after an advance of 1 % of the orders, as the sales job makes them."""
    marker = client.latest_order_marker()
    assert marker.max_id is not None and marker.max_updated_at is not None, "a world with orders"
    share = max(sandbox.world()["orders"] // 100, 1)
    sandbox.advance(new_orders=share, refunds=share, cancellations=share)
    sandbox.reset_stats()
    since = marker.max_updated_at - timedelta(minutes=SalesSyncConfig().overlap_minutes)
    spooled = spool_tickets(changed_order_pages(client, marker.max_id, since))
    requests = sandbox.stats()["total_requests"]
    return f"{spooled.orders_read} orders read, {requests} requests"


def run(client: QticketsClient, what: str) -> str:
    if what == "orders":
        spooled = spool_tickets(client.iter_native_order_pages())
        for _ in spooled.spool.reader():  # read back as the write would (the calendar days left out)
            pass
        return f"{spooled.orders_read} orders, {spooled.tickets} tickets"
    events = [event for page in client.iter_event_pages() for event in page]
    shows = frames.shows_frame(events)
    if what == "events":
        frame_to_arrow(frames.events_frame(events), table_schema("dim_events"))
        return f"{len(events)} events, {len(shows)} shows"
    live = shows[shows["is_deleted"] == 0].sort_values("show_id")
    inventory = dict(client.iter_show_inventory(live["show_id"].tolist()))
    seats = sum(counts.tickets_total for counts in inventory.values())
    return f"{len(inventory)} shows, {seats} places"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("--size", default="medium")
    parser.add_argument("--what", choices=["orders", "events", "seats", "changed"], default="seats")
    parser.add_argument("--unfiltered-total", action="store_true")
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--latency-model", choices=["lognormal", "constant"], default="lognormal")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    flags = [
        "--latency-model",
        args.latency_model,
        *(["--unfiltered-total"] if args.unfiltered_total else []),
    ]
    with (
        spawn_sandbox(args.size, latency_ms=args.latency_ms, args=flags) as sandbox,
        QticketsClient(sandbox.base_url, sandbox.token, max_concurrency=args.concurrency) as client,
    ):
        sandbox_cpu, own_cpu, started = sandbox.cpu_seconds(), self_cpu(), time.perf_counter()
        what = changed(client, sandbox) if args.what == "changed" else run(client, args.what)
        wall = time.perf_counter() - started
        own_cpu, sandbox_cpu = self_cpu() - own_cpu, sandbox.cpu_seconds() - sandbox_cpu
        crawl = sandbox.stats()["crawl"]
        print(
            f"{args.what} ({what}): wall {wall:.2f} s, client CPU {own_cpu:.2f} s, "
            f"sandbox CPU {sandbox_cpu:.2f} s; crawl {crawl['span_s']:.2f} s, "
            f"sequential {crawl['service_s']:.2f} s, mean in flight {crawl['mean_in_flight']:.2f}"
        )


if __name__ == "__main__":
    main()
