"""Write the Superset bundle (`bundle/`) for the dashboard "Qtickets: sales" from the specs below.

The bundle is what `make superset` and the deploy/ Superset import (Superset's assets format:
databases, datasets, charts and a dashboard linked by UUID). It is generated so that every chart's
`query_context` (what `/api/v1/chart/data` answers from) agrees with its form data, and committed
so that a reviewer reads the YAML and an import needs no generation. After changing a spec:
    .venv/bin/python dashboards/superset/build_bundle.py
then run the bundle test and the browser test (README, "Dashboards").

Dataset columns are read from the views' typed column lists (clickhouse/views/*.sql), so a dataset
never names a column its view lacks. No view holds a local clock time in a UTC type (a BI tool
would shift it again): local days are `Date`s, a show's local time of day is text (`show_time_local`).
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from qtickets_assets.lib.charts.shows import UPCOMING_SHOWS  # the Dagster chart's "next shows"
from qtickets_assets.lib.clickhouse.chart_data import NONE  # how the Dagster charts show an empty tag

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
VIEWS = ROOT / "clickhouse" / "views"
BUNDLE = HERE / "bundle"
# Stable UUIDs: uuid5 of a name in the project's namespace, so regenerating changes nothing.
NAMESPACE = uuid.UUID("5a0b6b52-3f0e-4d6c-9b6e-7c1d2a9e4f10")
DATABASE_NAME = "Qtickets mart"
# The bundle's URI is a placeholder for the deploy/ server; `setup_superset.py` replaces it at import.
PLACEHOLDER_URI = "clickhousedb://datalens_reader@clickhouse:8123/qtickets"
DASHBOARD_TITLE = "Qtickets: sales"
DASHBOARD_SLUG = "qtickets-sales"
TICKETS = ",d"
IDENTIFIER = "d"  # an id: no thousands separator
RUBLES = ",.2f"
WHOLE_RUBLES = ",.0f"
PERCENT = ".1%"  # a share (0..1) as a percentage with one decimal
# Filters shared by charts: upcoming and past shows (show_starts_at is a true UTC instant).
UPCOMING = "show_starts_at > now()"
PAST = "show_starts_at <= now()"
# The event's own "today" (as v_sales_dashboard computes it): toString(t, zone) honours a per-row zone.
LOCAL_TODAY = "toDate(toString(now(), if(city_timezone = '', 'Europe/Moscow', city_timezone)))"


def stable_uuid(name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, name))


# --- the views' columns ---------------------------------------------------------------------------

_VIEW_HEADER = re.compile(r"CREATE OR REPLACE VIEW \{database\}\.(?P<name>\w+)\s*\(", re.S)
_COLUMN = re.compile(r"^\s*(?P<name>[a-z_][a-z0-9_]*)\s+(?P<type>.+?)(?:\s+COMMENT\s+'.*)?,?\s*$")


def view_columns(sql: str) -> tuple[str, dict[str, str]]:
    """(view name, {column: ClickHouse type}) from a view file's typed column list."""
    header = _VIEW_HEADER.search(sql)
    if header is None:
        raise ValueError("no `CREATE OR REPLACE VIEW {database}.name (` in the view file")
    body = sql[header.end() : sql.index("\nAS\n", header.end())]
    columns = {}
    for line in body.splitlines():
        match = _COLUMN.match(line)
        if match and line.strip() != ")":
            columns[match["name"]] = match["type"].rstrip(",").strip()
    return header["name"], columns


def all_view_columns() -> dict[str, dict[str, str]]:
    return dict(view_columns(path.read_text(encoding="utf-8")) for path in sorted(VIEWS.glob("*.sql")))


# --- metrics and filters ------------------------------------------------------------------------------


def sum_of(column: str, label: str) -> dict[str, Any]:
    return {
        "expressionType": "SIMPLE",
        "aggregate": "SUM",
        "column": {"column_name": column},
        "label": label,
        "optionName": f"metric_{column}_{label}".replace(" ", "_").lower(),
    }


