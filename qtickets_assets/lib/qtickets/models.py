"""Typed records for the parts of the API the mart needs.

Only analytical fields are modelled: client, e-mails, phones, names and card numbers are never
kept (pydantic drops every field not declared here). Unknown fields are logged once per
model and field name, so a schema change shows up in the logs without flooding them.
"""

from __future__ import annotations

import logging
import threading
from functools import cache
from typing import Annotated, Any, ClassVar, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pyarrow as pa
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .errors import QticketsPayloadError
from .fields import (
    Count,
    Flag,
    Int,
    Money,
    OptionalInt,
    OptionalUtcDatetime,
    Text,
    UtcDatetime,
    empty_map_to_dict,
    empty_to_none,
    php_list,
)

log = logging.getLogger(__name__)
_seen_unknown: set[tuple[str, str]] = set()
_seen_lock = threading.Lock()


class Record(BaseModel):
    """Base of every API record: immutable, ignores unknown fields after noting them once."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)
    # Documented fields the mart does not need (personal data among them): dropped without a word.
    # Anything else the API starts sending is new, and is logged once by name.
    unused: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    @cache  # one set per record class: this runs for every record parsed
    def known_fields(cls) -> frozenset[str]:
        """Every key this record expects on the wire: its fields, their aliases and `unused`."""
        aliases = (f.validation_alias for f in cls.model_fields.values())
        return frozenset(cls.model_fields) | cls.unused | {a for a in aliases if isinstance(a, str)}

    @model_validator(mode="before")
    @classmethod
    def _note_unknown_fields(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in data.keys() - cls.known_fields():
                _log_unknown_once(cls.__name__, str(key))
        return data


def _log_unknown_once(model: str, field: str) -> None:
    with _seen_lock:
        if (model, field) in _seen_unknown:
            return
        _seen_unknown.add((model, field))
    # Field names only, never values: unknown fields include personal data (client, emails).
    log.info("Qtickets %s has a new field the client does not know: %s", model, field)


def _localised_name(value: Any) -> Any:
    """Multilingual cabinets may send {"ru": "...", "en": "..."}: take Russian, else the first."""
    if isinstance(value, dict):
        if isinstance(value.get("ru"), str):
            return value["ru"]
        return next((v for v in value.values() if isinstance(v, str)), value)
    return value


def _names(spaced: str) -> frozenset[str]:
    return frozenset(spaced.split())


# Whether a `refunds` list holds anything. Its items' shape is unknown (docs/qtickets-api.md §3.3):
# a refund there that no basket's refunded_at shows is counted (order_flags.refunds_unread), not read.
Listed = Annotated[bool, BeforeValidator(bool)]


class City(Record):
    id: Int
    name: str
    # None when absent or not an IANA zone: one bad zone would otherwise break the whole dashboard
    # view (ClickHouse refuses to load it), so it is logged and the event is read in Moscow time.
    timezone: str | None = Field(default=None, validate_default=True)

    @field_validator("timezone", mode="before")
    @classmethod
    def _known_zone(cls, value: Any, info: ValidationInfo) -> str | None:
        if value in (None, ""):
            log.warning("Qtickets city %s has no time zone; Moscow time is used", info.data.get("id"))
            return None
        try:
            ZoneInfo(str(value))
        except (ZoneInfoNotFoundError, ValueError):
            log.warning(
                "Qtickets city %s has an unknown time zone %r; Moscow time is used",
                info.data.get("id"),
                value,
            )
            return None
        if not _arrow_reads_zone(str(value)):
            log.warning(
                "Qtickets city %s has the time zone %r, which Python knows but this machine's "
                "time-zone database (/usr/share/zoneinfo, where Arrow computes local days) lacks; "
                "Moscow time is used. Install the system packages tzdata and tzdata-legacy.",
                info.data.get("id"),
                value,
            )
            return None
        return str(value)


@cache
def _arrow_reads_zone(zone: str) -> bool:
    """Whether Arrow can take a local day in `zone`. Python's zoneinfo also reads the `tzdata`
    wheel, Arrow only the system's database: a zone in one may be missing from the other (a slim
    image without tzdata-legacy lacks W-SU and Europe/Kiev), and would stop the sales load."""
    try:
        pa.array([0], pa.timestamp("s", tz=zone)).cast(pa.date32())
    except pa.ArrowInvalid:
        return False
    return True


class Show(Record):
    unused = _names(
        "name sale_start_date sale_finish_date open_date prices min_price max_price "
        "scheme_properties created_at"
    )
    id: Int
    is_active: Flag
    start_date: OptionalUtcDatetime = None
    finish_date: OptionalUtcDatetime = None
    updated_at: OptionalUtcDatetime = None
    deleted_at: OptionalUtcDatetime = None


class Event(Record):
    unused = _names(
        "scheme_id place_description place_coordinates description site_url url slug external_id "
        "age event_type_id ticket_id ticket mail_template_id mail_template payments poster"
    )
    id: Int
    name: Annotated[str, BeforeValidator(_localised_name)]
    is_active: Flag
    city: Annotated[City | None, BeforeValidator(empty_to_none)]
    city_id: OptionalInt = None
    place_name: str | None = None
    place_address: str | None = None
    currency_id: str | None = None
    shows: Annotated[list[Show], BeforeValidator(lambda v: [] if v is None else php_list(v))] = Field(
        default_factory=list
    )
    created_at: OptionalUtcDatetime = None
    # The docs give the three as "ISO string / null": a null update time must not fail the crawl
    # (frames.events_frame stores the creation time in its place).
    updated_at: OptionalUtcDatetime = None
    deleted_at: OptionalUtcDatetime = None


class Seat(Record):
    unused = _names(
        "name zone_id short_seat_id row place ordered_quantity payed_quantity in_basket_quantity "
        "available ordered price currency_id related_seats multiprice_name multiprice_code spread "
        "color_theme_id coords"
    )
    id: Text
    root_id: Text
    zone_root_id: Text | None = None
    admission: Flag = False
    max_quantity: Int
    free_quantity: Int
    disabled: Flag = False


class Utm(Record):
    source: Text | None = Field(default=None, validation_alias="utm_source")
    medium: Text | None = Field(default=None, validation_alias="utm_medium")
    campaign: Text | None = Field(default=None, validation_alias="utm_campaign")
    content: Text | None = Field(default=None, validation_alias="utm_content")
    term: Text | None = Field(default=None, validation_alias="utm_term")


class Basket(Record):
    unused = _names(
        "series barcode seat_id ticket_original_price ticket_amount client_email "
        "client_phone client_name client_surname client_middlename organization_name legal_name "
        "work_position inn kpp comment pdf_url passbook_url gpass_url related_baskets services "
        "refunded_deduction_amount"
    )
    id: Int
    show_id: Int
    # The tariff or seat label, e.g. "Детский билет (будни)" or "Партер: Ряд 1, Место 6".
    seat_name: Text | None = None
    # The tariff of a multi-price zone (e.g. "full", "preferential"); null in a single-price zone.
    multiprice_code: Text | None = None
    price: Money  # after discount
    original_price: Money | None = None  # before discount; the price itself when absent
    discount_value: Money | None = None  # original_price - price; null when not discounted
    service_fee_amount: Money | None = None
    quantity: Count
    created_at: UtcDatetime
    updated_at: OptionalUtcDatetime = None
    deleted_at: OptionalUtcDatetime = None
    refunded_at: OptionalUtcDatetime = None
    refunded_amount: Money | None = None  # what was paid back (the price less any deduction)
    checked_at: OptionalUtcDatetime = None  # scanned at the entrance
    refunds: Listed = False


class Site(Record):
    unused = _names("id")
    host: Text | None = None


class Order(Record):
    unused = _names(
        "uniqid client_id client site_id payment_id payment_card_number payment_url cancel_url "
        "basket_user_id backend_user_id access_code_id reserved reserve_extended reserved_to "
        "original_price custom fields integrations"
    )
    id: Int
    event_id: Int
    payed: Flag
    payed_at: OptionalUtcDatetime = None
    created_at: UtcDatetime
    updated_at: UtcDatetime
    deleted_at: OptionalUtcDatetime = None
    currency_id: str
    # Σ basket.price, deleted baskets included (CAP-OR); kept only to reconcile revenue.
    price: Money | None = None
    utm: Annotated[Utm, BeforeValidator(empty_map_to_dict)] = Field(default_factory=Utm)
    discount_id: OptionalInt = None
    promo_code_id: OptionalInt = None
    # "card", "sbp", "pushka_card", numeric strings of a payment receiver; null at a box office.
    payment_type_id: Text | None = None
    # Where the order was placed; null (or PHP's []) for one made in the backend.
    site: Annotated[Site | None, BeforeValidator(empty_to_none)] = None
    baskets: Annotated[list[Basket], BeforeValidator(php_list)]
    refunds: Listed = False


class Discount(Record):
    unused = _names("events shows created_at")
    id: Int
    name: str
    type: Text | None = None  # "P" on every real row seen (percent, probably)
    is_active: Flag
    active_from: OptionalUtcDatetime = None
    active_to: OptionalUtcDatetime = None
    updated_at: OptionalUtcDatetime = None
    deleted_at: OptionalUtcDatetime = None


class PromoCode(Record):
    unused = _names("type created_at")
    id: Int
    code: Text
    discount_id: Int | None = None
    is_active: Flag
    max_uses_count: Int = 0  # 0 = unlimited, probably
    active_from: OptionalUtcDatetime = None
    active_to: OptionalUtcDatetime = None
    updated_at: OptionalUtcDatetime = None
    deleted_at: OptionalUtcDatetime = None


ModelT = TypeVar("ModelT", bound=Record)


def parse_record(model: type[ModelT], raw: Any, context: str = "") -> ModelT:
    """Validate one raw record; any problem becomes a QticketsPayloadError naming object, id, field."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        object_id = raw.get("id", "(no id)") if isinstance(raw, dict) else "(not an object)"
        label = f"{model.__name__} {object_id}{f' ({context})' if context else ''}"
        raise QticketsPayloadError(f"{label}: {_describe(exc)}") from None


def _describe(exc: ValidationError) -> str:
    """'field baskets[2].price: Input should be ...' for each error; input values are left out
    on purpose (they may be personal data)."""
    parts = []
    for error in exc.errors(include_input=False, include_url=False):
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"]).lstrip(".")
        parts.append(f"field {path or '(record)'}: {error['msg']}")
    return "; ".join(parts)
