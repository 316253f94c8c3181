"""An event moves to a city in another time zone: the tickets already stored get their calendar days
in the new zone on the next sales load, whether the events were loaded in the same run or an
earlier one. Before, they kept the old zone's days while dim_events, v_sales' city_timezone and the
dashboard's "today" followed the new one, and every check passed."""

import dagster as dg

from qtickets_assets.defs.automation.moved_events import moved_events_sensor
from qtickets_assets.lib import tickets
from qtickets_assets.lib.clickhouse.resource import open_migrated
from qtickets_assets.lib.clickhouse.writers import writer_for
from qtickets_assets.lib.local_days import Calendar
from qtickets_assets.lib.orders import spool_tickets, with_local_dates
from qtickets_assets.lib.qtickets.models import Order, parse_record
from qtickets_assets.lib.qtickets.native import native_order
from qtickets_assets.sandbox.model import Event
from qtickets_assets.sandbox.testing import SandboxHandle, run_sandbox
from qtickets_assets_tests.graph.mart import materialize_all, read_mart
from qtickets_assets_tests.graph.test_full_sync import assert_mart_equals_truth, assert_succeeded
from qtickets_assets_tests.qtickets.fakes import raw_basket, raw_order


def move(sandbox: SandboxHandle, event: Event) -> str:
    """Moves `event` to the city farthest from its own in time zone (the sandbox's advance, as an
    organiser's edit); its new zone."""
    (moved,) = sandbox.advance(move_event_ids=[event.id])["moved_events"]
    assert moved["timezone"] == event.city.timezone and moved["event_id"] == event.id
    return moved["timezone"]


def busiest_events(sandbox: SandboxHandle) -> list[Event]:
    """Live events, most tickets first."""
    tickets = {e.id: 0 for e in sandbox.world.events}
    for order in sandbox.world.orders:
        tickets[order.event_id] += len(order.baskets)
    return sorted((e for e in sandbox.world.events if e.deleted_at is None), key=lambda e: -tickets[e.id])


def stored_days(url: str, event_id: int) -> dict[int, tuple]:
    return {
        row["basket_id"]: (row["created_date_local"], row["paid_date_local"], row["local_zone"])
        for row in read_mart(url, "fact_sales")
        if row["event_id"] == event_id
    }


def moved_metadata(result: dg.ExecuteInProcessResult) -> int:
    (sales,) = result.asset_materializations_for_node("fact_sales")
    return sales.metadata["tickets_moved_zone"].value


def events_moved(result: dg.ExecuteInProcessResult) -> int:
    (events,) = [
        m
        for m in result.asset_materializations_for_node("dim_events_and_dim_shows")
        if m.asset_key == dg.AssetKey("dim_events")
    ]
    return events.metadata["events_moved_zone"].value


def evaluate_moved_events_sensor(instance: dg.DagsterInstance) -> dg.RunRequest | str:
    """A first tick of moved_events_sensor on `instance` (its newest dim_events materialization):
    the run it requests, else why it skipped."""
    tick = moved_events_sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
    assert bool(tick.run_requests) != bool(tick.skip_message), tick
    return tick.run_requests[0] if tick.run_requests else tick.skip_message


