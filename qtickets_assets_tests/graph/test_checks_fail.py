"""Every asset check fails on the bad data it guards against, and passes on a clean mart.

One correct mart is built against a small sandbox; each test works on its own copy of that chDB
directory, corrupts it the way its check guards against and runs the checks through Dagster with
the project's own resources (configured from the environment, as a deployment is).
"""

from types import SimpleNamespace

import dagster as dg
import pytest

from qtickets_assets.definitions import defs
from qtickets_assets.defs.quality import checks as quality
from qtickets_assets.defs.quality import history, rules
from qtickets_assets.lib import order_flags
from qtickets_assets.lib.clickhouse import mart_checks
from qtickets_assets.lib.clickhouse.connection import open_client
from qtickets_assets.lib.clickhouse.ddl import VIEWS_DIR
from qtickets_assets.lib.clickhouse.migrations import render
from qtickets_assets.lib.clickhouse.resource import ClickHouseResource
from qtickets_assets_tests.graph.mart import DATABASE, by_check

ORPHAN_EVENT_ID = 987_654_321
NEW_KEY = 999_999_999


def every_check() -> set[tuple[str, str]]:
    return {(c.asset_key.to_user_string(), c.name) for d in defs().assets for c in d.check_specs}


def failing(evaluations: dict) -> set[tuple[str, str]]:
    return {key for key, evaluation in evaluations.items() if not evaluation.passed}


def meta(evaluation: dg.AssetCheckEvaluation, name: str):
    return evaluation.metadata[name].value


def test_every_check_passes_on_the_clean_mart(mart):
    evaluations = mart.check_results()
    assert set(evaluations) == every_check()
    assert len(evaluations) == 41
    assert not failing(evaluations)


# (table, drift, what the check's "details" metadata must say)
SCHEMA_DRIFT = [
    ("dim_events", "ADD COLUMN promo_code String", "unexpected column promo_code String"),
    ("dim_shows", "ADD COLUMN hall String AFTER show_id", "unexpected column hall String"),
    (
        "inventory_raw",
        "MODIFY COLUMN tickets_left Int64",
        "column tickets_left is Int64, the DDL says UInt32",
    ),
    ("fact_inventory_latest", "DROP COLUMN tickets_sold", "missing column tickets_sold UInt32"),
    # A column no other check reads: a drifted price would also (rightly) break the money checks.
    (
        "fact_sales",
        "MODIFY COLUMN utm_term LowCardinality(String)",
        "column utm_term is LowCardinality(String), the DDL says String",
    ),
]


def test_schema_drift_fails_schema_matches_ddl_naming_the_column(mart):
    mart.sql(*(f"ALTER TABLE {{db}}.{table} {drift}" for table, drift, _ in SCHEMA_DRIFT))
    evaluations = mart.check_results()
    assert failing(evaluations) == {(table, "schema_matches_ddl") for table, _, _ in SCHEMA_DRIFT}
    for table, _, expected in SCHEMA_DRIFT:
        assert meta(evaluations[table, "schema_matches_ddl"], "details") == expected
        assert meta(evaluations[table, "schema_matches_ddl"], "differences") == 1


def test_duplicate_row_fails_no_duplicate_keys(mart):
    """One row of each table inserted a second time (as a late or repeated load would)."""
    # In the ReplacingMergeTree tables a background merge would fold the copy away, but two fresh
    # small parts are not merged within the second before the checks read them.
    first = {}
    tables = {table: quality.UNIQUE_KEYS[table] for table in quality.TABLES}
    for table, key in tables.items():
        columns = ", ".join(key)
        first[table] = mart.value(f"SELECT {columns} FROM {{db}}.{table} ORDER BY {columns} LIMIT 1")
        mart.sql(f"INSERT INTO {{db}}.{table} SELECT * FROM {{db}}.{table} ORDER BY {columns} LIMIT 1")
    evaluations = mart.check_results()
    # A duplicate show in the latest inventory also breaks "one row per live show", and a duplicate
    # show or event repeats its tickets in the views that join it; nothing else fails.
    assert failing(evaluations) == {(table, "no_duplicate_keys") for table in tables} | {
        ("fact_inventory_latest", "ticket_counts_present"),
        ("v_sales", "no_duplicate_keys"),
        ("v_show_attendance", "no_duplicate_keys"),
        ("v_sales_pace", "no_duplicate_keys"),
        ("v_sales_daily", "daily_sums_equal_dashboard"),
    }
    for table, key in tables.items():
        evaluation = evaluations[table, "no_duplicate_keys"]
        assert meta(evaluation, "key") == ", ".join(key)
        assert meta(evaluation, "duplicate_keys") == 1
        # Every row of the table (the newest snapshot of a history table), the copy included.
        scope = mart_checks.SCOPES.get(table, "1").format(table=f"{{db}}.{table}")
        in_scope = mart.value(f"SELECT count() FROM {{db}}.{table} WHERE {scope}")
        assert meta(evaluation, "rows_checked") == in_scope
        shown = first[table][-1] if isinstance(first[table], list) else first[table]
        assert f"{shown}, 2)" in meta(evaluation, "duplicates_sample"), (
            table,
            meta(evaluation, "duplicates_sample"),
        )
    counts = evaluations["fact_inventory_latest", "ticket_counts_present"]
    assert meta(counts, "rows") == meta(counts, "live_shows") + 1