def sql_metric(expression: str, label: str) -> dict[str, Any]:
    return {
        "expressionType": "SQL",
        "sqlExpression": expression,
        "label": label,
        "optionName": f"metric_{label}".replace(" ", "_").lower(),
    }


def where(expression: str) -> dict[str, Any]:
    return {"expressionType": "SQL", "clause": "WHERE", "sqlExpression": expression}


def not_empty(column: str) -> dict[str, Any]:
    return {
        "expressionType": "SIMPLE",
        "clause": "WHERE",
        "subject": column,
        "operator": "!=",
        "comparator": "",
    }


# --- charts -------------------------------------------------------------------------------------------


@dataclass
class Chart:
    """One chart: its dataset (a view), title, viz type and form data (Superset's `params`)."""

    key: str
    view: str
    title: str
    viz_type: str
    params: dict[str, Any]
    width: int
    height: int
    description: str = ""
    # False: the Period filter leaves the chart alone (its figures are not sums over the period).
    follows_period: bool = True
    uuid: str = field(init=False)

    def __post_init__(self) -> None:
        self.uuid = stable_uuid(f"chart:{self.key}")


def big_number(key: str, view: str, title: str, metric: dict[str, Any], number_format: str) -> Chart:
    params = {"metric": metric, "y_axis_format": number_format, "header_font_size": 0.3,
              "subheader_font_size": 0.125, "adhoc_filters": []}  # fmt: skip
    return Chart(key, view, title, "big_number_total", params, width=3, height=25)


def headline_charts() -> list[Chart]:
    dashboard = "v_sales_dashboard"
    refunds_14d = f"refunded_date_local >= {LOCAL_TODAY} - 13"
    refunds_today = f"refunded_date_local = {LOCAL_TODAY}"
    tickets, revenue = "Tickets", "Revenue"
    return [
        big_number("tickets_today", dashboard, "Tickets sold today",
                   sum_of("tickets_sold_today", tickets), TICKETS),
        big_number("revenue_today", dashboard, "Revenue today, RUB",
                   sum_of("revenue_today", revenue), RUBLES),
        big_number("tickets_14d", dashboard, "Tickets sold, 14 days",
                   sum_of("tickets_sold_14d", tickets), TICKETS),
        big_number("revenue_14d", dashboard, "Revenue, 14 days, RUB",
                   sum_of("revenue_14d", revenue), RUBLES),
        big_number("refunded_tickets_today", "v_sales", "Tickets refunded today",
                   sql_metric(f"sumIf(quantity, {refunds_today})", "Refunded"), TICKETS),
        big_number("refunded_amount_today", "v_sales", "Refunded today, RUB",
                   sql_metric(f"sumIf(refunded_amount, {refunds_today})", "Refunded amount"), RUBLES),
        big_number("refunded_tickets_14d", "v_sales", "Tickets refunded, 14 days",
                   sql_metric(f"sumIf(quantity, {refunds_14d})", "Refunded"), TICKETS),
        big_number("refunded_amount_14d", "v_sales", "Refunded, 14 days, RUB",
                   sql_metric(f"sumIf(refunded_amount, {refunds_14d})", "Refunded amount"), RUBLES),
    ]  # fmt: skip


def by_day(key: str, title: str, metrics: list[dict[str, Any]], number_format: str) -> Chart:
    params = {
        "x_axis": "date_local",
        "time_grain_sqla": "P1D",
        "metrics": metrics,
        "groupby": [],
        "adhoc_filters": [],
        "row_limit": 10000,
        "y_axis_format": number_format,
        "x_axis_time_format": "%Y-%m-%d",
        "show_legend": True,
        "rich_tooltip": True,
        "truncate_metric": True,
        "time_range": "No filter",
    }
    return Chart(key, "v_sales_daily", title, "echarts_timeseries_bar", params, width=6, height=50)


def adhoc_column(expression: str, label: str) -> dict[str, Any]:
    """A column computed by SQL (a grouping or a table column), shown under `label`."""
    return {"expressionType": "SQL", "sqlExpression": expression, "label": label}