def test_the_tickets_of_an_event_that_moved_zone_get_the_new_zones_days(tmp_path):
    url = f"chdb://{tmp_path / 'ch'}"
    with run_sandbox(size="small", seed=23) as sandbox:
        assert_succeeded(materialize_all(sandbox.base_url, sandbox.token, url))
        first, second = busiest_events(sandbox)[:2]

        # The events loaded by one run (inventory_job), the sales by a later one, which
        # moved_events_sensor requests as soon as the events load is recorded.
        before = stored_days(url, first.id)
        old_zone = first.city.timezone
        zone = move(sandbox, first)
        instance = dg.DagsterInstance.ephemeral()
        inventory = materialize_all(
            sandbox.base_url, sandbox.token, url, job_name="inventory_job", instance=instance
        )
        assert_succeeded(inventory)
        assert events_moved(inventory) == 1
        told = (
            "events now in another time zone than their stored tickets' days: 1 "
            f"(event {first.id}: {old_zone} → {zone}); the next sales load writes those days again "
            "(moved_events_sensor requests one)"
        )
        assert told in [record.user_message for record in instance.all_logs(inventory.run_id)]
        request = evaluate_moved_events_sensor(instance)
        assert isinstance(request, dg.RunRequest), request  # of sales_job (test_definitions)
        sales = materialize_all(sandbox.base_url, sandbox.token, url, job_name="sales_job", instance=instance)
        assert_succeeded(sales)
        assert evaluate_moved_events_sensor(instance) == (
            "fact_sales was loaded after the events load that found 1 moved events"
        )
        warned = (
            f"{len(before)} stored tickets get their days again in their event's new time zone "
            f"(event {first.id}: {old_zone} → {zone})"
        )
        assert warned in [record.user_message for record in instance.all_logs(sales.run_id)]
        after = stored_days(url, first.id)
        assert after.keys() == before.keys()
        assert {zone for *_, zone in after.values()} == {zone}
        changed = [basket for basket in before if before[basket][:2] != after[basket][:2]]
        assert changed, "no ticket of the moved event changed day: the test proves nothing"
        assert moved_metadata(sales) == len(before)
        assert_mart_equals_truth(url, sandbox.truth)

        # Nothing moved since: nothing is written again (the old versions are merged away).
        assert (
            moved_metadata(materialize_all(sandbox.base_url, sandbox.token, url, job_name="sales_job")) == 0
        )

        # The events and the sales in one run (a full sync): the run's own events say where.
        zone = move(sandbox, second)
        full = materialize_all(sandbox.base_url, sandbox.token, url, instance=instance)
        assert_succeeded(full)
        assert events_moved(full) == 1
        assert evaluate_moved_events_sensor(instance) == (
            "fact_sales was loaded after the events load that found 1 moved events"
        )
        assert {zone for *_, zone in stored_days(url, second.id).values()} == {zone}
        assert moved_metadata(full) == len(stored_days(url, second.id))
        assert_mart_equals_truth(url, sandbox.truth)


def test_a_ticket_read_again_beside_its_stored_copy_keeps_what_the_crawl_read(tmp_path):
    """A ticket of a moved event that the crawl also read again, changed without a new updated_at
    (a scan that does not move it): both copies go in one upsert with the same version, and the
    crawl's, inserted last, is the one kept, not the stored copy written again for its days."""
    stamp = "2025-11-20T14:05:11+03:00"
    fresh = parse_record(Order, raw_order(1, updated_at=stamp, baskets=[raw_basket(5, checked_at=stamp)]))
    stale = parse_record(Order, raw_order(1, updated_at=stamp, baskets=[raw_basket(5)]))
    calendar = Calendar({fresh.event_id: "Asia/Vladivostok"})
    spooled = spool_tickets([[native_order(fresh)]])
    stored = tickets.tickets_table([native_order(stale)])
    with open_migrated(f"chdb://{tmp_path / 'ch'}", "qtickets") as client:
        writer_for("upsert").write(
            client, "qtickets", "fact_sales", with_local_dates(spooled, calendar, stored)
        )
        rows = client.query("SELECT basket_id, checked_at, local_zone FROM qtickets.fact_sales").result_rows
    assert [(basket, checked is not None, zone) for basket, checked, zone in rows] == [
        (5, True, "Asia/Vladivostok")
    ]


def test_a_move_since_the_last_load_is_no_drift_for_the_nightly_rebuild(tmp_path):
    """The nightly rebuild reads a moved event's tickets in its new zone: days that differ from the
    stored ones in another zone are a change since the last load, not something the incremental
    loads missed (reconcile_drift_days counts a day that differs in the same zone)."""
    url = f"chdb://{tmp_path / 'ch'}"
    with run_sandbox(size="small", seed=23) as sandbox:
        assert_succeeded(materialize_all(sandbox.base_url, sandbox.token, url))
        moved = busiest_events(sandbox)[0]
        zone = move(sandbox, moved)
        nightly = materialize_all(sandbox.base_url, sandbox.token, url, job_name="nightly_reconcile_job")
        assert_succeeded(nightly)
        (sales,) = nightly.asset_materializations_for_node("fact_sales")
        assert sales.metadata["reconcile_drift_tickets"].value == 0
        assert sales.metadata["reconcile_drift_days"].value == 0
        assert {zone_now for *_, zone_now in stored_days(url, moved.id).values()} == {zone}
        assert_mart_equals_truth(url, sandbox.truth)
