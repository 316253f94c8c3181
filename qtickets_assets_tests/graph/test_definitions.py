"""The code location's public contract: asset keys, their metadata, schedules, sensors and jobs."""

import dagster as dg
import pytest

from qtickets_assets.definitions import defs
from qtickets_assets.lib.clickhouse.ddl import table_schema

# docs/contract.md's tables and views (the analytics layer's too), plus our own dim_shows; no prefix.
ASSETS = {
    "inventory_raw",
    "dim_events",
    "dim_shows",
    "dim_discounts",
    "dim_promo_codes",
    "fact_inventory_latest",
    "fact_sales",
    "v_sales_dashboard",
    "v_sales",
    "v_sales_daily",
    "v_sell_through",
    "v_show_attendance",
    "v_sales_pace",
    "v_sales_by_source",
}
VIEWS = {name for name in ASSETS if name.startswith("v_")}
SCHEDULES = {
    "inventory_every_15_minutes": ("*/15 * * * *", "inventory_job"),
    "sales_every_10_minutes": ("*/10 * * * *", "sales_job"),
    "nightly_reconcile": ("30 3 * * *", "nightly_reconcile_job"),
}
API_TAG = ("qtickets/api", "true")


@pytest.fixture(scope="module")
def definitions() -> dg.Definitions:
    return defs()


@pytest.fixture(scope="module")
def asset_graph(definitions):
    return definitions.resolve_asset_graph()


def test_asset_keys_are_exactly_the_contract_tables(asset_graph):
    keys = asset_graph.get_all_asset_keys()
    assert all(len(key.path) == 1 for key in keys), "no key prefix"
    assert {key.path[0] for key in keys} == ASSETS


@pytest.mark.parametrize("table", sorted(ASSETS))
def test_every_asset_is_documented_owned_and_typed_like_the_ddl(asset_graph, table):
    node = asset_graph.get(dg.AssetKey(table))
    assert node.description and len(node.description) > 20
    assert node.owners == ["team:analytics-engineering"]
    assert "clickhouse" in node.kinds and len(node.kinds) >= 2
    schema = node.metadata["dagster/column_schema"]
    assert isinstance(schema, dg.TableSchema)
    assert [(c.name, c.type) for c in schema.columns] == [
        (c.name, c.type) for c in table_schema(table).columns
    ]


def test_the_dashboard_follows_its_upstreams_eagerly(asset_graph, definitions):
    dashboard = asset_graph.get(dg.AssetKey("v_sales_dashboard"))
    assert dashboard.automation_condition == dg.AutomationCondition.eager()
    assert {key.path[0] for key in dashboard.parent_keys} == {
        "dim_events",
        "fact_sales",
        "fact_inventory_latest",
    }
    # The automation condition needs a running sensor to take effect; it targets the views only.
    [automation] = [s for s in definitions.sensors if isinstance(s, dg.AutomationConditionSensorDefinition)]
    assert automation.name == "views_follow_upstreams"
    assert automation.default_status == dg.DefaultSensorStatus.RUNNING
    assert automation.asset_selection.resolve(asset_graph) == {dg.AssetKey(name) for name in VIEWS}
    assert all(asset_graph.get(dg.AssetKey(name)).automation_condition for name in VIEWS)


def test_assets_are_grouped_by_layer(asset_graph):
    groups = {key.path[0]: asset_graph.get(key).group_name for key in asset_graph.get_all_asset_keys()}
    assert groups == {
        **{name: "dimensions" for name in ASSETS if name.startswith("dim_")},
        **{name: "facts" for name in ASSETS if name.startswith(("fact_", "inventory_"))},
        **{name: "views" for name in ASSETS if name.startswith("v_")},
    }


def test_steps_are_named_after_the_assets_they_build(definitions):
    for assets_def in definitions.assets:
        built = [key.path[0] for key in assets_def.keys]
        if assets_def.node_def.name == "views":  # every view, and only views
            assert set(built) == VIEWS
            continue
        assert all(name in assets_def.node_def.name for name in built), (assets_def.node_def.name, built)


def test_schedules_and_sensors_say_what_they_do(definitions):
    described = [*definitions.schedules, *definitions.sensors]
    assert all(item.description and len(item.description) > 40 for item in described)
    by_name = {item.name: item.description for item in described}
    for name in ("sales_every_10_minutes", "new_orders_sensor"):
        assert "not both" in by_name[name], name


