"""Orders read from an answer's bytes by msgspec, in their wire types, without Python per field.

The validated path (`models.Order`) builds every field of a page as a Python object (orjson), the
personal data and the ~30 unused fields included, then runs a Python validator per kept field for
the API's PHP-isms. Here msgspec reads the bytes straight into `NativeOrder` structs: the kept
fields in the types the wire gives them (ints, bools, strings, amounts as floats, times as their
ISO text), every other field skipped unbuilt (but `refunds` lists, built only to tell whether
they hold anything: no sample has an entry, and nothing of one is kept). A page of 50 orders to
its tickets' Arrow table took 3.4 ms of CPU the validated way, 1.2 ms this way (bench/decode.py,
bench/RESULTS.md).

It reads a strict subset of what the validated path reads, so that both read an order the same:
`decode_order_page` gives None for any page it cannot read exactly that way (a flag sent as "1",
a number as a string, "" for null, a time not written as `YYYY-MM-DDTHH:MM:SS±HH:MM`, an amount
off the kopeck, `data` as a map...), and the client reads that page the validated way, which
takes every PHP-ism and names a bad field ("Order N: field baskets[0].price: ..."). A validated
order becomes a NativeOrder through `native_order`, so a crawl hands on one kind of record.

Fields the client does not know are skipped here unnoted: the client reads page 1 of every crawl
the validated way, which logs them once by name (models.Record).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from operator import attrgetter
from typing import Annotated, Any, Literal

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from .fields import MAX_AMOUNT, MAX_COUNT, STORABLE_TIMES, to_money, to_optional_utc, to_utc
from .models import Order

# Amounts within the validated path's range (Decimal(12, 2): under 10 billion either way).
Amount = Annotated[float, msgspec.Meta(gt=-float(MAX_AMOUNT), lt=float(MAX_AMOUNT))]
EmptyMap = Annotated[list[Any], msgspec.Meta(max_length=0)]  # PHP's [] for an empty map
# The one way the API writes a time. Both paths read such a text to the same instant; any other
# form (fractions of a second, no offset, a space, lower case...) goes the validated way.
WIRE_TIME = (
    r"^(19|2\d)\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d"
    r"(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$"
)
UTC_SECONDS = pa.timestamp("s", tz="UTC")
# An amount read as a float is its kopecks to within float error (< 1e-3 kopeck below 10 billion).
KOPECK_TOLERANCE = 1e-3


class NativeUtm(msgspec.Struct, frozen=True):
    source: str | None = msgspec.field(default=None, name="utm_source")
    medium: str | None = msgspec.field(default=None, name="utm_medium")
    campaign: str | None = msgspec.field(default=None, name="utm_campaign")
    content: str | None = msgspec.field(default=None, name="utm_content")
    term: str | None = msgspec.field(default=None, name="utm_term")
    # models.Utm also takes its fields by name ("source"): such a key, unless null, sends the page
    # the validated way rather than being skipped.
    by_name_source: None = msgspec.field(default=None, name="source")
    by_name_medium: None = msgspec.field(default=None, name="medium")
    by_name_campaign: None = msgspec.field(default=None, name="campaign")
    by_name_content: None = msgspec.field(default=None, name="content")
    by_name_term: None = msgspec.field(default=None, name="term")


NO_UTM = NativeUtm()


class NativeSite(msgspec.Struct, frozen=True):
    host: str | None = None


class NativeBasket(msgspec.Struct, frozen=True):
    """A basket's kept fields as sent; times are ISO text (only Arrow reads them: `tickets`)."""

    id: int
    show_id: int
    price: Amount
    quantity: Annotated[int, msgspec.Meta(ge=0, le=MAX_COUNT)]
    created_at: str
    seat_name: str | None = None
    multiprice_code: str | None = None
    original_price: Amount | None = None
    discount_value: Amount | None = None
    service_fee_amount: Amount | None = None
    updated_at: str | None = None
    deleted_at: str | None = None
    refunded_at: str | None = None
    refunded_amount: Amount | None = None
    checked_at: str | None = None
    refunds: Any = None  # only whether it holds anything is read (models.Listed)


class NativeOrder(msgspec.Struct, frozen=True):
    """An order's kept fields as sent. What a crawl reads in Python (the `where` clauses, the
    newest update) it reads like a models.Order: the times and the price are properties giving
    the validated path's values (aware UTC datetimes, a Decimal)."""

    id: int
    event_id: int
    payed: bool
    created_at_text: str = msgspec.field(name="created_at")
    updated_at_text: str = msgspec.field(name="updated_at")
    currency_id: str
    baskets: list[NativeBasket]
    payed_at_text: str | None = msgspec.field(default=None, name="payed_at")
    deleted_at_text: str | None = msgspec.field(default=None, name="deleted_at")
    price_amount: Amount | None = msgspec.field(default=None, name="price")
    utm_sent: NativeUtm | EmptyMap | Literal[""] | None = msgspec.field(default=None, name="utm")
    discount_id: int | None = None
    promo_code_id: int | None = None
    payment_type_id: str | None = None
    site_sent: NativeSite | EmptyMap | Literal[""] | None = msgspec.field(default=None, name="site")
    refunds: Any = None

    @property
    def created_at(self) -> datetime:
        return to_utc(self.created_at_text)  # type: ignore[no-any-return]

    @property
    def updated_at(self) -> datetime:
        return to_utc(self.updated_at_text)  # type: ignore[no-any-return]

    @property
    def payed_at(self) -> datetime | None:
        return to_optional_utc(self.payed_at_text)  # type: ignore[no-any-return]

    @property
    def deleted_at(self) -> datetime | None:
        return to_optional_utc(self.deleted_at_text)  # type: ignore[no-any-return]

    @property
    def price(self) -> Decimal | None:
        return None if self.price_amount is None else to_money(self.price_amount)

    @property
    def utm(self) -> NativeUtm:
        """PHP's [] or "" for no utm at all reads as a utm of nothing (as models.Order reads it)."""
        return self.utm_sent if isinstance(self.utm_sent, NativeUtm) else NO_UTM

    @property
    def site_host(self) -> str | None:
        return self.site_sent.host if isinstance(self.site_sent, NativeSite) else None


