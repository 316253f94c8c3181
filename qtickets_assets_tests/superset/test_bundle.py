"""The Superset bundle (dashboards/superset/bundle) is whole and stands on the views as they are.

Fast and without Superset: the YAML parses, UUIDs link (charts -> datasets -> the database,
dashboard -> charts, native filters -> datasets), every dataset is a view of clickhouse/views, and
every column a dataset lists or a chart or filter names exists in that view's typed column list.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "dashboards" / "superset" / "bundle"
VIEWS = ROOT / "clickhouse" / "views"
VIEW_HEADER = re.compile(r"CREATE OR REPLACE VIEW \{database\}\.(\w+)\s*\((.*?)\n\)\s*\nAS\n", re.S)
COLUMN_LINE = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s+\S", re.M)
IDENTIFIER = re.compile(r"\b[a-z_][a-z0-9_]*\b")
STRING_LITERAL = re.compile(r"'[^']*'")
TYPED_COLUMN = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s+(.+?)\s+COMMENT\s", re.M)
SQL_WORDS = {"and", "or", "not", "if", "is", "null", "now", "today", "max", "min", "sum", "sumif", "count",
             "todate", "tostring", "in", "concat", "formatdatetime", "tuple", "nullif"}  # fmt: skip


def view_column_lists() -> dict[str, str]:
    """{view: its typed column list}, from each view file (independently of
    dashboards/superset/build_bundle.py, which generates the datasets)."""
    views = {}
    for path in sorted(VIEWS.glob("*.sql")):
        match = VIEW_HEADER.search(path.read_text(encoding="utf-8"))
        assert match, f"{path.name}: no typed column list"
        views[match[1]] = match[2]
    return views


def view_columns() -> dict[str, set[str]]:
    """{view: its columns}."""
    return {view: set(COLUMN_LINE.findall(body)) for view, body in view_column_lists().items()}


def view_types() -> dict[str, dict[str, str]]:
    """{view: {column: ClickHouse type}}."""
    return {view: dict(TYPED_COLUMN.findall(body)) for view, body in view_column_lists().items()}


def load(kind: str) -> dict[str, dict[str, Any]]:
    """{uuid: config} of the bundle's files of one kind (databases, datasets, charts, dashboards)."""
    configs = {}
    for path in sorted((BUNDLE / kind).rglob("*.yaml")):
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert config["uuid"] not in configs, f"{path}: duplicate uuid"
        configs[config["uuid"]] = config
    return configs


@pytest.fixture(scope="module")
def bundle() -> dict[str, dict[str, dict[str, Any]]]:
    return {kind: load(kind) for kind in ("databases", "datasets", "charts", "dashboards")}


def sql_identifiers(expression: str) -> set[str]:
    """The names a SQL expression reads, less string literals, functions and keywords."""
    return set(IDENTIFIER.findall(STRING_LITERAL.sub("", expression).lower())) - SQL_WORDS


def column_reads(column: str | dict[str, Any]) -> set[str]:
    """The view columns a chart's column or metric reads: its name, or what its SQL reads."""
    if isinstance(column, str):
        return {column}
    if column.get("expressionType") == "SIMPLE":
        return {column["column"]["column_name"]}
    return sql_identifiers(column["sqlExpression"])


def chart_metrics(params: dict[str, Any]) -> list[dict[str, Any]]:
    return list(params.get("metrics", [])) + ([params["metric"]] if "metric" in params else [])


def chart_columns(params: dict[str, Any]) -> set[str]:
    """Every column a chart's form data names: axes, groupings, raw columns, metrics, filters,
    orderings (computed columns and SQL metrics by the columns their SQL reads)."""
    named = [*params.get("groupby", []), *params.get("all_columns", []), *chart_metrics(params)]
    named += [json.loads(item)[0] for item in params.get("order_by_cols", [])]
    named += [params[key] for key in ("x_axis", "series_limit_metric") if key in params]
    columns = set().union(*(column_reads(column) for column in named))
    for adhoc in params.get("adhoc_filters", []):
        if adhoc["expressionType"] == "SIMPLE":
            columns.add(adhoc["subject"])
        else:
            columns |= sql_identifiers(adhoc["sqlExpression"])
    return columns


def test_metadata_says_assets() -> None:
    assert yaml.safe_load((BUNDLE / "metadata.yaml").read_text(encoding="utf-8"))["type"] == "assets"


def test_one_read_only_database_and_one_dashboard(bundle) -> None:
    (database,) = bundle["databases"].values()
    assert database["sqlalchemy_uri"].startswith("clickhousedb://datalens_reader@")
    assert database["allow_dml"] is False
    (dashboard,) = bundle["dashboards"].values()
    assert dashboard["dashboard_title"] == "Qtickets: sales"


def test_every_dataset_is_a_view_with_its_columns(bundle) -> None:
    views = view_columns()
    (database_uuid,) = bundle["databases"]
    for dataset in bundle["datasets"].values():
        name = dataset["table_name"]
        assert name in views, f"dataset {name} is not a view of clickhouse/views"
        assert dataset["database_uuid"] == database_uuid
        listed = {column["column_name"] for column in dataset["columns"]}
        assert listed <= views[name], f"{name}: not in the view: {sorted(listed - views[name])}"
        # A local clock time in a DateTime type would be shifted again by Superset: none is offered.
        local_times = [c["column_name"] for c in dataset["columns"] if "_local" in c["column_name"]]
        assert not [
            c for c in dataset["columns"] if c["column_name"] in local_times and "DateTime" in c["type"]
        ]