def or_none(column: str) -> str:
    """The column's value, "(none)" when it is empty (an order without that tag)."""
    return f"if({column} = '', '{NONE}', {column})"


def sales_pace() -> Chart:
    """The share of capacity each of the next shows has sold, by local day of payment.

    The x axis is the local day, not days before the show: v_sales_pace has rows only on days
    with sales, and Superset's line chart breaks a series at every x where it has no row. On
    days the curve is built as a running sum of each day's tickets / capacity (Superset's
    cumulative sum counts a day without sales as 0), which is exact up to today for every show.
    "Next": the UPCOMING_SHOWS shows with the earliest start, then show_id (lib/charts/shows.py's
    choice), that have a capacity to compare with.
    """
    # The show's local start day is date_local + days_before_show. toDate(): Superset's query names
    # its x axis `date_local` too, a DateTime (ClickHouse aliases are query-wide), to which "+ n"
    # would add seconds.
    show = adhoc_column(
        "concat(event_name, ', ', city_name, ', ', formatDateTime(toDate(date_local) + days_before_show, "
        "'%d.%m'), ' #', toString(show_id))",
        "Show",
    )
    params = {
        "x_axis": "date_local",
        "time_grain_sqla": "P1D",
        "metrics": [sql_metric("sum(tickets_paid) / max(capacity)", "Sold, share of capacity")],
        "groupby": [show],
        "adhoc_filters": [where(UPCOMING), where("capacity > 0")],
        "series_limit": UPCOMING_SHOWS,
        "series_limit_metric": sql_metric("min(tuple(show_starts_at, show_id))", "Start"),
        "order_desc": False,
        "rolling_type": "cumsum",
        "row_limit": 10000,
        "y_axis_format": PERCENT,
        "x_axis_time_format": "%Y-%m-%d",
        "show_legend": True,
        # A list on the right, wide enough for "event, city, day #show" (Superset would truncate it).
        "legendType": "plain",
        "legendOrientation": "right",
        "legendMargin": 460,
        "rich_tooltip": True,
        "tooltipSortByMetric": True,
        "markerEnabled": False,
        "time_range": "No filter",
    }
    # A running sum over the Period filter's days would start from 0 on its first day, not from
    # the share already sold: the chart is out of its scope.
    title = f"Sales pace of the next {UPCOMING_SHOWS} shows, % of capacity"
    return Chart("sales_pace", "v_sales_pace", title, "echarts_timeseries_line", params, width=12, height=60,
                 description="One line per upcoming show (the next by start): the share of its capacity "
                 "paid by the end of each local day", follows_period=False)  # fmt: skip


def revenue_by(key: str, title: str, column: str, label: str) -> Chart:
    """Revenue by a tag of v_sales_by_source as horizontal bars, the largest on top (as the Dagster
    chart draws it): a pie's labels, in a third of the page, came out truncated."""
    params = {
        "x_axis": adhoc_column(or_none(column), label),
        "metrics": [sum_of("revenue_paid", "Revenue, RUB")],
        "groupby": [],
        "adhoc_filters": [],
        "row_limit": 100,
        "orientation": "horizontal",
        "x_axis_sort": "Revenue, RUB",
        "x_axis_sort_asc": True,
        "y_axis_format": WHOLE_RUBLES,  # also the axis's ticks, where kopecks are noise
        "show_value": True,
        "show_legend": False,
        "rich_tooltip": True,
        "time_range": "No filter",
    }
    return Chart(key, "v_sales_by_source", title, "echarts_timeseries_bar", params, width=4, height=50)


@dataclass(frozen=True)
class Column:
    """A table column: a view's column, or (with `expression`) SQL over the view's columns; shown
    under `header`, numbers in the d3 format `number_format`."""

    name: str
    header: str
    number_format: str | None = None
    expression: str | None = None

    @property
    def key(self) -> str:
        """The name the query answers the column under (an expression's is its label)."""
        return self.header if self.expression else self.name

    def query_column(self) -> str | dict[str, Any]:
        return adhoc_column(self.expression, self.header) if self.expression else self.name

    def config(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"customColumnName": self.header}
        if self.number_format:
            shown["d3NumberFormat"] = self.number_format
        return shown


