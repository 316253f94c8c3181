"""The Superset dashboard's own SQL (its computed columns, metrics, filters and orderings, read from
the committed bundle, dashboards/superset/bundle) run on a copy of the session's clean mart, in the
shape of the queries Superset sends: the figures and labels a user reads equal the view's rows,
aggregated here in Python. (Superset itself renders them in the opt-in `make superset-test`.)"""

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from clickhouse_connect.driver.client import Client

from qtickets_assets.lib.charts.shows import UPCOMING_SHOWS
from qtickets_assets.lib.clickhouse import chart_data
from qtickets_assets.lib.clickhouse.connection import open_client
from qtickets_assets_tests.graph.mart import DATABASE, Mart

CHARTS = Path(__file__).resolve().parents[2] / "dashboards" / "superset" / "bundle" / "charts"


def chart(key: str) -> dict[str, Any]:
    """A chart's form data as the bundle holds it."""
    return yaml.safe_load((CHARTS / f"{key}.yaml").read_text(encoding="utf-8"))["params"]


def where(params: dict[str, Any]) -> str:
    return " AND ".join(f"({f['sqlExpression']})" for f in params["adhoc_filters"]) or "1"


def selected(column: str | dict[str, Any]) -> str:
    """A chart's column as Superset selects it (a computed one under its label)."""
    return f"`{column}`" if isinstance(column, str) else f"{column['sqlExpression']} AS `{column['label']}`"


@pytest.fixture
def client(mart: Mart) -> Iterator[Client]:
    with open_client(mart.url, DATABASE) as opened:
        yield opened


def test_revenue_bars_name_an_empty_tag_none_with_the_dagster_charts_figures(client: Client) -> None:
    everything = (date(2000, 1, 1), date(2100, 1, 1))
    labels = {}
    frames = chart_data.revenue_by_sources(client, DATABASE, *everything, top=1000)
    for key, column in (("by_source", "utm_source"), ("by_payment_type", "payment_type")):
        params = chart(key)
        (metric,) = params["metrics"]
        shown = dict(
            client.query(
                f"SELECT {params['x_axis']['sqlExpression']} AS label, "
                f"sum({metric['column']['column_name']}) FROM v_sales_by_source GROUP BY label"
            ).result_rows
        )
        frame = frames[column]
        assert shown == dict(zip(frame["label"], frame["revenue_paid"], strict=True)), key
        labels[key] = set(shown)
    # The sandbox sells without UTM tags too: that bar is there, named, not an empty label.
    assert chart_data.NONE in labels["by_source"]
    assert "" not in labels["by_source"] | labels["by_payment_type"]


def test_sales_pace_is_the_next_shows_share_of_capacity_up_to_each_day(client: Client) -> None:
    params = chart("sales_pace")
    (show,) = params["groupby"]
    (metric,) = params["metrics"]
    order = "DESC" if params["order_desc"] else "ASC"
    # As Superset asks: the series first (the first `series_limit` by the limit metric), then the
    # metric per local day and series, the x axis named `date_local` as a DateTime (Superset's).
    series = client.query(
        f"SELECT {show['sqlExpression']} AS show FROM v_sales_pace WHERE {where(params)} "
        f"GROUP BY show ORDER BY {params['series_limit_metric']['sqlExpression']} {order} "
        f"LIMIT {params['series_limit']}"
    ).result_rows
    daily = client.query(
        f"SELECT toStartOfDay(toDateTime(date_local)) AS date_local, {show['sqlExpression']} AS show, "
        f"{metric['sqlExpression']} AS share FROM v_sales_pace WHERE {where(params)} "
        "GROUP BY date_local, show ORDER BY date_local"
    ).result_rows
    assert params["rolling_type"] == "cumsum"  # Superset sums each series up to each day
    shown: dict[str, float] = defaultdict(float)
    for _, label, share in daily:
        shown[label] += share

    # Independently: the upcoming shows with a capacity, the next by start then show_id (as the
    # Dagster chart chooses), each labelled with its local start day, and its share sold so far.
    rows = client.query(
        "SELECT show_id, event_name, city_name, show_starts_at, date_local, days_before_show, "
        "tickets_paid_cumulative, capacity FROM v_sales_pace WHERE show_starts_at > now() AND capacity > 0"
    ).result_rows
    shows: dict[int, dict[str, Any]] = {}
    for show_id, event, city, starts, day, days_before, cumulative, capacity in rows:
        entry = shows.setdefault(show_id, {"starts": starts, "sold": 0, "capacity": capacity})
        entry["label"] = f"{event}, {city}, {day + timedelta(days=days_before):%d.%m} #{show_id}"
        entry["sold"] = max(entry["sold"], cumulative)
    upcoming = sorted(shows, key=lambda s: (shows[s]["starts"], s))[:UPCOMING_SHOWS]
    assert len(upcoming) == UPCOMING_SHOWS, "the sandbox has enough upcoming shows to choose from"
    assert [label for (label,) in series] == [shows[s]["label"] for s in upcoming]
    assert {label: round(shown[label], 9) for (label,) in series} == {
        shows[s]["label"]: round(shows[s]["sold"] / shows[s]["capacity"], 9) for s in upcoming
    }


def test_events_without_a_snapshot_show_no_capacity_and_come_last(mart: Mart) -> None:
    # One event's inventory never taken: the view says 0 and NULL (docs/contract.md).
    event_id = mart.value("SELECT min(event_id) FROM {db}.fact_inventory_latest")
    mart.sql(f"DELETE FROM {{db}}.fact_inventory_latest WHERE event_id = {event_id}")
    params = chart("seats_left")
    columns = ", ".join(selected(c) for c in params["all_columns"])
    orderings = [json.loads(item) for item in params["order_by_cols"]]
    order = ", ".join(
        f"{c if isinstance(c, str) else c['sqlExpression']} {'ASC' if ascending else 'DESC'}"
        for c, ascending in orderings
    )
    with open_client(mart.url, DATABASE) as client:
        result = client.query(f"SELECT event_id, {columns} FROM v_sales_dashboard ORDER BY {order}")
        view = {
            row[0]: row[1:]
            for row in client.query(
                "SELECT event_id, tickets_total, tickets_left, inventory_updated_at FROM v_sales_dashboard"
            ).result_rows
        }
    rows = [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]
    assert view[event_id][:2] == (0, 0) and view[event_id][2] is None
    blank = [row["event_id"] for row in rows if row["Capacity"] is None]
    assert event_id in blank
    for row in rows:
        total, left, updated = view[row["event_id"]]
        expected = (None, None) if updated is None else (total, left)
        assert (row["Capacity"], row["Seats left"]) == expected
    # The events closest to selling out first, those without a snapshot (unknown) after them all.
    assert [row["event_id"] for row in rows[len(rows) - len(blank) :]] == blank
    known = [row["Seats left"] for row in rows[: len(rows) - len(blank)]]
    assert known == sorted(known) and known


def test_attendance_leaves_an_unknown_capacity_blank(client: Client) -> None:
    (capacity,) = [c for c in chart("attendance")["all_columns"] if isinstance(c, dict)]
    pairs = client.query(f"SELECT capacity, {capacity['sqlExpression']} FROM v_show_attendance").result_rows
    assert {0} <= {raw for raw, _ in pairs}, "the mart has a show without a snapshot"
    assert all(shown == (None if raw == 0 else raw) for raw, shown in pairs)
