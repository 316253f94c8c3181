"""Records → mart rows: the fields the old loader got wrong, on payloads shaped like the real API's."""

from datetime import UTC, date, datetime

import pandas as pd
import pyarrow as pa

from qtickets_assets.lib import frames, local_days
from qtickets_assets.lib.qtickets.models import Event, parse_record
from qtickets_assets_tests.qtickets.fakes import raw_event


def test_city_comes_from_the_city_object_not_its_string_form() -> None:
    row = frames.events_frame([parse_record(Event, raw_event(1))]).iloc[0]
    assert (row["city_id"], row["city_name"], row["city_timezone"]) == (24, "Томск", "Asia/Krasnoyarsk")


def test_an_unknown_city_time_zone_falls_back_to_moscow_instead_of_breaking_the_view() -> None:
    raw = raw_event(1, city={"id": 24, "name": "Томск", "timezone": "UTC+7"})
    row = frames.events_frame([parse_record(Event, raw)]).iloc[0]
    assert (row["city_name"], row["city_timezone"]) == ("Томск", "Europe/Moscow")


def test_a_zone_python_knows_but_arrow_cannot_read_falls_back_to_moscow_with_a_warning(caplog) -> None:
    """Python's zoneinfo also reads the tzdata wheel, Arrow (which computes the local days) only
    the system's database: "Factory" is in the one and not the other here, as W-SU and Europe/Kiev
    are on a slim image without tzdata-legacy. Kept, it stopped the sales load with ArrowInvalid."""
    raw = raw_event(1, city={"id": 24, "name": "Томск", "timezone": "Factory"})
    event = parse_record(Event, raw)
    zones = pa.array(list(local_days.Calendar.of_events([event]).zones.values()))
    midnight = pa.array([datetime(2025, 11, 30, 21, tzinfo=UTC)], pa.timestamp("s", tz="UTC"))
    assert local_days.local_dates(midnight, zones).to_pylist() == [date(2025, 12, 1)]  # Moscow's day
    assert frames.events_frame([event]).iloc[0]["city_timezone"] == "Europe/Moscow"
    assert "the time zone 'Factory', which Python knows but this machine's time-zone database" in caplog.text
    assert "Install the system packages tzdata and tzdata-legacy" in caplog.text


def test_an_event_without_a_venue_is_stored_with_empty_venue_text() -> None:
    raw = raw_event(1, place_name=None)
    del raw["place_address"]
    row = frames.events_frame([parse_record(Event, raw)]).iloc[0]
    assert (row["venue_name"], row["venue_address"]) == ("", "")


def test_an_event_without_an_update_time_is_stored_with_its_creation_time() -> None:
    """The docs give an event's times as "ISO string / null": a null updated_at must not fail the
    events crawl; dim_events keeps the creation time as its version."""
    raw = raw_event(1, created_at="2025-10-20T12:00:00+03:00", updated_at=None)
    row = frames.events_frame([parse_record(Event, raw)]).iloc[0]
    assert row["updated_at"] == pd.Timestamp("2025-10-20 09:00", tz="UTC")
    neither = frames.events_frame([parse_record(Event, {**raw, "created_at": None})]).iloc[0]
    assert neither["updated_at"] == pd.Timestamp("1970-01-01", tz="UTC")