def redefine_view(mart, file: str, before: str, after: str) -> None:
    """A view of the mart redefined with `before` replaced by `after` in its SQL (a wrong edit)."""
    view = (VIEWS_DIR / file).read_text()
    assert view.count(before) == 1, before
    [broken] = render(view.replace(before, after), DATABASE)
    with open_client(mart.url, DATABASE) as client:
        client.command(broken)


def test_a_view_that_shows_unmerged_versions_fails_no_duplicate_keys(mart):
    """The dashboard reads dim_events with FINAL; redefined without it, a second version of an event
    (a late or repeated load) shows up as a second row, which is what the check is there for."""
    redefine_view(mart, "010_v_sales_dashboard.sql", "dim_events FINAL", "dim_events")
    event_id = mart.value(
        "SELECT event_id FROM {db}.dim_events WHERE is_deleted = 0 ORDER BY event_id LIMIT 1"
    )
    mart.sql(f"INSERT INTO {{db}}.dim_events SELECT * FROM {{db}}.dim_events WHERE event_id = {event_id}")
    evaluations = mart.check_results()
    assert failing(evaluations) == {
        ("dim_events", "no_duplicate_keys"),
        ("v_sales_dashboard", "no_duplicate_keys"),
    }
    evaluation = evaluations["v_sales_dashboard", "no_duplicate_keys"]
    assert meta(evaluation, "duplicate_keys") == 1
    assert f"({event_id}, 2)" in meta(evaluation, "duplicates_sample")


@pytest.mark.parametrize("column", ["tickets_left", "tickets_total"])
def test_a_dashboard_whose_seats_are_not_the_inventorys_fails_seats_equal_inventory(mart, column):
    redefine_view(
        mart,
        "010_v_sales_dashboard.sql",
        f"i.{column} AS {column}",
        f"i.{column} * 2 AS {column}",
    )
    with_seats = mart.value(
        f"SELECT countDistinct(event_id) FROM {{db}}.fact_inventory_latest WHERE {column} > 0"
    )
    evaluations = mart.check_results()
    assert failing(evaluations) == {("v_sales_dashboard", "seats_equal_inventory")}
    evaluation = evaluations["v_sales_dashboard", "seats_equal_inventory"]
    assert meta(evaluation, "events_off") == with_seats > 0


def test_sources_that_count_refunds_as_sales_fail_source_sums_equal_daily(mart):
    """The old loader's mistake, in the sources view alone: the daily view and dashboard still agree."""
    redefine_view(
        mart, "060_v_sales_by_source.sql", "WHERE status = 'paid'", "WHERE status IN ('paid', 'refunded')"
    )
    refunded_days = mart.value(
        "SELECT countDistinct(event_id, assumeNotNull(paid_date_local)) FROM {db}.v_sales "
        "WHERE status = 'refunded'"
    )
    evaluations = mart.check_results()
    assert failing(evaluations) == {("v_sales_by_source", "source_sums_equal_daily")}
    assert (
        meta(evaluations["v_sales_by_source", "source_sums_equal_daily"], "event_days_off")
        == refunded_days
        > 0
    )


