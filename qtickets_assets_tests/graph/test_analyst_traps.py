"""Issue 22's traps for analysts, on a clean full mart (the session's small sandbox): each figure an
analyst would check, against the sandbox's own truth where it has one."""

import dagster as dg

from qtickets_assets.lib.clickhouse import io_manager
from qtickets_assets.lib.clickhouse.errors import ClickHouseError
from qtickets_assets_tests.graph.mart import Mart


def test_tariff_and_zone_group_by_price_category_not_by_seat(mart: Mart) -> None:
    tariffs, zones, labels = mart.value(
        "SELECT uniqExact(tariff_name), uniqExact(zone_name), uniqExact(ticket_name) FROM {db}.v_sales"
    )
    expected = mart.sandbox.truth()["v_sales"]
    assert int(tariffs) == len({row["tariff_name"] for row in expected})
    assert int(zones) == len({row["zone_name"] for row in expected})
    assert int(tariffs) < 20 < int(labels), "ticket_name holds seat labels; tariff_name must not"


def test_paid_then_cancelled_without_refund_appear_on_their_cancellation_day(mart: Mart) -> None:
    daily = mart.value("SELECT sum(tickets_cancelled), sum(amount_cancelled) FROM {db}.v_sales_daily")
    facts = mart.value(
        "SELECT sum(quantity), sum(price) FROM {db}.fact_sales FINAL "
        "WHERE status = 'cancelled' AND paid_at IS NOT NULL AND refunded_at IS NULL"
    )
    assert daily == facts
    assert int(daily[0]) > 0


def test_attendance_lists_deleted_shows_that_have_paid_tickets(mart: Mart) -> None:
    listed = mart.value("SELECT count(), sum(tickets_paid) FROM {db}.v_show_attendance WHERE is_deleted = 1")
    paid = mart.value(
        "SELECT uniqExact(s.show_id), sum(s.quantity) FROM {db}.fact_sales AS s FINAL "
        "INNER JOIN {db}.dim_shows AS sh ON s.show_id = sh.show_id "
        "WHERE s.status = 'paid' AND sh.is_deleted = 1"
    )
    assert listed == paid
    assert int(listed[0]) > 0


def test_attendance_lists_a_show_with_paid_tickets_that_its_event_no_longer_lists(mart: Mart) -> None:
    """The API may leave a deleted show out of its event's `shows` (L in the API notes): it was
    missing from dim_shows, and its paid tickets from v_show_attendance, with no check to say so."""
    show_id, paid = mart.value(
        "SELECT s.show_id, sum(s.quantity) FROM {db}.fact_sales AS s FINAL "
        "INNER JOIN {db}.dim_shows AS sh ON s.show_id = sh.show_id "
        "WHERE s.status = 'paid' AND sh.is_deleted = 1 GROUP BY s.show_id ORDER BY s.show_id LIMIT 1"
    )
    mart.sql(f"ALTER TABLE {{db}}.dim_shows DELETE WHERE show_id = {show_id} SETTINGS mutations_sync = 1")
    row = mart.value(
        "SELECT is_deleted, show_starts_at, tickets_paid FROM {db}.v_show_attendance "
        f"WHERE show_id = {show_id}"
    )
    assert row == ["1", "\\N", paid]  # deleted, its start unknown (NULL), its paid tickets


def test_the_pace_curve_spans_the_sales_on_a_mart_with_one_snapshot(mart: Mart) -> None:
    """A new mart has one inventory snapshot, so v_sell_through has one point per show; the pace
    curve has a point per day of sales, and ends at the show's paid tickets."""
    assert (
        mart.value("SELECT max(c) FROM (SELECT count() AS c FROM {db}.v_sell_through GROUP BY show_id)") == 1
    )
    points = int(
        mart.value("SELECT max(c) FROM (SELECT count() AS c FROM {db}.v_sales_pace GROUP BY show_id)")
    )
    assert points > 10
    ends = mart.value(
        "SELECT count() FROM (SELECT show_id, max(tickets_paid_cumulative) AS paid FROM {db}.v_sales_pace "
        "GROUP BY show_id) AS p INNER JOIN {db}.v_show_attendance AS a ON p.show_id = a.show_id "
        "WHERE p.paid != a.tickets_paid"
    )
    assert ends == 0


def test_sales_updated_at_is_the_last_successful_sales_load(mart: Mart) -> None:
    """Every successful fact_sales write adds a ledger row (whatever it brought: this incremental
    run re-reads only the last 15 minutes' orders), and the dashboard says when the newest was."""
    loads_before = int(mart.value("SELECT count() FROM {db}.sales_loads"))
    assert mart.value("SELECT uniqExact(sales_updated_at) FROM {db}.v_sales_dashboard") == 1
    result = mart.run(dg.AssetSelection.assets("fact_sales"))
    assert result.success
    (materialization,) = result.asset_materializations_for_node("fact_sales")
    assert int(mart.value("SELECT count() FROM {db}.sales_loads")) == loads_before + 1
    # The clean mart's one load was the full sync's replace: the upsert is this run's.
    written, newest = mart.value(
        "SELECT rows_written, toString(loaded_at) FROM {db}.sales_loads WHERE write_mode = 'upsert'"
    )
    assert int(written) == materialization.metadata["rows_written"].value
    assert mart.value("SELECT toString(max(loaded_at)) FROM {db}.sales_loads") == newest
    assert mart.value("SELECT DISTINCT toString(sales_updated_at) FROM {db}.v_sales_dashboard") == newest


def test_a_sales_load_that_fails_after_its_write_adds_no_ledger_row(mart: Mart, monkeypatch) -> None:
    """The ledger row was written before the write's metadata was read: a step failing there (the
    mart gone away mid-step) left a row saying the load succeeded, and the dashboard's
    sales_updated_at with it."""

    def unreadable(*args, **kwargs):
        raise ClickHouseError("the written table could not be read back")

    loads_before = int(mart.value("SELECT count() FROM {db}.sales_loads"))
    monkeypatch.setattr(io_manager, "table_metadata", unreadable)
    assert not mart.run(dg.AssetSelection.assets("fact_sales")).success
    assert int(mart.value("SELECT count() FROM {db}.sales_loads")) == loads_before
