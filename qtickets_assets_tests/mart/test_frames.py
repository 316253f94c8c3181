"""Records → mart rows: the fields the old loader got wrong, on payloads shaped like the real API's."""

from qtickets_assets.lib import frames
from qtickets_assets.lib.qtickets.models import Event, parse_record
from qtickets_assets_tests.qtickets.fakes import raw_event


def test_city_comes_from_the_city_object_not_its_string_form() -> None:
    row = frames.events_frame([parse_record(Event, raw_event(1))]).iloc[0]
    assert (row["city_id"], row["city_name"], row["city_timezone"]) == (24, "Томск", "Asia/Krasnoyarsk")


def test_an_unknown_city_time_zone_falls_back_to_moscow_instead_of_breaking_the_view() -> None:
    raw = raw_event(1, city={"id": 24, "name": "Томск", "timezone": "UTC+7"})
    row = frames.events_frame([parse_record(Event, raw)]).iloc[0]
    assert (row["city_name"], row["city_timezone"]) == ("Томск", "Europe/Moscow")


def test_an_event_without_a_venue_is_stored_with_empty_venue_text() -> None:
    raw = raw_event(1, place_name=None)
    del raw["place_address"]
    row = frames.events_frame([parse_record(Event, raw)]).iloc[0]
    assert (row["venue_name"], row["venue_address"]) == ("", "")