def test_revenue_before_discount_fails_daily_sums_equal_dashboard_and_source_sums_equal_daily(mart):
    """Tickets agree and only the revenue is off (summed before the discount): each sum is compared
    on its own, in the dashboard against the days and in the sources against the days."""
    redefine_view(
        mart, "010_v_sales_dashboard.sql", "quantity, price\n", "quantity, original_price AS price\n"
    )
    redefine_view(mart, "060_v_sales_by_source.sql", "sum(price)", "sum(original_price)")
    discounted = "FROM {db}.v_sales WHERE status = 'paid' AND original_price != price"
    live = "event_id IN (SELECT event_id FROM {db}.v_sales_dashboard)"
    live_events = mart.value(f"SELECT countDistinct(event_id) {discounted} AND {live}")
    event_days = mart.value(f"SELECT countDistinct(event_id, assumeNotNull(paid_date_local)) {discounted}")
    evaluations = mart.check_results()
    assert failing(evaluations) == {
        ("v_sales_daily", "daily_sums_equal_dashboard"),
        ("v_sales_by_source", "source_sums_equal_daily"),
    }
    assert meta(evaluations["v_sales_daily", "daily_sums_equal_dashboard"], "events_off") == live_events > 0
    assert meta(evaluations["v_sales_by_source", "source_sums_equal_daily"], "event_days_off") == event_days


# A copy of one row under a fresh key, with an event_id that dim_events does not know.
ORPHANS = {
    "dim_shows": f"{NEW_KEY} AS show_id, toUInt8(1) AS is_deleted",
    "inventory_raw": f"{NEW_KEY} AS show_id",
    "fact_inventory_latest": f"{NEW_KEY} AS show_id",
    "fact_sales": f"{NEW_KEY} AS basket_id",
}


def test_orphan_event_id_fails_event_ids_known(mart):
    assert set(ORPHANS) == set(quality.EVENT_FACTS)
    mart.sql(
        *(
            f"INSERT INTO {{db}}.{table} SELECT * REPLACE ({ORPHAN_EVENT_ID} AS event_id, {fresh_key}) "
            f"FROM {{db}}.{table} LIMIT 1"
            for table, fresh_key in ORPHANS.items()
        )
    )
    evaluations = mart.check_results()
    # The extra row in the latest inventory is also a row for no live show.
    assert failing(evaluations) == {(table, "event_ids_known") for table in ORPHANS} | {
        ("fact_inventory_latest", "ticket_counts_present")
    }
    for table in ORPHANS:
        assert (
            meta(evaluations[table, "event_ids_known"], "unknown_event_ids_sample") == f"[{ORPHAN_EVENT_ID}]"
        )


@pytest.mark.parametrize(
    ("corruption", "counted"),
    [
        ("tickets_left = tickets_total + 1", {"rows_with_left_above_total": 1}),
        # tickets_sold is what the sell-through share reads: it must be total - left, not more, nor less.
        (
            "tickets_sold = tickets_total",
            {"rows_with_sold_not_total_minus_left": 1, "rows_with_left_above_total": 0},
        ),
        (
            "tickets_sold = tickets_sold - 1",
            {"rows_with_sold_not_total_minus_left": 1, "rows_with_left_above_total": 0},
        ),
    ],
)
def test_a_row_whose_counts_disagree_fails_ticket_counts_present(mart, corruption, counted):
    mart.sql(
        f"ALTER TABLE {{db}}.fact_inventory_latest UPDATE {corruption} "
        "WHERE show_id = (SELECT min(show_id) FROM {db}.fact_inventory_latest "
        "WHERE tickets_left > 0 AND tickets_sold > 0)"
    )
    evaluations = mart.check_results()
    assert failing(evaluations) == {("fact_inventory_latest", "ticket_counts_present")}
    evaluation = evaluations["fact_inventory_latest", "ticket_counts_present"]
    assert {name: meta(evaluation, name) for name in counted} == counted
    assert meta(evaluation, "rows") == meta(evaluation, "live_shows")


def test_missing_live_show_fails_ticket_counts_present(mart):
    show_id = mart.value("SELECT min(show_id) FROM {db}.fact_inventory_latest")
    mart.sql(f"ALTER TABLE {{db}}.fact_inventory_latest DELETE WHERE show_id = {show_id}")
    evaluations = mart.check_results()
    assert failing(evaluations) == {("fact_inventory_latest", "ticket_counts_present")}
    evaluation = evaluations["fact_inventory_latest", "ticket_counts_present"]
    assert meta(evaluation, "rows") == meta(evaluation, "live_shows") - 1
    assert meta(evaluation, "live_shows_without_row_sample") == f"[{show_id}]"
    assert meta(evaluation, "rows_with_left_above_total") == 0