def column_config(columns: list[Column]) -> dict[str, dict[str, Any]]:
    """The table's per-column headers and number formats (Superset's "Customize columns")."""
    return {column.key: column.config() for column in columns}


def aggregate_table(key: str, view: str, title: str, groupby: list[Column], metrics: list[dict[str, Any]],
                    formats: list[str], filters: list[dict[str, Any]], width: int) -> Chart:  # fmt: skip
    """Totals by `groupby`, largest first by the first metric; a metric's label is its header."""
    shown = groupby + [Column(m["label"], m["label"], f) for m, f in zip(metrics, formats, strict=True)]
    params = {
        "query_mode": "aggregate",
        "groupby": [column.query_column() for column in groupby],
        "metrics": metrics,
        "all_columns": [],
        "adhoc_filters": filters,
        "row_limit": 1000,
        "order_desc": True,
        "timeseries_limit_metric": metrics[0],
        "column_config": column_config(shown),
        "include_search": True,
        "server_pagination": False,
        "time_range": "No filter",
    }
    return Chart(key, view, title, "table", params, width=width, height=50)


def raw_table(key: str, view: str, title: str, columns: list[Column], order_by: list[tuple[Column, bool]],
              filters: list[dict[str, Any]]) -> Chart:  # fmt: skip
    params = {
        "query_mode": "raw",
        "all_columns": [column.query_column() for column in columns],
        "order_by_cols": [json.dumps([column.query_column(), ascending]) for column, ascending in order_by],
        "adhoc_filters": filters,
        "row_limit": 1000,
        "column_config": column_config(columns),
        "include_search": True,
        "server_pagination": False,
        "time_range": "No filter",
    }
    return Chart(key, view, title, "table", params, width=12, height=60)


def before_any_snapshot_blank(column: str) -> str:
    """v_sales_dashboard's inventory column, NULL (shown blank, not 0) before any snapshot."""
    return f"if(inventory_updated_at IS NULL, NULL, {column})"


def tables() -> list[Chart]:
    event, city = Column("event_name", "Event"), Column("city_name", "City")
    # 0 before any inventory snapshot (or for a deleted show): unknown, not sold out.
    capacity = Column("capacity", "Capacity", TICKETS, "nullIf(capacity, 0)")
    seats_left = Column("tickets_left", "Seats left", TICKETS, before_any_snapshot_blank("tickets_left"))
    starts = Column("show_starts_at", "Starts, UTC")
    return [
        aggregate_table("by_promo_code", "v_sales_by_source", "Sales by promo code",
                        [Column("promo_code", "Promo code")],
                        [sum_of("tickets_paid", "Tickets"), sum_of("revenue_paid", "Revenue, RUB")],
                        [TICKETS, RUBLES], [not_empty("promo_code")], width=4),
        raw_table("attendance", "v_show_attendance", "Attendance of past shows",
                  [event, city, starts, capacity, Column("tickets_paid", "Tickets paid", TICKETS),
                   Column("tickets_scanned", "Scanned", TICKETS),
                   Column("share_scanned", "Scanned, %", PERCENT)],
                  # Live shows: a deleted show is listed for its buyers, never to be scanned (not 0 %).
                  [(starts, False)], [where(PAST), where("is_deleted = 0")]),
        raw_table("seats_left", "v_sales_dashboard", "Events: sales and seats left",
                  # The id: two events of one name in one city are two rows that read alike.
                  [Column("event_id", "Id", IDENTIFIER), event, city,
                   Column("tickets_sold_total", "Tickets sold", TICKETS),
                   Column("revenue_total", "Revenue, RUB", RUBLES),
                   Column("tickets_total", "Capacity", TICKETS, before_any_snapshot_blank("tickets_total")),
                   seats_left, Column("inventory_updated_at", "Inventory as of, UTC")],
                  # Closest to selling out first; events without a snapshot (NULL) last.
                  [(seats_left, True)], []),
    ]  # fmt: skip


