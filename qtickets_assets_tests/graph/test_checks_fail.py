"""Every asset check fails on the bad data it guards against, and passes on a clean mart.

One correct mart is built against a small sandbox; each test works on its own copy of that chDB
directory, corrupts it the way its check guards against and runs the checks through Dagster with
the project's own resources (configured from the environment, as a deployment is).
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import dagster as dg
import pytest

from qtickets_assets.defs.quality import checks as quality
from qtickets_assets.definitions import defs
from qtickets_assets.lib import frames
from qtickets_assets.lib.clickhouse.connection import open_client
from qtickets_assets.sandbox.testing import SandboxHandle, run_sandbox
from qtickets_assets_tests.graph.mart import DATABASE, materialize_all

ORPHAN_EVENT_ID = 987_654_321
NEW_KEY = 999_999_999
ALL_CHECKS = "all_checks"


class Mart:
    """A clean, correct mart (its own chDB directory) and the sandbox it was loaded from."""

    def __init__(self, sandbox: SandboxHandle, url: str) -> None:
        self.sandbox = sandbox
        self.url = url

    def environment(self) -> dict[str, str]:
        return {
            "QTICKETS_BASE_URL": self.sandbox.base_url,
            "QTICKETS_TOKEN": self.sandbox.token,
            "CLICKHOUSE_URL": self.url,
            "CLICKHOUSE_DATABASE": DATABASE,
        }

    def sql(self, *statements: str) -> None:
        with open_client(self.url, DATABASE) as client:
            for statement in statements:
                client.command(statement.format(db=DATABASE), settings={"mutations_sync": 2})

    def value(self, query: str):
        with open_client(self.url, DATABASE) as client:
            return client.command(query.format(db=DATABASE))

    def run(self, selection: dg.AssetSelection, instance: dg.DagsterInstance | None = None):
        """A job of `selection` from the project's definitions, executed in process."""
        with mock.patch.dict(os.environ, self.environment()):
            job = dg.define_asset_job("under_test", selection=selection)
            definitions = dg.Definitions.merge(defs(), dg.Definitions(jobs=[job]))
            return definitions.get_job_def("under_test").execute_in_process(
                instance=instance, raise_on_error=False
            )

    def check_results(self, instance: dg.DagsterInstance | None = None) -> dict[tuple[str, str], dg.AssetCheckEvaluation]:
        """Every asset check of the project, run alone: {(asset, check): evaluation}."""
        result = self.run(dg.AssetSelection.all_asset_checks(), instance)
        assert not result.get_asset_materialization_events(), "a check-only run materialized an asset"
        return {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}


def failing(evaluations: dict) -> set[tuple[str, str]]:
    return {key for key, evaluation in evaluations.items() if not evaluation.passed}


def meta(evaluation: dg.AssetCheckEvaluation, name: str):
    return evaluation.metadata[name].value


@pytest.fixture(scope="module")
def clean_mart(tmp_path_factory) -> Iterator[tuple[SandboxHandle, Path]]:
    directory = tmp_path_factory.mktemp("clean") / "ch"
    with run_sandbox(size="small", seed=7) as sandbox:
        result = materialize_all(sandbox.base_url, sandbox.token, f"chdb://{directory}")
        assert result.success
        assert all(evaluation.passed for evaluation in result.get_asset_check_evaluations())
        yield sandbox, directory


@pytest.fixture
def mart(clean_mart, tmp_path) -> Mart:
    """A private copy of the clean mart (the engine is closed between opens, so files are at rest)."""
    sandbox, directory = clean_mart
    copy = tmp_path / "ch"
    shutil.copytree(directory, copy)
    return Mart(sandbox, f"chdb://{copy}")


def test_every_check_passes_on_the_clean_mart(mart):
    evaluations = mart.check_results()
    expected = {(str(c.asset_key.to_user_string()), c.name) for d in defs().asset_checks for c in d.check_specs}
    assert set(evaluations) == expected
    assert len(expected) == 17
    assert not failing(evaluations)


SCHEMA_DRIFT = [
    ("dim_events", "ADD COLUMN promo_code String", "unexpected column promo_code String"),
    ("dim_shows", "ADD COLUMN hall String AFTER show_id", "unexpected column hall String"),
    ("inventory_raw", "MODIFY COLUMN tickets_left Int64", "column tickets_left is Int64, the DDL says UInt32"),
    ("fact_inventory_latest", "DROP COLUMN tickets_sold", "missing column tickets_sold UInt32"),
    ("fact_sales", "MODIFY COLUMN price Float64", "column price is Float64, the DDL says Decimal(12, 2)"),
]


@pytest.mark.parametrize(("table", "alter", "expected"), SCHEMA_DRIFT, ids=[t for t, _, _ in SCHEMA_DRIFT])
def test_schema_drift_fails_schema_matches_ddl(mart, table, alter, expected):
    mart.sql(f"ALTER TABLE {{db}}.{table} {alter}")
    evaluations = mart.check_results()
    assert failing(evaluations) == {(table, "schema_matches_ddl")}
    assert expected in meta(evaluations[table, "schema_matches_ddl"], "differences")


