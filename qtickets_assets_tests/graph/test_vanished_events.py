"""An event the API no longer lists at all (GET /events leaves it out, GET /events/{id} answers 404)
while its orders remain: its shows' paid tickets stay in v_show_attendance, and a nightly rebuild
keeps its tickets' days in the zone they were stored in. Before, the attendance view's join to
dim_events dropped those shows with every check passing, and the rebuild read the days in Moscow
time (an independent fake of the API found both)."""

import pytest

from qtickets_assets.lib.qtickets.client import QticketsClient
from qtickets_assets.sandbox.testing import run_sandbox
from qtickets_assets_tests.graph.mart import materialize_all, read_mart
from qtickets_assets_tests.graph.test_event_moves import busiest_events, stored_days
from qtickets_assets_tests.graph.test_full_sync import assert_succeeded

MOSCOW = "Europe/Moscow"


def hide_event(monkeypatch: pytest.MonkeyPatch, event_id: int) -> None:
    """The API as if the event were gone: left out of its list, 404 on its own."""
    pages, one = QticketsClient.iter_event_pages, QticketsClient.get_event

    def listed(client, where=None):
        for page in pages(client, where):
            yield [event for event in page if event.id != event_id]

    monkeypatch.setattr(QticketsClient, "iter_event_pages", listed)
    monkeypatch.setattr(
        QticketsClient, "get_event", lambda client, e: None if e == event_id else one(client, e)
    )


def attendance(url: str, event_id: int) -> dict[int, dict]:
    return {row["show_id"]: row for row in read_mart(url, "v_show_attendance") if row["event_id"] == event_id}


def test_an_event_gone_from_the_api_keeps_its_attendance_and_its_days(tmp_path, monkeypatch):
    url = f"chdb://{tmp_path / 'ch'}"
    with run_sandbox(size="small", seed=23) as sandbox:
        assert_succeeded(materialize_all(sandbox.base_url, sandbox.token, url))
        gone = next(e for e in busiest_events(sandbox) if e.city.timezone != MOSCOW)
        before = attendance(url, gone.id)
        days = stored_days(url, gone.id)
        assert sum(row["tickets_paid"] for row in before.values()) > 0
        assert {zone for *_, zone in days.values()} == {gone.city.timezone}

        hide_event(monkeypatch, gone.id)
        assert_succeeded(materialize_all(sandbox.base_url, sandbox.token, url, job_name="inventory_job"))
        after = attendance(url, gone.id)
        paid = {show: row for show, row in before.items() if row["tickets_paid"] > 0}
        assert after.keys() == paid.keys()
        for show, row in after.items():
            assert (row["tickets_paid"], row["tickets_scanned"]) == (
                paid[show]["tickets_paid"],
                paid[show]["tickets_scanned"],
            )
            assert (row["is_deleted"], row["event_name"], row["show_starts_at"]) == (1, "", None)

        # The nightly rebuild reads every order again: the event's tickets keep their days.
        nightly = materialize_all(sandbox.base_url, sandbox.token, url, job_name="nightly_reconcile_job")
        assert nightly.success
        checks = {
            (e.asset_key.path[-1], e.check_name): e.passed for e in nightly.get_asset_check_evaluations()
        }
        assert not checks["fact_sales", "event_ids_known"]  # a warning names the event the API lost
        assert stored_days(url, gone.id) == days
