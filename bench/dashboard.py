"""v_sales_dashboard over N generated tickets: `python -m bench.dashboard --dir DIR --rows 1000000`.

Rows are generated with numpy straight into a fresh chDB directory (Arrow, through the same writers
the IO manager uses: upsert for fact_sales, so the table is in its normal merged state), then the
view is queried repeatedly. Reported: the median and spread of the query, in two states: merged
(after the upsert's OPTIMIZE FINAL) and with 1% of tickets re-inserted as newer, unmerged versions
(the state during an incremental write, which the view's FINAL must still read exactly).
"""

from __future__ import annotations

import argparse
import statistics
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from qtickets_assets.lib.clickhouse.ddl import table_schema, to_arrow_schema
from qtickets_assets.lib.clickhouse.resource import open_migrated
from qtickets_assets.lib.clickhouse.writers import insert_blocks, writer_for

DATABASE = "qtickets"
ZONES = ["Europe/Moscow", "Asia/Krasnoyarsk", "Asia/Novosibirsk", "Asia/Vladivostok", "Europe/Kaliningrad"]
STATUSES = np.array(["paid", "unpaid", "cancelled", "refunded"])


def _table(name: str, columns: dict[str, Any]) -> pa.Table:
    schema = to_arrow_schema(table_schema(name))
    return pa.Table.from_arrays([pa.array(columns[f.name], type=f.type) for f in schema], schema=schema)


def events(n_events: int, now: int) -> pa.Table:
    ids = np.arange(1, n_events + 1, dtype=np.uint64)
    stamps = np.full(n_events, now, dtype="datetime64[s]")
    return _table(
        "dim_events",
        {
            "event_id": ids,
            "event_name": [f"Event {i}" for i in ids],
            "city_id": ids % len(ZONES),
            "city_name": [f"City {i % len(ZONES)}" for i in ids],
            "city_timezone": [ZONES[i % len(ZONES)] for i in ids],
            "venue_name": ["Hall"] * n_events,
            "venue_address": ["Street 1"] * n_events,
            "starts_at": stamps,
            "ends_at": stamps,
            "is_active": np.ones(n_events, dtype=np.uint8),
            "is_deleted": (ids % 50 == 0).astype(np.uint8),
            "updated_at": stamps,
        },
    )


def only(status: np.ndarray, wanted: str, values: list[Any]) -> list[Any]:
    """The values where the ticket has the wanted status, None elsewhere."""
    return [v if s == wanted else None for s, v in zip(status, values, strict=True)]


def sales(rows: int, n_events: int, now: int, rng: np.random.Generator, first_id: int = 1) -> pa.Table:
    created = now - rng.integers(0, 90 * 86400, rows)
    status = STATUSES[rng.choice(4, rows, p=[0.8, 0.1, 0.05, 0.05])]
    created_at = created.astype("datetime64[s]").tolist()
    created_day = created.astype("datetime64[s]").astype("datetime64[D]")
    paid = [None if s == "unpaid" else c for s, c in zip(status, created_at, strict=True)]
    paid_day = [None if s == "unpaid" else d for s, d in zip(status, created_day.tolist(), strict=True)]
    prices = [Decimal(int(c)).scaleb(-2) for c in rng.integers(35_000, 150_000, rows)]
    zero = [Decimal("0.00")] * rows
    nothing = [None] * rows
    return _table(
        "fact_sales",
        {
            "basket_id": np.arange(first_id, first_id + rows, dtype=np.uint64),
            "order_id": np.arange(first_id, first_id + rows, dtype=np.uint64) // 2,
            "event_id": rng.integers(1, n_events + 1, rows).astype(np.uint64),
            "show_id": rng.integers(1, 5 * n_events, rows).astype(np.uint64),
            "created_at": created.astype("datetime64[s]"),
            "paid_at": paid,
            "status": status,
            "quantity": np.ones(rows, dtype=np.uint32),
            "price": prices,
            "currency": ["RUB"] * rows,
            "utm_source": rng.choice(["", "vk", "yandex", "telegram"], rows),
            "utm_medium": rng.choice(["", "cpc", "social"], rows),
            "utm_campaign": rng.choice(["", "spring", "autumn"], rows),
            "updated_at": np.full(rows, now, dtype="datetime64[s]"),
            "original_price": prices,
            "discount_amount": zero,
            "service_fee": zero,
            "discount_id": nothing,
            "promo_code_id": nothing,
            "ticket_name": ["Взрослый"] * rows,
            "payment_type": rng.choice(["card", "sbp", "cash"], rows),
            "site_host": ["demo.qtickets.events"] * rows,
            "utm_content": [""] * rows,
            "utm_term": [""] * rows,
            "refunded_at": only(status, "refunded", created_at),
            "refunded_amount": [
                p if s == "refunded" else Decimal("0.00") for s, p in zip(status, prices, strict=True)
            ],
            "cancelled_at": only(status, "cancelled", created_at),
            "checked_at": nothing,
            "created_date_local": created_day,
            "paid_date_local": paid_day,
            "refunded_date_local": only(status, "refunded", created_day.tolist()),
            "tariff_name": rng.choice(["full", "preferential", "Детский билет"], rows),
            "zone_name": rng.choice(["Партер", "Балкон", "Взрослый билет"], rows),
            # The days above are UTC days in no event's zone: the bench times queries, not figures.
            "local_zone": [""] * rows,
        },
    )