def test_a_show_left_out_of_the_newest_snapshot_fails_shows_in_newest_snapshot(mart):
    """A show whose seats could not be read keeps its older row: a warning names it and when."""
    show_id = mart.value("SELECT min(show_id) FROM {db}.fact_inventory_latest")
    mart.sql(
        "ALTER TABLE {db}.fact_inventory_latest "
        f"UPDATE snapshot_at = toDateTime('2026-11-30 09:15:00', 'UTC') WHERE show_id = {show_id}"
    )
    evaluations = mart.check_results()
    assert failing(evaluations) == {("fact_inventory_latest", "shows_in_newest_snapshot")}
    evaluation = evaluations["fact_inventory_latest", "shows_in_newest_snapshot"]
    assert meta(evaluation, "shows_behind") == 1
    assert meta(evaluation, "shows_behind_sample") == f"show {show_id} (read 2026-11-30 09:15 UTC)"


def test_missing_live_show_hidden_by_a_stray_row_fails_ticket_counts_present(mart):
    """Equal counts are not enough: a live show's missing row offset by a row for a show that is
    not live (here: unknown to dim_shows, of a known event) still fails the check."""
    show_id = mart.value("SELECT min(show_id) FROM {db}.fact_inventory_latest")
    mart.sql(
        f"INSERT INTO {{db}}.fact_inventory_latest SELECT * REPLACE ({NEW_KEY} AS show_id) "
        f"FROM (SELECT * FROM {{db}}.fact_inventory_latest WHERE show_id = {show_id})",
        f"ALTER TABLE {{db}}.fact_inventory_latest DELETE WHERE show_id = {show_id}",
    )
    evaluations = mart.check_results()
    assert failing(evaluations) == {("fact_inventory_latest", "ticket_counts_present")}
    evaluation = evaluations["fact_inventory_latest", "ticket_counts_present"]
    assert meta(evaluation, "rows") == meta(evaluation, "live_shows")
    assert meta(evaluation, "live_shows_without_row_sample") == f"[{show_id}]"
    assert meta(evaluation, "rows_of_no_live_show_sample") == f"[{NEW_KEY}]"


def test_unknown_status_fails_status_allowed(mart):
    mart.sql(
        "ALTER TABLE {db}.fact_sales UPDATE status = 'reserved' "
        "WHERE basket_id IN (SELECT basket_id FROM {db}.fact_sales ORDER BY basket_id LIMIT 2)"
    )
    evaluations = mart.check_results()
    assert failing(evaluations) == {("fact_sales", "status_allowed")}
    assert meta(evaluations["fact_sales", "status_allowed"], "rows_with_unknown_status") == 2


def test_a_ticket_priced_below_its_original_without_a_discount_warns_discount_is_the_difference(mart):
    mart.sql(
        "ALTER TABLE {db}.fact_sales UPDATE discount_amount = 0 WHERE basket_id IN "
        "(SELECT basket_id FROM {db}.fact_sales WHERE discount_amount > 0 ORDER BY basket_id LIMIT 2)"
    )
    evaluations = mart.check_results()
    assert failing(evaluations) == {("fact_sales", "discount_is_the_difference")}
    evaluation = evaluations["fact_sales", "discount_is_the_difference"]
    assert evaluation.severity == dg.AssetCheckSeverity.WARN
    assert meta(evaluation, "tickets_off") == 2


def test_a_ticket_priced_in_another_currency_warns_revenue_in_rubles(mart):
    """An event sold in tenge: its prices would be added to the rubles in every view's revenue (a
    cancelled ticket's price is in none: not counted)."""
    mart.sql(
        "ALTER TABLE {db}.fact_sales UPDATE currency = 'KZT' WHERE basket_id IN "
        "(SELECT basket_id FROM {db}.fact_sales WHERE status = 'paid' ORDER BY basket_id LIMIT 3)",
        "ALTER TABLE {db}.fact_sales UPDATE currency = 'KZT' WHERE basket_id IN "
        "(SELECT basket_id FROM {db}.fact_sales WHERE status = 'cancelled' ORDER BY basket_id LIMIT 1)",
    )
    evaluations = mart.check_results()
    assert failing(evaluations) == {("fact_sales", "revenue_in_rubles")}
    evaluation = evaluations["fact_sales", "revenue_in_rubles"]
    assert evaluation.severity == dg.AssetCheckSeverity.WARN
    assert meta(evaluation, "tickets_not_in_rubles") == 3
    assert meta(evaluation, "currencies") == "KZT: 3"


