"""The truth of the views per show and local day: v_sales_daily (paid, refunded and cancelled
tickets) and v_sales_pace (the running total of paid tickets against the show's capacity).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from qtickets_assets.sandbox.truth.formats import rubles
from qtickets_assets.sandbox.truth.tickets import Ticket


def daily_rows(all_tickets: list[Ticket]) -> list[dict[str, Any]]:
    """Per (event, show, local day): tickets paid that day and still paid, refunds made that day, and
    paid tickets cancelled that day without a refund."""
    sums: dict[tuple[int, int, date], list[int]] = {}  # paid q, ₽, refunded q, ₽, cancelled q, ₽
    show_days: dict[int, date] = {}
    for t in all_tickets:
        basket = t.basket
        show_days[t.show.id] = t.show_day
        amounts = (
            (t.paid_day if t.status == "paid" else None, 0, basket.price),
            (t.refunded_day, 2, basket.refunded_amount or 0),
            (t.cancelled_unrefunded_day, 4, basket.price),
        )
        for day, slot, money in amounts:
            if day is not None:
                acc = sums.setdefault((t.event.id, t.show.id, day), [0] * 6)
                acc[slot] += basket.quantity
                acc[slot + 1] += money
    return [
        {
            "event_id": event_id,
            "show_id": show_id,
            "date_local": day.isoformat(),
            "days_before_show": (show_days[show_id] - day).days,
            "tickets_paid": acc[0],
            "revenue_paid": rubles(acc[1]),
            "tickets_refunded": acc[2],
            "amount_refunded": rubles(acc[3]),
            "tickets_cancelled": acc[4],
            "amount_cancelled": rubles(acc[5]),
        }
        for (event_id, show_id, day), acc in sorted(sums.items())
    ]


def pace_rows(daily: list[dict[str, Any]], inventory: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per live show (the inventory's) and local day of payment: tickets still paid, the running
    total and the share of today's capacity."""
    capacity = {row["show_id"]: row["tickets_total"] for row in inventory}
    rows: list[dict[str, Any]] = []
    so_far: dict[int, int] = {}
    for row in sorted(daily, key=lambda r: (r["show_id"], r["date_local"])):
        show_id = row["show_id"]
        if show_id not in capacity or row["tickets_paid"] == 0:
            continue
        so_far[show_id] = so_far.get(show_id, 0) + row["tickets_paid"]
        seats = capacity[show_id]
        rows.append(
            {
                "event_id": row["event_id"],
                "show_id": show_id,
                "date_local": row["date_local"],
                "days_before_show": row["days_before_show"],
                "tickets_paid": row["tickets_paid"],
                "tickets_paid_cumulative": so_far[show_id],
                "capacity": seats,
                "share_of_capacity": so_far[show_id] / seats if seats else None,
            }
        )
    return rows
