"""Domain rules the mart is built on, each in one place (contract: docs/contract.md)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal, NamedTuple, Protocol

from .errors import QticketsPayloadError
from .models import Basket, Event, Order, Show

BasketStatus = Literal["paid", "unpaid", "cancelled", "refunded"]
# Qtickets stamps every time in Moscow time; an event whose city has no zone is read in it too.
DEFAULT_TIMEZONE = "Europe/Moscow"
# How far the API's clock may run from ours: an update stamped this long before a crawl began may
# still have landed after it, and one stamped further ahead of our clock is not to be believed.
CLOCK_SKEW = timedelta(minutes=15)


class ShowInventory(NamedTuple):
    tickets_total: int
    tickets_left: int

    @property
    def tickets_sold(self) -> int:
        return self.tickets_total - self.tickets_left


class CountedSeat(Protocol):
    """A seat as the inventory reads it: a `models.Seat` or a `seats.SeatCount`."""

    @property
    def root_id(self) -> str: ...
    @property
    def max_quantity(self) -> int: ...
    @property
    def free_quantity(self) -> int: ...
    @property
    def disabled(self) -> bool: ...


def show_inventory(seats: Sequence[CountedSeat], show_id: int | None = None) -> ShowInventory:
    """Capacity and free places over the seats that are not disabled.

    One physical seat is offered once per tariff (`full_X`, `preferential_X`, same `root_id`), so
    each root_id counts once; a general-admission zone is one seat whose capacity is max_quantity.
    Where a seat's offers disagree (no sample shows it: a tariff's own quota, say 50 child places
    of a 500-place floor), the seat counts with the largest capacity and the most places free of
    its offers: the hall's figures, the same whatever order the server lists the offers in (the
    first offer's counts made two snapshots of one hall differ by the order of its keys).
    An empty list means the seats could not be read, which must not become "0 tickets".
    """
    if not seats:
        raise QticketsPayloadError(f"show {show_id}: the seat list is empty; inventory unknown, not zero")
    capacity: dict[str, int] = {}
    free: dict[str, int] = {}
    for seat in seats:
        if seat.disabled:  # not counted, so its figures cannot make the count wrong
            continue
        root, places, left = seat.root_id, seat.max_quantity, seat.free_quantity
        if not 0 <= left <= places:
            raise QticketsPayloadError(f"show {show_id}: seat {root} has {left} free of {places}")
        capacity[root] = max(capacity.get(root, 0), places)
        free[root] = max(free.get(root, 0), left)
    return ShowInventory(tickets_total=sum(capacity.values()), tickets_left=sum(free.values()))


def basket_status(order: Order, basket: Basket) -> BasketStatus:
    """cancelled beats refunded beats paid; everything else is unpaid."""
    cancelled = basket.deleted_at is not None or order.deleted_at is not None
    return ticket_status(cancelled=cancelled, refunded=basket.refunded_at is not None, paid=order.payed)


def ticket_status(*, cancelled: bool, refunded: bool, paid: bool) -> BasketStatus:
    """The rule of `basket_status` on its three facts (what the tickets table reads per ticket)."""
    if cancelled:
        return "cancelled"
    if refunded:
        return "refunded"
    return "paid" if paid else "unpaid"


def event_dates(event: Event) -> tuple[datetime | None, datetime | None]:
    """First start and last finish over the shows that are not deleted (dates live only there)."""
    live = [show for show in event.shows if show.deleted_at is None]
    starts = [s.start_date for s in live if s.start_date is not None]
    finishes = [s.finish_date for s in live if s.finish_date is not None]
    return (min(starts) if starts else None, max(finishes) if finishes else None)


def event_timezone(event: Event) -> str:
    """The IANA zone an event's local days are counted in: its city's, else DEFAULT_TIMEZONE."""
    return (event.city.timezone if event.city else None) or DEFAULT_TIMEZONE


def is_live(event: Event, show: Show) -> bool:
    """A show on sale or played: neither it nor its event is deleted (a deleted show keeps its
    row in dim_shows for the tickets sold for it, marked is_deleted)."""
    return show.deleted_at is None and event.deleted_at is None
