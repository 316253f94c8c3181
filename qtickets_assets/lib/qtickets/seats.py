"""Seat lists from GET /shows/{id}/seats, in either shape the API may send.

Flat (`{"flat": true}`, documented): `{"data": {"<seat id>": Seat, ...}}`.
Not flat (conf. L): `{"data": {"<zone id>": {"zone_id", "name", "seats": {"<seat id>": Seat}}}}`.
The previous loader expected a list and read every answer as zero seats; here an answer that is
neither shape is an error, never an empty hall.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .errors import QticketsPayloadError, QticketsProtocolError
from .models import Seat, _log_unknown_once, parse_record
from .paging import MAX_PAGES

# What GET /shows/{id}/seats is asked to `select`: the fields we keep. A server that ignores it
# sends whole seats, which parse the same (the unused fields are dropped).
SEAT_SELECT = tuple(Seat.model_fields)
_KNOWN = frozenset(SEAT_SELECT)
_EXPECTED = Seat.known_fields()  # fields, aliases and documented unused names: never noted
# `_counts_as_sent` checks each of these by hand; a field added to Seat must be checked there too.
assert {"id", "root_id", "zone_root_id", "admission", "max_quantity", "free_quantity", "disabled"} == _KNOWN


class SeatCount(NamedTuple):
    """What the inventory needs of one seat (`rules.show_inventory` reads a Seat the same way)."""

    root_id: str
    max_quantity: int
    free_quantity: int
    disabled: bool


def parse_show_seats(payload: Any, show_id: int) -> list[Seat]:
    """Every seat of the answer, validated."""
    context = f"show {show_id}"
    return [parse_record(Seat, _with_id(key, raw), context) for key, raw in _raw_seats(payload, show_id)]


def show_seat_counts(payload: Any, show_id: int) -> list[SeatCount]:
    """Every seat of the answer as its counts: what `parse_show_seats` gives, minus the objects.

    A hall has hundreds to thousands of seats, and building a validated Seat for each was most of
    an inventory snapshot's CPU (~4.7 µs a seat; this takes ~0.3 µs). A seat whose fields already
    have exactly their validated types is read as it is; any other seat takes full validation, so
    odd wire types ("1" for a flag) are read the same way and errors name the same seat and field.
    """
    context = f"show {show_id}"
    return [
        _counts_as_sent(raw) or _counts(parse_record(Seat, _with_id(key, raw), context))
        for key, raw in _raw_seats(payload, show_id)
    ]


def _counts(seat: Seat) -> SeatCount:
    return SeatCount(seat.root_id, seat.max_quantity, seat.free_quantity, seat.disabled)


def _counts_as_sent(raw: Any) -> SeatCount | None:
    """The counts when every kept field is present or defaulted with its final type, else None.

    `type(x) is int` on purpose: a bool is an int to isinstance, but True is not a quantity.
    """
    if type(raw) is not dict:
        return None
    get = raw.get
    # Built unchecked, then checked field by field below (a NamedTuple does not validate).
    counts = SeatCount(get("root_id"), get("max_quantity"), get("free_quantity"), get("disabled", False))  # type: ignore[arg-type]
    if (
        type(counts.root_id) is not str
        or type(counts.max_quantity) is not int
        or type(counts.free_quantity) is not int
        or type(counts.disabled) is not bool
        or type(get("id")) is not str
        or type(get("admission", False)) is not bool
        or not (get("zone_root_id") is None or type(get("zone_root_id")) is str)
    ):
        return None
    if not raw.keys() <= _KNOWN:  # a server that ignores `select`, or a new field (noted once)
        for key in raw.keys() - _EXPECTED:
            _log_unknown_once("Seat", str(key))
    return counts


def _raw_seats(payload: Any, show_id: int) -> list[tuple[str | None, Any]]:
    """(flat key, raw seat) for each seat, in either shape."""
    if not isinstance(payload, dict) or "data" not in payload:
        raise QticketsProtocolError(f"GET /shows/{show_id}/seats: the answer has no `data`")
    return [
        (key, raw)
        for zone_key, value in _entries(payload["data"], show_id)
        for key, raw in _expand(zone_key, value, show_id)
    ]


def _entries(data: Any, show_id: int) -> list[tuple[str | None, Any]]:
    if isinstance(data, dict):
        return [(str(k), v) for k, v in data.items()]
    if isinstance(data, list):  # `[]` is PHP's empty map; a list of seats is tolerated too
        return [(None, v) for v in data]
    raise QticketsProtocolError(f"GET /shows/{show_id}/seats: `data` is a {type(data).__name__}")


def _expand(key: str | None, value: Any, show_id: int) -> list[tuple[str | None, Any]]:
    """A zone node yields its seats; a seat yields itself."""
    if isinstance(value, dict) and "seats" in value and "root_id" not in value:
        seats = value["seats"]
        if isinstance(seats, dict):
            return [(str(k), v) for k, v in seats.items()]
        if isinstance(seats, list):
            return [(None, v) for v in seats]
        raise QticketsProtocolError(f"GET /shows/{show_id}/seats: zone {key} has unreadable `seats`")
    return [(key, value)]


def _with_id(key: str | None, raw: Any) -> Any:
    """The flat map is keyed by seat id; fill `id` from the key when the object omits it."""
    if isinstance(raw, dict) and "id" not in raw and key is not None:
        return {**raw, "id": key}
    return raw


def seat_map_pages(payload: Any, path: str) -> range:
    """The pages after the first that a seat map's own `paging` says it has (none when it has no
    `paging`, as documented, or one page)."""
    paging_ = payload.get("paging") if isinstance(payload, dict) else None
    if not isinstance(paging_, dict):
        return range(0)
    per_page, total = paging_.get("perPage"), paging_.get("total")
    if not isinstance(per_page, int) or not isinstance(total, int) or per_page <= 0 or total <= per_page:
        return range(0)
    pages = -(-total // per_page)
    if pages > MAX_PAGES:
        raise QticketsProtocolError(f"GET {path}: {pages} pages of seats exceeds the cap of {MAX_PAGES}")
    return range(2, pages + 1)


def joined_seat_pages(parts: list[Any], paging_: dict[str, Any], path: str) -> Any:
    """The `data` of every page of a seat map as one, checked against the map's total."""
    if all(isinstance(part, dict) for part in parts):
        joined: Any = {key: value for part in parts for key, value in part.items()}
    elif all(isinstance(part, list) for part in parts):
        joined = [value for part in parts for value in part]
    else:
        raise QticketsPayloadError(f"GET {path}: its pages hold `data` in different forms")
    if len(joined) != paging_["total"]:
        raise QticketsPayloadError(
            f"GET {path}: its {len(parts)} pages hold {len(joined)} entries, its total says "
            f"{paging_['total']}; the seats cannot be counted"
        )
    return joined
