"""Ground truth in the contract's terms, counted from the sandbox's own model (never from the client).

Money is a string with two decimals, timestamps ISO UTC with "Z", dates "YYYY-MM-DD", local clock
times "HH:MM". "Local" is the zone of the event's city. Columns that depend on when the loader ran
(`snapshot_at`, `inventory_updated_at`, `sales_updated_at`) are left out.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from qtickets_assets.sandbox.model import (
    Basket,
    Discount,
    Event,
    Order,
    PromoCode,
    Show,
    World,
    ZoneSpec,
    seat_free,
)
from qtickets_assets.sandbox.render import MSK_OFFSET, msk


def utc(ts: int | None) -> str | None:
    """strftime("%Y-%m-%dT%H:%M:%SZ", gmtime(ts)): Moscow's cached spelling, moved back three hours
    (strftime was 2.6 us a call, a million calls per large truth)."""
    if ts is None:
        return None
    moscow = msk(ts - MSK_OFFSET)
    assert moscow is not None
    return moscow[:19] + "Z"


# Exact below 10**13 rubles: kopecks / 100 is then within half an ulp (under 0.1 kopeck) of the true
# value, far from the half kopeck that would change its rounding to two decimals (tested against
# integer arithmetic); ~6x faster than formatting the integer parts.
RUBLES_EXACT_BELOW = 10**15


def rubles(kopecks: int) -> str:
    if abs(kopecks) < RUBLES_EXACT_BELOW:
        return f"{kopecks / 100:.2f}"
    sign = "-" if kopecks < 0 else ""
    return f"{sign}{abs(kopecks) // 100}.{abs(kopecks) % 100:02d}"


def live_shows(event: Event) -> list[Show]:
    return [s for s in event.shows if s.deleted_at is None]


def dim_event(event: Event) -> dict[str, Any]:
    shows = live_shows(event)
    return {
        "event_id": event.id,
        "event_name": event.name,
        "city_id": event.city.id,
        "city_name": event.city.name,
        "city_timezone": event.city.timezone,
        "venue_name": event.venue.name,
        "venue_address": event.venue.address,
        "starts_at": utc(min(s.start for s in shows)) if shows else None,
        "ends_at": utc(max(s.finish for s in shows)) if shows else None,
        "is_active": event.is_active,
        "is_deleted": int(event.deleted_at is not None),
        "updated_at": utc(event.updated_at),
    }


def show_inventory(event: Event, show: Show) -> tuple[int, int]:
    """(total, left) over seats that are not disabled; each physical seat once, whatever its tariffs."""
    total = left = 0
    for zone in event.venue.layout.zones:
        for seat in zone.seats:
            if not seat.disabled:
                total += seat.max_quantity
                left += seat_free(show, seat)
    return total, left


def inventory_rows(world: World) -> list[dict[str, Any]]:
    rows = []
    for event in world.events:
        if event.deleted_at is not None:
            continue
        for show in live_shows(event):
            total, left = show_inventory(event, show)
            rows.append(
                {
                    "event_id": event.id,
                    "show_id": show.id,
                    "show_starts_at": utc(show.start),
                    "tickets_total": total,
                    "tickets_left": left,
                    "tickets_sold": total - left,
                }
            )
    return rows


def basket_status(order: Order, basket: Basket) -> str:
    if basket.deleted_at is not None or order.deleted_at is not None:
        return "cancelled"
    if basket.refunded_at is not None:
        return "refunded"
    return "paid" if order.payed else "unpaid"


@dataclass(frozen=True, slots=True)
class Ticket:
    """One basket with what every sales table needs: its order, event, show, status, local days."""

    order: Order
    basket: Basket
    event: Event
    show: Show
    zone: ZoneInfo
    status: str
    paid_day: date | None  # the order's payed_at, local; None unless the order is paid
    refunded_day: date | None
    show_day: date  # the show's current start, local
    hall_zone: ZoneSpec  # the zone of the venue the ticket's seat is in

    @property
    def cancelled_unrefunded_day(self) -> date | None:
        """The local day a paid ticket was cancelled with nothing refunded; None for any other."""
        if self.status != "cancelled" or self.paid_day is None or self.basket.refunded_at is not None:
            return None
        at = cancelled_at(self.order, self.basket)
        assert at is not None, "a cancelled ticket has a deletion time"
        return local_day(at, self.zone)


def tickets(world: World) -> list[Ticket]:
    zones = {e.id: ZoneInfo(e.city.timezone) for e in world.events}
    show_days = {s.id: local_day(s.start, zones[e.id]) for e in world.events for s in e.shows}
    hall_zones = {(e.id, z.zone_id): z for e in world.events for z in e.venue.layout.zones}
    out = []
    for order in world.orders:
        event, zone = world.events_by_id[order.event_id], zones[order.event_id]
        paid_day = local_day(order.payed_at, zone) if order.payed and order.payed_at is not None else None
        for basket in order.baskets:
            refunded_day = None if basket.refunded_at is None else local_day(basket.refunded_at, zone)
            show = world.shows_by_id[basket.show_id]
            status = basket_status(order, basket)
            hall_zone = hall_zones[event.id, basket.seat_root_id.rsplit("-", 1)[0]]
            out.append(
                Ticket(
                    order,
                    basket,
                    event,
                    show,
                    zone,
                    status,
                    paid_day,
                    refunded_day,
                    show_days[show.id],
                    hall_zone,
                )
            )
    return out


def iso_day(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def cancelled_at(order: Order, basket: Basket) -> int | None:
    return basket.deleted_at if basket.deleted_at is not None else order.deleted_at


def sales_row(t: Ticket) -> dict[str, Any]:
    order, basket, utm = t.order, t.basket, t.order.utm
    discount = basket.original_price - basket.price if order.discount_id is not None else 0
    return {
        "basket_id": basket.id,
        "order_id": order.id,
        "event_id": order.event_id,
        "show_id": basket.show_id,
        "created_at": utc(basket.created_at),
        "paid_at": utc(order.payed_at) if order.payed else None,
        "status": t.status,
        "quantity": basket.quantity,
        "price": rubles(basket.price),
        "currency": order.currency_id,
        "utm_source": utm.get("utm_source", ""),
        "utm_medium": utm.get("utm_medium", ""),
        "utm_campaign": utm.get("utm_campaign", ""),
        "original_price": rubles(basket.original_price),
        "discount_amount": rubles(discount),
        "service_fee": rubles(basket.service_fee),
        "discount_id": order.discount_id,
        "promo_code_id": order.promo_code_id,
        "ticket_name": basket.seat_name,
        "payment_type": order.payment_type_id or "",
        "site_host": "" if order.site is None else order.site.host,
        "utm_content": utm.get("utm_content", ""),
        "utm_term": utm.get("utm_term", ""),
        "refunded_at": utc(basket.refunded_at),
        "refunded_amount": rubles(basket.refunded_amount or 0),
        "cancelled_at": utc(cancelled_at(order, basket)),
        "checked_at": utc(basket.checked_at),
        "created_date_local": local_day(basket.created_at, t.zone).isoformat(),
        "paid_date_local": iso_day(t.paid_day),
        "refunded_date_local": iso_day(t.refunded_day),
        # The price category: the tariff's code in a multi-price zone, else the zone (its one tariff).
        "tariff_name": basket.multiprice_code or t.hall_zone.name,
        "zone_name": t.hall_zone.name,
    }


def show_columns(event: Event, show: Show) -> dict[str, Any]:
    return {
        "event_name": event.name,
        "city_name": event.city.name,
        "city_timezone": event.city.timezone,
        "venue_name": event.venue.name,
        "show_starts_at": utc(show.start),
        "show_date_local": local_day(show.start, ZoneInfo(event.city.timezone)).isoformat(),
        "show_time_local": datetime.fromtimestamp(show.start, ZoneInfo(event.city.timezone)).strftime(
            "%H:%M"
        ),
    }


def view_rows(world: World, all_tickets: list[Ticket], sales: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """v_sales: each fact_sales row with its event, show start and the names of its discount and code."""
    codes = {p.id: p.code for p in world.promo_codes}
    discount_names = {d.id: d.name for d in world.discounts}
    shows = {s.id: show_columns(e, s) for e in world.events for s in e.shows}
    rows = []
    for t, row in zip(all_tickets, sales, strict=True):
        order = t.order
        rows.append(
            {
                **row,
                "days_before_show": None if t.paid_day is None else (t.show_day - t.paid_day).days,
                **shows[t.show.id],
                "promo_code": "" if order.promo_code_id is None else codes[order.promo_code_id],
                "discount_name": "" if order.discount_id is None else discount_names[order.discount_id],
            }
        )
    return rows


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


SOURCE_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "promo_code", "payment_type", "site_host")


def source_rows(all_tickets: list[Ticket], views: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Paid tickets and revenue per event, local paid day and where the sale came from."""
    sums: dict[tuple[Any, ...], list[int]] = {}
    for t, row in zip(all_tickets, views, strict=True):
        if t.status == "paid":
            key = (row["event_id"], row["paid_date_local"], *(row[f] for f in SOURCE_FIELDS))
            acc = sums.setdefault(key, [0, 0])
            acc[0] += t.basket.quantity
            acc[1] += t.basket.price
    names = ("event_id", "date_local", *SOURCE_FIELDS)
    return [
        {**dict(zip(names, key, strict=True)), "tickets_paid": acc[0], "revenue_paid": rubles(acc[1])}
        for key, acc in sorted(sums.items())
    ]