class _Paging(msgspec.Struct, frozen=True):
    per_page: int = msgspec.field(name="perPage")
    current_page: int = msgspec.field(name="currentPage")
    total: int


class NativeOrderPage(msgspec.Struct, frozen=True):
    data: list[NativeOrder]
    paging: _Paging
    status: str | None = None  # "error" on a 200 refusal: the validated path says what it is


_PAGE = msgspec.json.Decoder(NativeOrderPage)
# Order fields a NativeOrder keeps in their wire shapes (objects, PHP's [] or ""): a `where`
# clause on them would not compare as it does on an Order, so none is taken.
NOT_FILTERABLE = frozenset({"utm", "site", "baskets"})
# A basket's times and amounts (the tickets table reads them by these names too).
BASKET_TIMES = ("created_at", "updated_at", "deleted_at", "refunded_at", "checked_at")
BASKET_AMOUNTS = ("price", "original_price", "discount_value", "service_fee_amount", "refunded_amount")
_basket_times = attrgetter(*BASKET_TIMES)
_basket_amounts = attrgetter(*BASKET_AMOUNTS)


def decode_order_page(body: bytes) -> NativeOrderPage | None:
    """The page read natively, or None when it must be read the validated way."""
    try:
        page = _PAGE.decode(body)
    except msgspec.DecodeError:  # ValidationError is one
        return None
    if page.status == "error" or not read_exactly(page.data):
        return None
    return page


def read_exactly(orders: list[NativeOrder]) -> bool:
    """Whether every time is in the API's one form and every amount in whole kopecks: what the
    validated path would read to the same instant and the same amount."""
    times: list[str | None] = [
        t for o in orders for t in (o.created_at_text, o.updated_at_text, o.payed_at_text, o.deleted_at_text)
    ]
    amounts: list[float | None] = [o.price_amount for o in orders]
    for order in orders:
        for basket in order.baskets:
            times += _basket_times(basket)
            amounts += _basket_amounts(basket)
    return wire_times(times) is not None and whole_kopecks(amounts)


def wire_times(texts: list[str | None]) -> pa.Array[Any] | None:
    """The texts as UTC instants (None stays NULL), or None unless every one is in the API's form."""
    array = pa.array(texts, pa.string())
    if pc.all(pc.match_substring_regex(array, WIRE_TIME)).as_py() is False:  # None: no time at all
        return None
    try:
        instants = array.cast(UTC_SECONDS)  # a day the month has not (Feb 30) fails here
    except pa.ArrowInvalid:
        return None
    first, last = STORABLE_TIMES
    earliest, latest = pc.min_max(instants).values()
    if earliest.is_valid and not (first <= earliest.as_py() and latest.as_py() <= last):
        return None  # the validated reading names the record and field
    return instants


def whole_kopecks(amounts: list[float | None]) -> bool:
    kopecks = pc.multiply(pa.array(amounts, pa.float64()), 100)
    off = pc.max(pc.abs(pc.subtract(kopecks, pc.round(kopecks)))).as_py()
    return off is None or off < KOPECK_TOLERANCE  # None: no amount at all


# -- a validated order as a native one (the pages the fast path could not read) -----------------


def native_order(order: Order) -> NativeOrder:
    """`order` (validated) as the NativeOrder the fast path reads from the same record."""
    return NativeOrder(
        id=order.id,
        event_id=order.event_id,
        payed=order.payed,
        created_at_text=_text(order.created_at),
        updated_at_text=_text(order.updated_at),
        currency_id=order.currency_id,
        baskets=[
            NativeBasket(
                id=b.id,
                show_id=b.show_id,
                price=float(b.price),
                quantity=b.quantity,
                created_at=_text(b.created_at),
                seat_name=b.seat_name,
                multiprice_code=b.multiprice_code,
                original_price=_float(b.original_price),
                discount_value=_float(b.discount_value),
                service_fee_amount=_float(b.service_fee_amount),
                updated_at=_optional_text(b.updated_at),
                deleted_at=_optional_text(b.deleted_at),
                refunded_at=_optional_text(b.refunded_at),
                refunded_amount=_float(b.refunded_amount),
                checked_at=_optional_text(b.checked_at),
                refunds=b.refunds,
            )
            for b in order.baskets
        ],
        payed_at_text=_optional_text(order.payed_at),
        deleted_at_text=_optional_text(order.deleted_at),
        price_amount=_float(order.price),
        utm_sent=NativeUtm(
            source=order.utm.source,
            medium=order.utm.medium,
            campaign=order.utm.campaign,
            content=order.utm.content,
            term=order.utm.term,
        ),
        discount_id=order.discount_id,
        promo_code_id=order.promo_code_id,
        payment_type_id=order.payment_type_id,
        site_sent=None if order.site is None else NativeSite(host=order.site.host),
        refunds=order.refunds,
    )


def _text(moment: datetime) -> str:
    # Whole seconds: the mart's DateTime drops the rest, as Arrow does for the validated path.
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _optional_text(moment: datetime | None) -> str | None:
    return None if moment is None else _text(moment)


def _float(amount: Decimal | None) -> float | None:
    return None if amount is None else float(amount)