def inventory(n_events: int, now: int) -> pa.Table:
    shows = np.arange(1, 5 * n_events, dtype=np.uint64)
    total = np.full(len(shows), 500, dtype=np.uint32)
    left = (shows % 500).astype(np.uint32)
    return _table(
        "fact_inventory_latest",
        {
            "event_id": shows % n_events + 1,
            "show_id": shows,
            "show_starts_at": np.full(len(shows), now, dtype="datetime64[s]"),
            "tickets_total": total,
            "tickets_left": left,
            "tickets_sold": total - left,
            "snapshot_at": np.full(len(shows), now, dtype="datetime64[s]"),
        },
    )


def timed_queries(client: Any, repeats: int) -> list[float]:
    sql = f"SELECT * FROM {DATABASE}.v_sales_dashboard ORDER BY revenue_total DESC, event_id"
    client.query_arrow(sql)  # warm-up: the first query reads the parts' marks from disk
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        client.query_arrow(sql)
        times.append((time.perf_counter() - started) * 1000)
    return times


def describe(label: str, times: list[float], rows: int) -> str:
    q = statistics.quantiles(times, n=10, method="inclusive")
    return (
        f"| {label} | {rows:,} | {len(times)} | {statistics.median(times):.1f} | {min(times):.1f} "
        f"| {q[-1]:.1f} | {max(times):.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard")
    parser.add_argument("--dir", type=Path, required=True, help="a fresh directory for the chDB data")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=250)
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args()

    rng = np.random.default_rng(7)
    now = int(time.time())
    url = f"chdb://{args.dir.resolve()}"
    started = time.perf_counter()
    data = sales(args.rows, args.events, now, rng)
    generated = time.perf_counter() - started
    lines = [
        "| state | tickets | queries | median ms | min ms | p90 ms | max ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    with open_migrated(url, DATABASE) as client:
        writer_for("replace").write(client, DATABASE, "dim_events", events(args.events, now))
        writer_for("replace").write(client, DATABASE, "fact_inventory_latest", inventory(args.events, now))
        started = time.perf_counter()
        writer_for("upsert").write(client, DATABASE, "fact_sales", data)
        upserted = time.perf_counter() - started
        lines.append(describe("merged", timed_queries(client, args.repeats), args.rows))
        # 1% newer versions, inserted but not merged: the view reads FINAL, so duplicates stay hidden.
        changed = sales(args.rows // 100, args.events, now + 1, rng, first_id=1)
        insert_blocks(client, DATABASE, "fact_sales", changed)
        lines.append(describe("1% unmerged versions", timed_queries(client, args.repeats), args.rows))
    print(
        f"generated {args.rows:,} tickets in {generated:.1f} s; "
        f"upsert (insert + OPTIMIZE FINAL) {upserted:.1f} s"
    )
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    main()