def dim_discount(d: Discount) -> dict[str, Any]:
    return {
        "discount_id": d.id,
        "name": d.name,
        "type": "P",
        "is_active": d.is_active,
        "active_from": utc(d.active_from),
        "active_to": utc(d.active_to),
        "is_deleted": int(d.deleted_at is not None),
    }


def dim_promo_code(p: PromoCode) -> dict[str, Any]:
    return {
        "promo_code_id": p.id,
        "code": p.code,
        "discount_id": p.discount_id,
        "is_active": p.is_active,
        "max_uses_count": p.max_uses_count,
        "active_from": utc(p.active_from),
        "active_to": utc(p.active_to),
        "is_deleted": int(p.deleted_at is not None),
    }


def local_day(ts: int, tz: ZoneInfo) -> date:
    return datetime.fromtimestamp(ts, tz).date()


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


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """The truth of a large world is ~1.5 million new dicts and tuples, none in a cycle: the cyclic
    collector would walk them over and over (a third of the time), and find nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def truth(world: World, as_of: int | None = None) -> dict[str, list[dict[str, Any]]]:
    """The mart a correct loader builds; "today" is taken at `as_of` (default: the wall clock)."""
    as_of = int(time.time()) if as_of is None else as_of
    with world.lock, no_cyclic_gc():
        inventory = inventory_rows(world)
        all_tickets = tickets(world)
        sales = [sales_row(t) for t in all_tickets]
        views = view_rows(world, all_tickets, sales)
        daily = daily_rows(all_tickets)
        return {
            "dim_events": [dim_event(e) for e in world.events],
            "dim_discounts": [dim_discount(d) for d in world.discounts],
            "dim_promo_codes": [dim_promo_code(p) for p in world.promo_codes],
            "fact_inventory_latest": inventory,
            "fact_sales": sales,
            "v_sales_dashboard": dashboard_rows(world, inventory, as_of),
            "v_sales": views,
            "v_sales_daily": daily,
            "v_show_attendance": attendance_rows(all_tickets, inventory),
            "v_sales_pace": pace_rows(daily, inventory),
            "v_sales_by_source": source_rows(all_tickets, views),
        }


def expected_requests(world: World) -> dict[str, int]:
    """How many GETs a full crawl needs: pages per list, and one seat map per inventoried show."""
    with world.lock:
        return {
            "events_pages": math.ceil(len(world.events) / 10),
            "orders_pages": math.ceil(len(world.orders) / 50),
            "seat_maps": sum(len(live_shows(e)) for e in world.events if e.deleted_at is None),
        }