@pytest.mark.parametrize("column", ["promo_code_id", "discount_id"])
def test_a_ticket_naming_an_unknown_reference_warns_promo_codes_and_discounts_known(mart, column):
    mart.sql(
        f"ALTER TABLE {{db}}.fact_sales UPDATE {column} = {NEW_KEY} WHERE basket_id IN "
        "(SELECT basket_id FROM {db}.fact_sales ORDER BY basket_id LIMIT 3)"
    )
    evaluations = mart.check_results()
    assert failing(evaluations) == {("fact_sales", "promo_codes_and_discounts_known")}
    evaluation = evaluations["fact_sales", "promo_codes_and_discounts_known"]
    assert evaluation.severity == dg.AssetCheckSeverity.WARN
    counted = {
        "promo_code_id": "tickets_with_unknown_promo_code",
        "discount_id": "tickets_with_unknown_discount",
    }
    assert {name: meta(evaluation, name) for name in counted.values()} == {
        name: 3 if key == column else 0 for key, name in counted.items()
    }


REVENUE_FIGURES = {  # what a load counts, its materialization's key, the check's figure
    "price_mismatches": ("orders_price_mismatch", "orders_whose_price_differs_from_their_tickets"),
    "refunds_unread": ("orders_refunds_unread", "orders_with_a_refund_no_ticket_shows"),
}


@pytest.mark.parametrize("counted", REVENUE_FIGURES)
def test_an_order_the_revenue_cannot_reconcile_warns_revenue_reconciles_without_blocking(
    mart, monkeypatch, counted
):
    """A fact_sales materialization that saw orders whose price differs from their tickets, or
    with a refund only their `refunds` list shows: the check is a WARN with its figure, so the
    dashboard downstream is still refreshed in the same run."""
    instance = dg.DagsterInstance.ephemeral()
    clean = mart.check_results(instance)
    assert clean["fact_sales", "revenue_reconciles"].passed

    monkeypatch.setattr(order_flags, counted, lambda orders: 3 if orders else 0)
    selection = dg.AssetSelection.assets("fact_sales", "v_sales_dashboard")
    result = mart.run(selection | selection.checks(), instance)
    [materialized] = [
        m for m in result.get_asset_materialization_events() if m.asset_key == dg.AssetKey("fact_sales")
    ]
    key, figure = REVENUE_FIGURES[counted]
    assert materialized.materialization.metadata[key].value > 0
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    revenue = evaluations.pop("revenue_reconciles")
    assert not revenue.passed
    assert revenue.severity == dg.AssetCheckSeverity.WARN
    assert {name: meta(revenue, name) > 0 for _, name in REVENUE_FIGURES.values()} == {
        name: name == figure for _, name in REVENUE_FIGURES.values()
    }
    assert all(evaluation.passed for evaluation in evaluations.values())
    assert result.success
    assert dg.AssetKey("v_sales_dashboard") in {
        m.asset_key for m in result.get_asset_materialization_events()
    }

    # The check reads the newest materialization: a later clean load clears the warning.
    monkeypatch.undo()
    again = mart.run(
        dg.AssetSelection.assets("fact_sales") | dg.AssetSelection.checks_for_assets("fact_sales"), instance
    )
    assert {e.check_name: e.passed for e in again.get_asset_check_evaluations()}["revenue_reconciles"]