def all_charts() -> list[Chart]:
    tickets = [sum_of("tickets_paid", "Tickets paid"), sum_of("tickets_refunded", "Tickets refunded")]
    money = [sum_of("revenue_paid", "Revenue"), sum_of("amount_refunded", "Refunded")]
    return [
        *headline_charts(),
        by_day("tickets_by_day", "Tickets paid and refunded by local day", tickets, TICKETS),
        by_day("money_by_day", "Revenue and refunds by local day, RUB", money, RUBLES),
        sales_pace(),
        revenue_by("by_source", "Revenue by UTM source, RUB", "utm_source", "UTM source"),
        revenue_by("by_payment_type", "Revenue by payment type, RUB", "payment_type", "Payment type"),
        *tables(),
    ]


# --- query contexts -----------------------------------------------------------------------------------


def query_columns(params: dict[str, Any]) -> list[Any]:
    """The query's columns as the frontend sends them: the time axis first (with its grain)."""
    columns: list[Any] = []
    axis = params.get("x_axis")
    if isinstance(axis, str):  # a time axis, by its grain
        columns.append({"timeGrain": params["time_grain_sqla"], "columnType": "BASE_AXIS",
                        "sqlExpression": axis, "label": axis, "expressionType": "SQL"})  # fmt: skip
    elif axis is not None:  # categories computed by SQL
        columns.append({**axis, "columnType": "BASE_AXIS"})
    if params.get("query_mode") == "raw":
        return params["all_columns"]
    return columns + list(params.get("groupby", []))


def query_metrics(params: dict[str, Any]) -> list[Any] | None:
    if params.get("query_mode") == "raw":
        return None  # as the frontend sends it: rows as they are ([] would GROUP BY every column)
    return params["metrics"] if "metrics" in params else [params["metric"]]


def query_context(chart: Chart, dataset_id: int = 0) -> dict[str, Any]:
    """What the chart's frontend would POST to /api/v1/chart/data (the ids are fixed at import)."""
    params = chart.params
    query: dict[str, Any] = {
        "filters": [],
        "extras": {"having": "", "where": ""},
        "applied_time_extras": {},
        "columns": query_columns(params),
        "metrics": query_metrics(params),
        "orderby": [],
        "annotation_layers": [],
        "row_limit": params.get("row_limit", 10000),
        "series_limit": params.get("series_limit", 0),
        "order_desc": params.get("order_desc", True),
        "url_params": {},
        "custom_params": {},
        "custom_form_data": {},
        "time_range": "No filter",
    }
    for adhoc in params["adhoc_filters"]:
        if adhoc["expressionType"] == "SQL":
            query["extras"]["where"] = " AND ".join(
                filter(None, [query["extras"]["where"], f"({adhoc['sqlExpression']})"])
            )
        else:
            query["filters"].append(
                {"col": adhoc["subject"], "op": adhoc["operator"], "val": adhoc["comparator"]}
            )
    if params.get("query_mode") == "raw":
        query["orderby"] = [json.loads(item) for item in params["order_by_cols"]]
    elif query["metrics"] and chart.viz_type == "table":
        query["orderby"] = [[query["metrics"][0], False]]
    if "series_limit_metric" in params:
        # The series (groupby) kept are the first `series_limit` by this metric.
        query["series_columns"] = list(params["groupby"])
        query["series_limit_metric"] = params["series_limit_metric"]
        query["orderby"] = [[params["series_limit_metric"], not params["order_desc"]]]
    return {
        "datasource": {"id": dataset_id, "type": "table"},
        "force": False,
        "queries": [query],
        "form_data": form_data(chart, dataset_id),
        "result_format": "json",
        "result_type": "full",
    }  # fmt: skip


def form_data(chart: Chart, dataset_id: int = 0) -> dict[str, Any]:
    return {"datasource": f"{dataset_id}__table", "viz_type": chart.viz_type, **chart.params}