@pytest.mark.parametrize("table", list(quality.UNIQUE_KEYS))
def test_duplicate_row_fails_no_duplicate_keys(mart, table):
    key = quality.UNIQUE_KEYS[table]
    first = mart.value(f"SELECT {', '.join(key)} FROM {{db}}.{table} ORDER BY {', '.join(key)} LIMIT 1")
    mart.sql(f"INSERT INTO {{db}}.{table} SELECT * FROM {{db}}.{table} ORDER BY {', '.join(key)} LIMIT 1")
    evaluations = mart.check_results()
    assert (table, "no_duplicate_keys") in failing(evaluations)
    evaluation = evaluations[table, "no_duplicate_keys"]
    assert meta(evaluation, "key") == ", ".join(key)
    sample = meta(evaluation, "duplicates_sample")
    shown = first[-1] if isinstance(first, list) else first
    assert str(shown) in sample, sample
    # A duplicate show in the latest inventory also breaks "one row per live show"; nothing else fails.
    side_effects = {("fact_inventory_latest", "ticket_counts_present")} if table == "fact_inventory_latest" else set()
    assert failing(evaluations) == {(table, "no_duplicate_keys")} | side_effects


# A copy of one row under a fresh key whose event_id dim_events does not know.
ORPHANS = {
    "dim_shows": ("show_id", {("fact_inventory_latest", "ticket_counts_present")}),
    "inventory_raw": ("show_id", set()),
    "fact_inventory_latest": ("show_id", {("fact_inventory_latest", "ticket_counts_present")}),
    "fact_sales": ("basket_id", set()),
}


@pytest.mark.parametrize("table", quality.EVENT_FACTS)
def test_orphan_event_id_fails_event_ids_known(mart, table):
    key, side_effects = ORPHANS[table]
    mart.sql(
        f"INSERT INTO {{db}}.{table} SELECT * REPLACE ({ORPHAN_EVENT_ID} AS event_id, {NEW_KEY} AS {key}) "
        f"FROM {{db}}.{table} LIMIT 1"
    )
    evaluations = mart.check_results()
    assert failing(evaluations) == {(table, "event_ids_known")} | side_effects
    assert str(ORPHAN_EVENT_ID) in meta(evaluations[table, "event_ids_known"], "unknown_event_ids_sample")


def test_more_seats_left_than_seats_fails_ticket_counts_present(mart):
    mart.sql(
        "ALTER TABLE {db}.fact_inventory_latest UPDATE tickets_left = tickets_total + 1 "
        "WHERE show_id = (SELECT min(show_id) FROM {db}.fact_inventory_latest)"
    )
    evaluations = mart.check_results()
    assert failing(evaluations) == {("fact_inventory_latest", "ticket_counts_present")}
    evaluation = evaluations["fact_inventory_latest", "ticket_counts_present"]
    assert meta(evaluation, "rows_with_left_above_total") == 1
    assert meta(evaluation, "rows") == meta(evaluation, "live_shows")


def test_missing_live_show_fails_ticket_counts_present(mart):
    mart.sql(
        "ALTER TABLE {db}.fact_inventory_latest DELETE "
        "WHERE show_id = (SELECT min(show_id) FROM {db}.fact_inventory_latest)"
    )
    evaluations = mart.check_results()
    assert failing(evaluations) == {("fact_inventory_latest", "ticket_counts_present")}
    evaluation = evaluations["fact_inventory_latest", "ticket_counts_present"]
    assert meta(evaluation, "rows") == meta(evaluation, "live_shows") - 1
    assert meta(evaluation, "rows_with_left_above_total") == 0


def test_unknown_status_fails_status_allowed(mart):
    mart.sql(
        "ALTER TABLE {db}.fact_sales UPDATE status = 'reserved' "
        "WHERE basket_id IN (SELECT basket_id FROM {db}.fact_sales ORDER BY basket_id LIMIT 2)"
    )
    evaluations = mart.check_results()
    assert failing(evaluations) == {("fact_sales", "status_allowed")}
    assert meta(evaluations["fact_sales", "status_allowed"], "rows_with_unknown_status") == 2


def test_price_mismatch_warns_revenue_reconciles_without_blocking(mart, monkeypatch):
    """A fact_sales materialization that saw orders whose price differs from their tickets: the
    check is a WARN, so the dashboard downstream is still refreshed in the same run."""
    instance = dg.DagsterInstance.ephemeral()
    clean = mart.check_results(instance)
    assert clean["fact_sales", "revenue_reconciles"].passed

    monkeypatch.setattr(frames, "price_mismatches", lambda orders: 3 if orders else 0)
    selection = dg.AssetSelection.assets("fact_sales", "v_sales_dashboard")
    result = mart.run(selection | selection.checks(), instance)
    [materialized] = [
        m for m in result.get_asset_materialization_events() if m.asset_key == dg.AssetKey("fact_sales")
    ]
    assert materialized.materialization.metadata["orders_price_mismatch"].value > 0
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    revenue = evaluations.pop("revenue_reconciles")
    assert not revenue.passed
    assert revenue.severity == dg.AssetCheckSeverity.WARN
    assert meta(revenue, "orders_whose_price_differs_from_their_tickets") > 0
    assert all(evaluation.passed for evaluation in evaluations.values())
    assert result.success
    assert dg.AssetKey("v_sales_dashboard") in {m.asset_key for m in result.get_asset_materialization_events()}

    # The check reads the newest materialization: a later clean load clears the warning.
    monkeypatch.undo()
    again = mart.run(dg.AssetSelection.assets("fact_sales") | dg.AssetSelection.checks_for_assets("fact_sales"), instance)
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
    assert "v_sales_dashboard" not in materialized
    evaluations = {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}
    assert failing(evaluations) == {("fact_sales", "status_allowed")}
    assert evaluations["fact_sales", "status_allowed"].severity == dg.AssetCheckSeverity.ERROR
    assert meta(evaluations["fact_sales", "status_allowed"], "rows_with_unknown_status") == 1