def test_failing_blocking_check_stops_the_dashboard_in_the_same_run(mart):
    """A bad ticket with an old order id and old update time survives the incremental upsert
    (it is neither above the id watermark nor recently updated), so `status_allowed` fails right
    after fact_sales is written, and v_sales_dashboard downstream is not materialized."""
    mart.sql(
        f"INSERT INTO {{db}}.fact_sales SELECT * REPLACE ({NEW_KEY} AS basket_id, toUInt64(1) AS order_id, "
        "'reserved' AS status, toDateTime('2020-01-01 00:00:00', 'UTC') AS updated_at) "
        "FROM {db}.fact_sales LIMIT 1"
    )
    result = mart.run(dg.AssetSelection.all())
    materialized = {m.asset_key.to_user_string() for m in result.get_asset_materialization_events()}
    assert "fact_sales" in materialized, "the sales step itself should have run"
    assert {"dim_events", "fact_inventory_latest"} <= materialized
    # The checks ran in fact_sales' own step, after the table was written; their failure fails that
    # step, and the views' step (every view reads fact_sales, directly or not) is skipped.
    assert not {name for name in materialized if name.startswith("v_")}
    [failure] = [event for event in result.all_events if event.is_step_failure]
    assert failure.step_key == "fact_sales"
    assert "fact_sales: status_allowed" in failure.step_failure_data.error.message
    started = {event.step_key for event in result.all_events if event.is_step_start}
    assert "fact_sales" in started and "views" not in started
    evaluations = by_check(result)
    assert failing(evaluations) == {("fact_sales", "status_allowed")}
    assert evaluations["fact_sales", "status_allowed"].severity == dg.AssetCheckSeverity.ERROR
    assert meta(evaluations["fact_sales", "status_allowed"], "rows_with_unknown_status") == 1


def test_one_check_runs_alone_and_revenue_reconciles_alone_leaves_clickhouse_closed(mart, monkeypatch):
    """An asset's checks share a step, but the UI can run one of them: only it is evaluated."""
    status = dg.AssetCheckKey(dg.AssetKey("fact_sales"), "status_allowed")
    result = mart.run(dg.AssetSelection.checks(status))
    assert result.success
    assert [(e.asset_key, e.check_name) for e in result.get_asset_check_evaluations()] == [
        (status.asset_key, status.name)
    ]
    # The check runs in fact_sales' step, which then reads no orders and writes nothing.
    assert not result.get_asset_materialization_events()
    assert not [
        event
        for event in result.all_events
        if event.is_successful_output and event.step_output_data.output_name == "fact_sales"
    ]

    def closed(self):
        raise AssertionError("revenue_reconciles reads the instance, not ClickHouse")

    monkeypatch.setattr(ClickHouseResource, "open", closed)
    result = mart.run(
        dg.AssetSelection.checks(dg.AssetCheckKey(dg.AssetKey("fact_sales"), "revenue_reconciles"))
    )
    assert result.success
    assert [e.check_name for e in result.get_asset_check_evaluations()] == ["revenue_reconciles"]


def test_a_check_that_cannot_run_fails_its_step_without_hiding_the_others(mart, monkeypatch):
    def broken(client, database):
        raise RuntimeError("status query broke")

    monkeypatch.setattr(rules, "status_allowed", broken)
    result = mart.run(dg.AssetSelection.all_asset_checks())
    assert not result.success
    [failure] = [event for event in result.all_events if event.is_step_failure]
    assert failure.step_key == "fact_sales"  # the checks run in the step that writes their asset
    assert "status query broke" in failure.step_failure_data.error.to_string()
    evaluations = by_check(result)
    assert set(evaluations) == every_check() - {("fact_sales", "status_allowed")}
    assert not failing(evaluations)


def test_a_warning_check_that_cannot_run_warns_without_failing_its_step(mart, monkeypatch):
    real = rules.event_ids_known

    def broken_for_sales(client, database, table):
        if table == "fact_sales":
            raise RuntimeError("events lookup broke")
        return real(client, database, table=table)

    monkeypatch.setattr(rules, "event_ids_known", broken_for_sales)
    result = mart.run(dg.AssetSelection.all_asset_checks())
    assert result.success  # the step did not fail, so nothing downstream would be held back
    evaluations = by_check(result)
    assert set(evaluations) == every_check()
    assert failing(evaluations) == {("fact_sales", "event_ids_known")}
    warning = evaluations["fact_sales", "event_ids_known"]
    assert warning.severity == dg.AssetCheckSeverity.WARN
    assert meta(warning, "error") == "RuntimeError: events lookup broke"


