"""The truth of the views that sum a show or an event whole: v_show_attendance (paid and scanned
tickets per show) and v_sales_dashboard (sales and seats per live event, "today" and "14d" included).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from qtickets_assets.sandbox.model import World
from qtickets_assets.sandbox.truth.formats import local_day, rubles, utc
from qtickets_assets.sandbox.truth.tickets import Ticket, basket_status


def attendance_rows(all_tickets: list[Ticket], inventory: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per live show (the inventory's), and per deleted show (or show of a deleted event) with paid
    tickets: paid tickets, how many were scanned, first and last scan."""
    paid: dict[int, int] = {}
    scanned: dict[int, int] = {}
    scans: dict[int, list[int]] = {}
    deleted: dict[int, dict[str, Any]] = {}
    for t in all_tickets:
        if t.status != "paid":
            continue
        show_id, basket = t.show.id, t.basket
        if t.show.deleted_at is not None or t.event.deleted_at is not None:
            deleted[show_id] = {
                "event_id": t.event.id,
                "show_id": show_id,
                "show_starts_at": utc(t.show.start),
                "tickets_total": 0,
            }
        paid[show_id] = paid.get(show_id, 0) + basket.quantity
        if basket.checked_at is not None:
            scanned[show_id] = scanned.get(show_id, 0) + basket.quantity
            scans.setdefault(show_id, []).append(basket.checked_at)
    rows = []
    for is_deleted, shows in ((0, inventory), (1, list(deleted.values()))):
        for row in shows:
            rows.append(attendance_row(row, is_deleted, paid, scanned, scans))
    return rows


def attendance_row(
    row: dict[str, Any],
    is_deleted: int,
    paid: dict[int, int],
    scanned: dict[int, int],
    scans: dict[int, list[int]],
) -> dict[str, Any]:
    show_id = row["show_id"]
    n_paid, n_scanned, at = paid.get(show_id, 0), scanned.get(show_id, 0), scans.get(show_id, [])
    return {
        "event_id": row["event_id"],
        "show_id": show_id,
        "is_deleted": is_deleted,
        "show_starts_at": row["show_starts_at"],
        "capacity": row["tickets_total"],
        "tickets_paid": n_paid,
        "tickets_scanned": n_scanned,
        "share_scanned": n_scanned / n_paid if n_paid else None,
        "first_scan_at": utc(min(at)) if at else None,
        "last_scan_at": utc(max(at)) if at else None,
    }


def dashboard_rows(world: World, inventory: list[dict[str, Any]], as_of: int) -> list[dict[str, Any]]:
    """Per live event; "today" and "14d" are calendar days of `as_of` in the event's own zone."""
    live = {e.id: e for e in world.events if e.deleted_at is None}
    sums: dict[int, list[int]] = {i: [0] * 6 for i in live}  # total q, total ₽, today q, ₽, 14d q, ₽
    today = {i: local_day(as_of, ZoneInfo(e.city.timezone)) for i, e in live.items()}
    for order in world.orders:
        if order.event_id not in live or not order.payed or order.payed_at is None:
            continue
        day = local_day(order.payed_at, ZoneInfo(live[order.event_id].city.timezone))
        ago = (today[order.event_id] - day).days
        acc = sums[order.event_id]
        for basket in order.baskets:
            if basket_status(order, basket) != "paid":
                continue
            slots = (0, 2, 4) if ago == 0 else (0, 4) if 0 <= ago < 14 else (0,)
            for slot in slots:
                acc[slot] += basket.quantity
                acc[slot + 1] += basket.price
    stock: dict[int, list[int]] = {i: [0, 0] for i in live}
    for row in inventory:
        stock[row["event_id"]][0] += row["tickets_total"]
        stock[row["event_id"]][1] += row["tickets_left"]
    return [
        {
            "event_id": i,
            "event_name": e.name,
            "city_name": e.city.name,
            "tickets_sold_total": sums[i][0],
            "revenue_total": rubles(sums[i][1]),
            "tickets_sold_today": sums[i][2],
            "revenue_today": rubles(sums[i][3]),
            "tickets_sold_14d": sums[i][4],
            "revenue_14d": rubles(sums[i][5]),
            "tickets_total": stock[i][0],
            "tickets_left": stock[i][1],
        }
        for i, e in live.items()
    ]