def test_schedules_exist_and_start_stopped(definitions):
    schedules = {schedule.name: schedule for schedule in definitions.schedules}
    assert set(schedules) == set(SCHEDULES)
    for name, (cron, job) in SCHEDULES.items():
        assert schedules[name].cron_schedule == cron
        assert schedules[name].job_name == job
        assert schedules[name].default_status == dg.DefaultScheduleStatus.STOPPED


def test_sensors_exist_and_start_stopped(definitions):
    sensors = {sensor.name: sensor for sensor in definitions.sensors}
    assert set(sensors) == {
        "new_orders_sensor",
        "run_failure_alert",
        "views_follow_upstreams",
        "moved_events_sensor",
    }
    assert sensors["new_orders_sensor"].job_name == "sales_job"
    assert sensors["moved_events_sensor"].job_name == "sales_job"
    assert isinstance(sensors["run_failure_alert"], dg.RunStatusSensorDefinition)
    for name in ("new_orders_sensor", "run_failure_alert"):
        assert sensors[name].default_status == dg.DefaultSensorStatus.STOPPED
    # Those running by default ask nothing of the API on their own: one re-reads the views after
    # their upstreams changed, the other follows an events load that found moved events (README,
    # "Schedules and sensors").
    running = {
        name for name, sensor in sensors.items() if sensor.default_status == dg.DefaultSensorStatus.RUNNING
    }
    assert running == {"views_follow_upstreams", "moved_events_sensor"}


def test_every_job_carries_the_api_tag(definitions):
    jobs = {job.name: job for job in definitions.resolve_all_job_defs() if not job.name.startswith("__")}
    assert set(jobs) == {"inventory_job", "sales_job", "nightly_reconcile_job"}
    for job in jobs.values():
        assert job.tags.get(API_TAG[0]) == API_TAG[1], job.name
    reconcile = jobs["nightly_reconcile_job"].run_config
    assert reconcile == {"ops": {"fact_sales": {"config": {"full_refresh": True}}}}


def test_every_asset_is_checked(definitions):
    checked = {key.asset_key.path[0] for assets_def in definitions.assets for key in assets_def.check_keys}
    assert checked == ASSETS
    assert not definitions.asset_checks, "no check has a step of its own"


def test_checks_run_in_their_assets_step_and_the_views_share_one(definitions):
    """A step costs Dagster ~15-20 ms and its events; an open of the mart ~70 ms more. Each check is
    a check spec of the definition that writes its asset (so it runs in that step), the seven views
    are one step, and every step is subsettable: a check or a view can still run alone."""
    for assets_def in definitions.assets:
        assert assets_def.can_subset, assets_def.node_def.name
        assert {key.asset_key for key in assets_def.check_keys} <= set(assets_def.keys), (
            assets_def.node_def.name
        )
    job = definitions.resolve_implicit_global_asset_job_def()
    steps = {node.name for node in job.graph.nodes}
    assert steps == {
        "dim_events_and_dim_shows",
        "dim_discounts_and_dim_promo_codes",
        "inventory_raw",
        "fact_inventory_latest",
        "fact_sales",
        "views",
    }
    [views] = [assets_def for assets_def in definitions.assets if assets_def.node_def.name == "views"]
    assert {key.path[0] for key in views.keys} == VIEWS
    # A full run's job still says which checks it runs: all 41, as many as the rule table lists.
    assert len(job.asset_layer.asset_graph.asset_check_keys) == 41


def test_only_the_sales_run_and_unread_show_warnings_are_non_blocking(definitions):
    specs = [spec for assets_def in definitions.assets for spec in assets_def.check_specs]
    assert {(spec.asset_key.path[0], spec.name) for spec in specs if not spec.blocking} == {
        ("fact_inventory_latest", "shows_in_newest_snapshot"),
        ("fact_sales", "event_ids_known"),
        ("fact_sales", "revenue_reconciles"),
        ("fact_sales", "no_reconcile_drift"),
        ("fact_sales", "discount_is_the_difference"),
        ("fact_sales", "revenue_in_rubles"),
        ("fact_sales", "promo_codes_and_discounts_known"),
    }
    assert all(spec.description for spec in specs)


def test_every_asset_that_calls_the_api_is_in_the_api_pool(definitions):
    pools = {
        key.path[0]: assets_def.node_def.pool for assets_def in definitions.assets for key in assets_def.keys
    }
    assert {key for key, pool in pools.items() if pool == "qtickets_api"} == {
        "dim_events",
        "dim_shows",
        "dim_discounts",
        "dim_promo_codes",
        "inventory_raw",
        "fact_sales",
    }