# --- the YAML files -----------------------------------------------------------------------------------


def database_yaml() -> dict[str, Any]:
    return {
        "database_name": DATABASE_NAME,
        "sqlalchemy_uri": PLACEHOLDER_URI,
        "cache_timeout": None,
        "expose_in_sqllab": True,
        "allow_run_async": False,
        "allow_ctas": False,
        "allow_cvas": False,
        "allow_dml": False,
        "allow_file_upload": False,
        "extra": {"allows_virtual_table_explore": True},
        "uuid": stable_uuid("database"),
        "version": "1.0.0",
    }


def is_temporal(clickhouse_type: str) -> bool:
    return bool(re.search(r"\b(Date|Date32|DateTime|DateTime64)\b", clickhouse_type))


def dataset_yaml(view: str, columns: dict[str, str]) -> dict[str, Any]:
    return {
        "table_name": view,
        # No schema: the connection's database (CLICKHOUSE_DATABASE) is the default one.
        "schema": None,
        "main_dttm_col": "date_local" if "date_local" in columns else None,
        "description": None,
        "default_endpoint": None,
        "offset": 0,
        "cache_timeout": None,
        "sql": None,
        "params": None,
        "template_params": None,
        "filter_select_enabled": True,
        "fetch_values_predicate": None,
        "extra": None,
        "normalize_columns": False,
        "always_filter_main_dttm": False,
        "uuid": stable_uuid(f"dataset:{view}"),
        "metrics": [
            {
                "metric_name": "count",
                "verbose_name": "COUNT(*)",
                "metric_type": "count",
                "expression": "COUNT(*)",
                "description": None,
                "d3format": None,
                "currency": None,
                "extra": None,
                "warning_text": None,
            }
        ],
        "columns": [
            {
                "column_name": name,
                "verbose_name": None,
                "is_dttm": is_temporal(kind),
                "is_active": True,
                "type": kind,
                "advanced_data_type": None,
                "groupby": True,
                "filterable": True,
                "expression": None,
                "description": None,
                "python_date_format": None,
                "extra": None,
            }
            for name, kind in columns.items()
        ],
        "version": "1.0.0",
        "database_uuid": stable_uuid("database"),
    }


def chart_yaml(chart: Chart) -> dict[str, Any]:
    return {
        "slice_name": chart.title,
        "description": chart.description or None,
        "certified_by": None,
        "certification_details": None,
        "viz_type": chart.viz_type,
        "params": form_data(chart),
        "query_context": json.dumps(query_context(chart)),
        "cache_timeout": None,
        "uuid": chart.uuid,
        "version": "1.0.0",
        "dataset_uuid": stable_uuid(f"dataset:{chart.view}"),
    }


def rows_of(charts: list[Chart]) -> list[list[Chart]]:
    """Charts in rows of 12 grid columns, in order."""
    rows: list[list[Chart]] = [[]]
    for chart in charts:
        if sum(c.width for c in rows[-1]) + chart.width > 12:
            rows.append([])
        rows[-1].append(chart)
    return rows


def chart_ids(charts: list[Chart]) -> dict[str, int]:
    """Each chart's id within the bundle (its place): the import maps them to Superset's ids."""
    return {chart.key: number for number, chart in enumerate(charts, start=1)}


def position(charts: list[Chart]) -> dict[str, Any]:
    ids = chart_ids(charts)
    layout: dict[str, Any] = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
        "HEADER_ID": {"id": "HEADER_ID", "type": "HEADER", "meta": {"text": DASHBOARD_TITLE}},
        "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": [], "parents": ["ROOT_ID"]},
    }
    for number, row in enumerate(rows_of(charts), start=1):
        row_id = f"ROW-{number}"
        layout["GRID_ID"]["children"].append(row_id)
        layout[row_id] = {"type": "ROW", "id": row_id, "children": [], "parents": ["ROOT_ID", "GRID_ID"],
                          "meta": {"background": "BACKGROUND_TRANSPARENT"}}  # fmt: skip
        for chart in row:
            chart_id = f"CHART-{chart.key}"
            layout[row_id]["children"].append(chart_id)
            layout[chart_id] = {
                "type": "CHART", "id": chart_id, "children": [], "parents": ["ROOT_ID", "GRID_ID", row_id],
                "meta": {"width": chart.width, "height": chart.height, "uuid": chart.uuid,
                         "sliceName": chart.title, "chartId": ids[chart.key]},
            }  # fmt: skip
    return layout


