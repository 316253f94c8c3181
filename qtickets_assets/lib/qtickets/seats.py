"""Seat lists from GET /shows/{id}/seats, in either shape the API may send.

Flat (`{"flat": true}`, documented): `{"data": {"<seat id>": Seat, ...}}`.
Not flat (conf. L): `{"data": {"<zone id>": {"zone_id", "name", "seats": {"<seat id>": Seat}}}}`.
The previous loader expected a list and read every answer as zero seats; here an answer that is
neither shape is an error, never an empty hall.
"""

from __future__ import annotations

from typing import Any

from .errors import QticketsProtocolError
from .models import Seat, parse_record


def parse_show_seats(payload: Any, show_id: int) -> list[Seat]:
    if not isinstance(payload, dict) or "data" not in payload:
        raise QticketsProtocolError(f"GET /shows/{show_id}/seats: the answer has no `data`")
    raw_seats = [
        (key, raw)
        for zone_key, value in _entries(payload["data"], show_id)
        for key, raw in _expand(zone_key, value, show_id)
    ]
    context = f"show {show_id}"
    return [parse_record(Seat, _with_id(key, raw), context) for key, raw in raw_seats]


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