def test_an_asset_materializes_without_its_checks_and_a_view_alone(mart):
    """The steps are subsettable both ways: an asset without its checks (its step evaluates none),
    and one view out of the views' step (only it is refreshed, with its own checks)."""
    result = mart.run(dg.AssetSelection.assets("fact_inventory_latest").without_checks())
    assert result.success
    assert [m.asset_key.to_user_string() for m in result.get_asset_materialization_events()] == [
        "fact_inventory_latest"
    ]
    assert not result.get_asset_check_evaluations()

    view = dg.AssetSelection.assets("v_sell_through")
    result = mart.run(view | view.checks())
    assert result.success
    [refreshed] = result.get_asset_materialization_events()
    assert refreshed.asset_key == dg.AssetKey("v_sell_through")
    metadata = refreshed.materialization.metadata
    assert metadata["dagster/row_count"].value == mart.value("SELECT count() FROM {db}.v_sell_through")
    assert set(by_check(result)) == {
        ("v_sell_through", "schema_matches_ddl"),
        ("v_sell_through", "no_duplicate_keys"),
    }


def test_a_failing_blocking_check_of_a_view_holds_back_the_views_that_read_it(mart):
    """The views share one step: a view whose blocking check fails is not followed, in that step, by
    the views that read it (as separate steps were skipped), and the step fails; the others refresh."""
    view = (VIEWS_DIR / "020_v_sales.sql").read_text()
    assert "fact_sales AS s FINAL" in view
    [broken] = render(view.replace("fact_sales AS s FINAL", "fact_sales AS s"), DATABASE)
    with open_client(mart.url, DATABASE) as client:
        client.command(broken)
    basket_id = mart.value("SELECT min(basket_id) FROM {db}.fact_sales")
    mart.sql(f"INSERT INTO {{db}}.fact_sales SELECT * FROM {{db}}.fact_sales WHERE basket_id = {basket_id}")

    result = mart.run(dg.AssetSelection.groups("views"))
    assert not result.success
    materialized = {m.asset_key.to_user_string() for m in result.get_asset_materialization_events()}
    assert materialized == {"v_sales_dashboard", "v_sales", "v_sell_through", "v_show_attendance"}
    evaluations = by_check(result)
    assert failing(evaluations) == {("v_sales", "no_duplicate_keys")}
    assert meta(evaluations["v_sales", "no_duplicate_keys"], "duplicate_keys") == 1
    # Neither the held-back views nor their checks were evaluated.
    assert {asset for asset, _ in evaluations} == materialized
    [failure] = [event for event in result.all_events if event.is_step_failure]
    assert failure.step_key == "views"
    assert "v_sales: no_duplicate_keys" in failure.step_failure_data.error.message


class Loads:
    """fact_sales' materializations as `fetch_materializations` pages them, newest first: `loads`
    incremental ones, then, when `rebuild`, a nightly full one that measured its drift."""

    def __init__(self, loads: int, rebuild: bool) -> None:
        plain = dg.AssetMaterialization("fact_sales", metadata={"write_mode": "upsert"})
        nightly = dg.AssetMaterialization("fact_sales", metadata={history.DRIFT_TICKETS: 4})
        self.records = [SimpleNamespace(asset_materialization=plain, run_id="r", timestamp=0.0)] * loads
        if rebuild:
            self.records.append(SimpleNamespace(asset_materialization=nightly, run_id="n", timestamp=0.0))

    def fetch_materializations(self, key, limit, cursor):
        start = cursor or 0
        page = self.records[start : start + limit]
        return SimpleNamespace(records=page, cursor=start + limit, has_more=start + limit < len(self.records))


def test_the_drift_warning_stays_until_a_rebuild_and_an_overdue_rebuild_warns(monkeypatch):
    monkeypatch.setattr(history, "DRIFT_LOOKBACK", 250)
    found = history.no_reconcile_drift(Loads(240, rebuild=True))  # type: ignore[arg-type]
    assert (found.passed, found.metadata[history.DRIFT_TICKETS]) == (False, 4)
    overdue = history.no_reconcile_drift(Loads(250, rebuild=True))  # type: ignore[arg-type]
    assert overdue.passed is False
    assert overdue.metadata["measured"] == "overdue: no full rebuild of fact_sales among its last 250 loads"
    young = history.no_reconcile_drift(Loads(30, rebuild=False))  # type: ignore[arg-type]
    assert young.passed is True
    assert young.metadata["measured"] == "not yet: no full rebuild of fact_sales so far"