def native_filter(key: str, name: str, filter_type: str, column: str | None,
                  excluded: list[int] | None = None) -> dict[str, Any]:  # fmt: skip
    targets: list[dict[str, Any]] = [{}]
    if column is not None:
        targets = [{"datasetUuid": stable_uuid("dataset:v_sales_dashboard"), "column": {"name": column}}]
    return {
        "id": f"NATIVE_FILTER-{key}",
        "name": name,
        "filterType": filter_type,
        "targets": targets,
        "defaultDataMask": {"extraFormData": {}, "filterState": {}, "ownState": {}},
        "cascadeParentIds": [],
        "scope": {"rootPath": ["ROOT_ID"], "excluded": excluded or []},
        "controlValues": (
            {
                "enableEmptyFilter": False,
                "multiSelect": True,
                "searchAllOptions": False,
                "inverseSelection": False,
                "defaultToFirstItem": False,
            }
            if filter_type == "filter_select"
            else {}
        ),
        "type": "NATIVE_FILTER",
        "description": "",
        "chartsInScope": [],
        "tabsInScope": [],
    }


def dashboard_yaml(charts: list[Chart]) -> dict[str, Any]:
    filters = [
        # Applies to the charts whose dataset has a local day (date_local): the headline's fixed
        # "today" and "14 days" do not move with it.
        native_filter(
            "period",
            "Period (local days)",
            "filter_time",
            None,
            [chart_ids(charts)[chart.key] for chart in charts if not chart.follows_period],
        ),
        native_filter("city", "City", "filter_select", "city_name"),
        native_filter("event", "Event", "filter_select", "event_name"),
    ]
    return {
        "dashboard_title": DASHBOARD_TITLE,
        "description": None,
        "css": "",
        "slug": DASHBOARD_SLUG,
        "certified_by": None,
        "certification_details": None,
        "published": True,
        "uuid": stable_uuid("dashboard"),
        "position": position(charts),
        "metadata": {
            "native_filter_configuration": filters,
            "color_scheme": "supersetColors",
            "refresh_frequency": 0,
            "expanded_slices": {},
            "label_colors": {},
            "timed_refresh_immune_slices": [],
            "cross_filters_enabled": False,
            "default_filters": "{}",
            "chart_configuration": {},
            "global_chart_configuration": {
                "scope": {"rootPath": ["ROOT_ID"], "excluded": []},
                "chartsInScope": [],
            },
        },
        "version": "1.0.0",
    }


def file_name(title: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", title).strip("_") + ".yaml"


def write_yaml(path: Path, content: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(content, sort_keys=False, allow_unicode=True, width=120), encoding="utf-8")


def build(target: Path) -> None:
    views = all_view_columns()
    charts = all_charts()
    if target.exists():
        shutil.rmtree(target)
    write_yaml(
        target / "metadata.yaml",
        {"version": "1.0.0", "type": "assets", "timestamp": "2026-12-05T00:00:00+00:00"},
    )
    write_yaml(target / "databases" / file_name(DATABASE_NAME), database_yaml())
    for view in sorted({chart.view for chart in charts}):
        write_yaml(target / "datasets" / file_name(DATABASE_NAME) .removesuffix(".yaml") / f"{view}.yaml",
                   dataset_yaml(view, views[view]))  # fmt: skip
    for chart in charts:
        write_yaml(target / "charts" / file_name(chart.key), chart_yaml(chart))
    write_yaml(target / "dashboards" / file_name(DASHBOARD_TITLE), dashboard_yaml(charts))


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else BUNDLE)
