"""The truth of fact_sales: one Ticket per basket, with what every sales table and view needs (its
order, event, show, status and local days), and the fact_sales row it makes. The views count
from these Tickets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from qtickets_assets.sandbox.model import Basket, Event, Order, Show, World, ZoneSpec
from qtickets_assets.sandbox.truth.formats import iso_day, local_day, rubles, utc


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
        "local_zone": t.zone.key,  # the zone of the _local days: the event's city's now
    }
