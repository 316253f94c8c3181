"""Seat lists from GET /shows/{id}/seats, in either shape the API may send.

Flat (`{"flat": true}`, documented): `{"data": {"<seat id>": Seat, ...}}`.
Not flat (conf. L): `{"data": {"<zone id>": {"zone_id", "name", "seats": {"<seat id>": Seat}}}}`.
The previous loader expected a list and read every answer as zero seats; here an answer that is
neither shape is an error, never an empty hall.
"""

from __future__ import annotations

from typing import Any

from .errors import QticketsProtocolError
from .models import Seat, _log_unknown_once, parse_record

# A hall has thousands of seats and full validation costs ~10 µs each (most of the inventory
# snapshot's CPU). A seat whose fields already have exactly the types validation would produce is
# built without re-validating them (same values, same fields set); any other seat takes the full
# path, so odd wire types and errors behave as before. Unknown fields are noted once, as there.
_FIELDS = tuple(Seat.model_fields)
# What GET /shows/{id}/seats is asked to `select`: the fields we keep. A server that ignores it
# sends whole seats, which parse the same (the unused fields are dropped).
SEAT_SELECT = _FIELDS
_KNOWN = frozenset(_FIELDS)
_EXPECTED = Seat.known_fields()  # fields, aliases and documented unused names: never noted
_STRICT: dict[str, tuple[type, ...]] = {
    "id": (str,),
    "root_id": (str,),
    "zone_root_id": (str, type(None)),
    "admission": (bool,),
    "max_quantity": (int,),
    "free_quantity": (int,),
    "disabled": (bool,),
}
assert set(_STRICT) == _KNOWN, "keep _STRICT in step with models.Seat"
# What model_construct would do for Seat (no aliases, no post-init, immutable defaults), without its
# generic per-field alias handling: half of the seat step's parsing CPU.
_DEFAULTS = {name: f.default for name, f in Seat.model_fields.items() if not f.is_required()}
assert all(f.alias is None and f.validation_alias is None for f in Seat.model_fields.values())
assert not Seat.__pydantic_post_init__ and not Seat.__private_attributes__
assert all(v is None or type(v) is bool for v in _DEFAULTS.values())
_new = Seat.__new__
_set = object.__setattr__


def parse_show_seats(payload: Any, show_id: int) -> list[Seat]:
    if not isinstance(payload, dict) or "data" not in payload:
        raise QticketsProtocolError(f"GET /shows/{show_id}/seats: the answer has no `data`")
    raw_seats = [
        (key, raw)
        for zone_key, value in _entries(payload["data"], show_id)
        for key, raw in _expand(zone_key, value, show_id)
    ]
    context = f"show {show_id}"
    return [_fast_seat(raw) or parse_record(Seat, _with_id(key, raw), context) for key, raw in raw_seats]


def _fast_seat(raw: Any) -> Seat | None:
    """The seat without re-validation when every field is already of its final type, else None."""
    if not isinstance(raw, dict) or "id" not in raw:
        return None
    values = {}
    for name in _FIELDS:
        if name in raw:
            value = raw[name]
            # bool is an int, but True is not a quantity: validation refuses it, so the slow path must.
            if type(value) not in _STRICT[name]:
                return None
            values[name] = value
    if len(raw) != len(values):
        for key in raw.keys() - _EXPECTED:  # new fields only: noted once, as validation would
            _log_unknown_once("Seat", str(key))
    if "root_id" not in values or "max_quantity" not in values or "free_quantity" not in values:
        return None  # required fields missing: the slow path reports them
    fields_set = set(values)
    if len(values) != len(_FIELDS):
        values = {name: values[name] if name in values else _DEFAULTS[name] for name in _FIELDS}
    seat = _new(Seat)  # = Seat.model_construct(**values), test_rules checks they are equal
    _set(seat, "__dict__", values)
    _set(seat, "__pydantic_fields_set__", fields_set)
    _set(seat, "__pydantic_extra__", None)
    _set(seat, "__pydantic_private__", None)
    return seat


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