def test_every_chart_uses_columns_of_its_view(bundle) -> None:
    views = view_columns()
    for chart in bundle["charts"].values():
        dataset = bundle["datasets"][chart["dataset_uuid"]]
        view = dataset["table_name"]
        used = chart_columns(chart["params"])
        dataset_columns = {column["column_name"] for column in dataset["columns"]}
        assert used <= dataset_columns, (
            f"{chart['slice_name']}: {sorted(used - dataset_columns)} not in {view}"
        )
        assert used <= views[view]


def test_every_chart_has_a_query_context_agreeing_with_its_form_data(bundle) -> None:
    for chart in bundle["charts"].values():
        context = json.loads(chart["query_context"])
        assert context["form_data"]["viz_type"] == chart["viz_type"] == chart["params"]["viz_type"]
        (query,) = context["queries"]
        assert query["metrics"] or query["columns"], chart["slice_name"]


def test_dashboard_holds_every_chart_once_and_filters_name_real_columns(bundle) -> None:
    (dashboard,) = bundle["dashboards"].values()
    placed = [item["meta"]["uuid"] for item in dashboard["position"].values()
              if isinstance(item, dict) and item.get("type") == "CHART"]  # fmt: skip
    assert sorted(placed) == sorted(bundle["charts"])
    views = view_columns()
    filters = dashboard["metadata"]["native_filter_configuration"]
    assert {f["name"] for f in filters} == {"Period (local days)", "City", "Event"}
    for native in filters:
        for target in native["targets"]:
            if "datasetUuid" in target:
                view = bundle["datasets"][target["datasetUuid"]]["table_name"]
                assert target["column"]["name"] in views[view]
                # The filter applies by column name to every dataset of the dashboard.
                for dataset in bundle["datasets"].values():
                    assert target["column"]["name"] in views[dataset["table_name"]]


def test_the_committed_bundle_is_what_the_generator_writes(tmp_path: Path) -> None:
    """A hand edit of the YAML (or a spec change not regenerated) is caught here."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_bundle", BUNDLE.parent / "build_bundle.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_bundle"] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    module.build(tmp_path / "bundle")
    written = {
        str(p.relative_to(tmp_path / "bundle")): p.read_text() for p in (tmp_path / "bundle").rglob("*.yaml")
    }
    committed = {str(p.relative_to(BUNDLE)): p.read_text() for p in BUNDLE.rglob("*.yaml")}
    assert written == committed


def shown_columns(params: dict[str, Any]) -> list[tuple[str, set[str]]]:
    """A table's columns as (the name its answer carries, the view columns it reads)."""
    columns = params["all_columns"] if params["query_mode"] == "raw" else params["groupby"]
    named = [(c if isinstance(c, str) else c["label"], column_reads(c)) for c in columns]
    return named + [(metric["label"], column_reads(metric)) for metric in chart_metrics(params)]


def expected_format(types: set[str], name: str = "") -> tuple[str | None, str]:
    """(d3 number format, what the header must say) of column `name` reading columns of `types`."""
    if name.endswith("_id"):
        return "d", ""  # an id: no thousands separator
    if any(t.startswith("Decimal") for t in types):
        return ",.2f", "RUB"  # money: thousands separated, kopecks, the currency in the header
    if any("Float" in t for t in types):
        return ".1%", "%"  # a share (0..1) as a percentage with one decimal
    if any(re.search(r"\bU?Int", t) for t in types):
        return ",d", ""  # a count (a computed one may test an instant, as "NULL before any snapshot")
    if any("DateTime" in t for t in types):
        return None, "UTC"  # an instant: the header says in which zone it is shown
    return None, ""


def test_tables_show_money_shares_counts_and_instants_formatted_under_a_header(bundle) -> None:
    types = view_types()
    tables = [chart for chart in bundle["charts"].values() if chart["viz_type"] == "table"]
    assert len(tables) == 3
    for chart in tables:
        view = bundle["datasets"][chart["dataset_uuid"]]["table_name"]
        config = chart["params"]["column_config"]
        for name, reads in shown_columns(chart["params"]):
            number_format, in_header = expected_format({types[view][c] for c in reads}, name)
            shown = config[name]
            where = f"{chart['slice_name']}: {name}"
            assert shown.get("d3NumberFormat") == number_format, where
            assert in_header in shown["customColumnName"], where


def test_the_period_filter_leaves_out_the_sales_pace_and_only_it(bundle) -> None:
    """The pace is a running sum from each show's first sale: over a chosen period it would start
    from 0 on the period's first day. The import maps the bundle's chart ids (distinct, in the
    layout) to Superset's, so the filter's scope names the chart by its id in the layout."""
    (dashboard,) = bundle["dashboards"].values()
    placed = [item for item in dashboard["position"].values()
              if isinstance(item, dict) and item.get("type") == "CHART"]  # fmt: skip
    ids = {item["meta"]["chartId"]: bundle["charts"][item["meta"]["uuid"]]["slice_name"] for item in placed}
    assert len(ids) == len(bundle["charts"])
    filters = {f["name"]: f for f in dashboard["metadata"]["native_filter_configuration"]}
    excluded = [ids[i] for i in filters["Period (local days)"]["scope"]["excluded"]]
    assert excluded == ["Sales pace of the next 8 shows, % of capacity"]
    assert filters["City"]["scope"]["excluded"] == filters["Event"]["scope"]["excluded"] == []
