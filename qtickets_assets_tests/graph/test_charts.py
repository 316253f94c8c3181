"""The views' charts and the one-file report (issue 20), on a copy of the session's clean mart:
what each chart plots equals the view's own rows for the period (aggregated here in Python),
its titles carry the period and units, every view's materialization carries its image, and the
report holds the same charts and the dashboard's figures."""

import base64
import io
import re
import subprocess
import sys
import threading
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import dagster as dg
import pandas as pd
import pytest
from clickhouse_connect.driver.client import Client

from qtickets_assets import demo, report
from qtickets_assets.defs.common import VIEWS
from qtickets_assets.lib import charts
from qtickets_assets.lib.charts import dashboard as dashboard_charts
from qtickets_assets.lib.charts import labels, layout
from qtickets_assets.lib.charts import sales as sales_charts
from qtickets_assets.lib.charts import shows as show_charts
from qtickets_assets.lib.charts.base import DAYS
from qtickets_assets.lib.clickhouse import chart_data
from qtickets_assets.lib.clickhouse.connection import open_client
from qtickets_assets.lib.clickhouse.resource import open_migrated
from qtickets_assets_tests.graph.mart import DATABASE, Mart

SVG = "http://www.w3.org/2000/svg"
IMAGE = re.compile(r"!\[[^\]]+\]\(data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)\)")


@pytest.fixture
def client(mart: Mart) -> Iterator[Client]:
    with open_client(mart.url, DATABASE) as opened:
        yield opened


@pytest.fixture
def period(client: Client) -> charts.Period:
    return charts.Period.ending(chart_data.local_today(client, DATABASE))


def rows(client: Client, view: str) -> pd.DataFrame:
    return client.query_df(f"SELECT * FROM {DATABASE}.{view}")


def utc_now() -> pd.Timestamp:
    """Now as the views' naive UTC columns read."""
    return pd.Timestamp(datetime.now(UTC).replace(tzinfo=None))


def in_period(frame: pd.DataFrame, period: charts.Period) -> pd.DataFrame:
    days = frame["date_local"].dt.date
    return frame[(days >= period.first) & (days <= period.last)]


def test_the_daily_chart_plots_the_views_days(client, period):
    daily = sales_charts.sales_daily_data(client, DATABASE, period)

    view = in_period(rows(client, "v_sales_daily"), period)
    expected: dict = defaultdict(lambda: [0, Decimal(0), 0, Decimal(0)])
    for row in view.itertuples():
        day = expected[row.date_local.date()]
        day[0] += row.tickets_paid
        day[1] += row.revenue_paid
        day[2] += row.tickets_refunded
        day[3] += row.amount_refunded
    assert len(daily) == DAYS
    assert list(daily["date_local"]) == [period.first + timedelta(days=i) for i in range(DAYS)]
    for row in daily.itertuples():
        assert [
            row.tickets_paid,
            row.revenue_paid,
            row.tickets_refunded,
            row.amount_refunded,
        ] == expected.get(row.date_local, [0, Decimal(0), 0, Decimal(0)]), row.date_local
    assert daily["tickets_paid"].sum() > 0, "the sandbox sells in the last 30 days"
    assert daily["revenue_cumulative"].iloc[-1] == sum(view["revenue_paid"], Decimal(0))


def test_the_sell_through_chart_plots_the_next_shows(client, period):
    plotted = show_charts.sell_through_data(client, DATABASE, period)

    view = rows(client, "v_sell_through")
    upcoming = view[view["show_starts_at"] > utc_now()]
    starts = upcoming.groupby("show_id")["show_starts_at"].first().reset_index()
    by_start = starts.sort_values(["show_starts_at", "show_id"])["show_id"]
    next_shows = list(by_start[: show_charts.UPCOMING_SHOWS])
    assert len(next_shows) == show_charts.UPCOMING_SHOWS
    assert list(dict.fromkeys(plotted["show_id"])) == next_shows
    expected = view[view["show_id"].isin(next_shows) & (view["days_before_show"] >= 0)]
    key = ["show_id", "days_before_show"]
    mine = plotted.set_index(key).sort_index()
    theirs = expected.set_index(key).sort_index()
    assert list(mine.index) == list(theirs.index)
    assert list(mine["share_sold"]) == list(theirs["share_sold"])
    newest = expected.sort_values("date_local").groupby("show_id")["tickets_total"].last()
    assert dict(plotted.groupby("show_id")["capacity"].first()) == dict(newest)


@pytest.mark.parametrize("days", [1, 2])
def test_a_sell_through_of_one_snapshot_day_says_where_the_curve_is(monkeypatch, days):
    """Dots, not curves, on a young mart: the chart says why, and where the pace from the first
    sale is (v_sales_pace)."""
    shows = pd.DataFrame(
        [
            {"show_id": show, "event_name": "Шоу", "city_name": "Омск", "starts_local": "20.12 19:00",
             "days_before_show": 10 - day, "share_sold": 0.1 * (day + 1), "capacity": 100}
            for show in (1, 2) for day in range(days)
        ]
    )  # fmt: skip
    period = charts.Period.ending(date(2026, 12, 7))

    texts = drawn_texts(monkeypatch, lambda: charts.draw(charts.VIEW_CHARTS["v_sell_through"], shows, period))

    assert (show_charts.SNAPSHOTS_NOTE in texts) == (days == 1)


@pytest.mark.parametrize("column", list(chart_data.SOURCES))
@pytest.mark.parametrize("top", [chart_data.TOP, 2])  # the small mart has fewer than ten of each
def test_the_source_chart_plots_the_top_ones_and_the_rest_as_other(client, period, column, top):
    plotted = chart_data.revenue_by_sources(client, DATABASE, period.first, period.last, top)[column]
    if top == chart_data.TOP:
        assert plotted.equals(sales_charts.sales_by_source_data(client, DATABASE, period)[column])

    view = in_period(rows(client, "v_sales_by_source"), period)
    revenue = view.groupby(column)["revenue_paid"].apply(lambda v: sum(v, Decimal(0)))
    ranked = sorted(revenue.items(), key=lambda item: (-item[1], item[0]))
    first = [(label or chart_data.NONE, amount) for label, amount in ranked[:top]]
    rest = [amount for _, amount in ranked[top:]]
    expected = first + ([(f"{chart_data.OTHER} ({len(rest)})", sum(rest, Decimal(0)))] if rest else [])
    assert list(zip(plotted["label"], plotted["revenue_paid"], strict=True)) == expected
    assert sum(plotted["revenue_paid"], Decimal(0)) == sum(view["revenue_paid"], Decimal(0))


def test_a_source_named_like_the_rest_keeps_its_own_bar(client):
    """A UTM source really named "other" (or "all other") was summed with the remainder."""
    day = date(2026, 12, 1)
    client.command("CREATE DATABASE IF NOT EXISTS chart_names")
    client.command(
        "CREATE OR REPLACE TABLE chart_names.v_sales_by_source (date_local Date, utm_source String, "
        "promo_code String, payment_type String, revenue_paid Decimal(12, 2), tickets_paid UInt64) "
        "ENGINE = Memory"
    )
    sources = [("all other", 500), ("other", 400), ("vk", 300), ("ya", 20), ("tg", 10)]
    client.insert(
        "chart_names.v_sales_by_source",
        [[day, name, "", "card", Decimal(amount), 1] for name, amount in sources],
        column_names=[
            "date_local",
            "utm_source",
            "promo_code",
            "payment_type",
            "revenue_paid",
            "tickets_paid",
        ],
    )
    try:
        plotted = chart_data.revenue_by_sources(client, "chart_names", day, day, top=3)["utm_source"]
    finally:
        client.command("DROP DATABASE chart_names")
    assert list(zip(plotted["label"], plotted["revenue_paid"], strict=True)) == [
        ("all other", Decimal(500)),
        ("other", Decimal(400)),
        ("vk", Decimal(300)),
        ("all other (2)", Decimal(30)),
    ]


def test_the_attendance_chart_plots_the_live_shows_of_the_periods_local_days(client, period):
    """Shows that started on the period's local days (each on its city's clock), before now,
    with paid tickets; deleted shows (listed by the view for their buyers) are not drawn as 0 %."""
    plotted = show_charts.attendance_data(client, DATABASE, period)

    view = rows(client, "v_show_attendance")
    zones = client.query_df(f"SELECT event_id, city_timezone FROM {DATABASE}.dim_events FINAL")
    zone = dict(zip(zones["event_id"], zones["city_timezone"].replace("", "Europe/Moscow"), strict=True))
    local_day = [
        start.tz_localize("UTC").tz_convert(zone[event]).date()
        for start, event in zip(view["show_starts_at"], view["event_id"], strict=True)
    ]
    view = view.assign(local_day=local_day)
    recent = view[
        (view["local_day"] >= period.first)
        & (view["local_day"] <= period.last)
        & (view["show_starts_at"] <= utc_now())
        & (view["tickets_paid"] > 0)
        & (view["is_deleted"] == 0)
    ].sort_values(["show_starts_at", "show_id"])[-show_charts.ATTENDANCE_SHOWS :]
    assert len(recent) > 0
    assert list(plotted["show_id"]) == list(recent["show_id"])
    assert list(plotted["share_scanned"]) == list(recent["share_scanned"])
    assert list(plotted["tickets_scanned"]) == list(recent["tickets_scanned"])
    deleted = view[(view["is_deleted"] == 1) & (view["local_day"] >= period.first)]
    assert len(deleted) > 0, "the sandbox deletes shows with paid tickets: the filter is tested"


def test_the_attendance_window_starts_at_the_periods_first_local_midnight(client, period):
    """A show at 23:59 on the day before the period, on its city's clock, is not drawn; one at
    00:00 on its first day is (the 720 hours before now drew the first too)."""
    show_id, zone = client.query(
        f"SELECT a.show_id, if(e.city_timezone = '', 'Europe/Moscow', e.city_timezone) "
        f"FROM {DATABASE}.v_show_attendance AS a INNER JOIN {DATABASE}.dim_events AS e FINAL "
        f"ON a.event_id = e.event_id WHERE a.is_deleted = 0 AND a.tickets_paid > 0 "
        f"AND a.show_starts_at < now() ORDER BY a.show_id LIMIT 1"
    ).result_rows[0]

    def drawn_when_starting(day: date, clock: time) -> bool:
        start = int(datetime.combine(day, clock, ZoneInfo(zone)).timestamp())
        client.command(
            f"ALTER TABLE {DATABASE}.dim_shows UPDATE starts_at = toDateTime({start}, 'UTC') "
            f"WHERE show_id = {show_id} SETTINGS mutations_sync = 2"
        )
        return show_id in set(
            chart_data.recent_attendance(client, DATABASE, period.first, period.last)["show_id"]
        )

    assert not drawn_when_starting(period.first - timedelta(days=1), time(23, 59))
    assert drawn_when_starting(period.first, time(0, 0))


def test_a_bars_rubles_round_half_a_ruble_up() -> None:
    assert [labels.whole_rubles(Decimal(v)) for v in ("264246.50", "0.50", "1234.49", "-2.50")] == [
        "264,247 ₽",
        "1 ₽",
        "1,234 ₽",
        "-3 ₽",
    ]


def test_the_dashboard_chart_plots_the_top_events(client, period):
    plotted = dashboard_charts.dashboard_data(client, DATABASE, period)

    view = rows(client, "v_sales_dashboard").sort_values(
        ["revenue_total", "event_id"], ascending=[False, True]
    )
    top = view[: dashboard_charts.TOP_EVENTS]
    assert list(plotted["event_id"]) == list(top["event_id"])
    assert list(plotted["revenue_total"]) == list(top["revenue_total"])
    assert list(plotted["tickets_left"]) == list(top["tickets_left"])


def drawn_figures(monkeypatch, draw) -> list:
    """The figures `draw` renders, as they were drawn."""
    figures = []
    render = layout.svg

    def keep(figure):
        figures.append(figure)
        return render(figure)

    monkeypatch.setattr(layout, "svg", keep)
    draw()
    return figures


def drawn_texts(monkeypatch, draw) -> list[str]:
    """Every title, axis label, tick label, legend entry and text of the figures `draw` renders."""
    figures = drawn_figures(monkeypatch, draw)
    texts = []
    for figure in figures:
        texts += [t.get_text() for t in figure.texts]
        if figure._suptitle:
            texts.append(figure._suptitle.get_text())
        for axes in figure.axes:
            texts += [axes.get_title(), axes.get_xlabel(), axes.get_ylabel()]
            texts += [t.get_text() for t in axes.get_yticklabels() + axes.get_xticklabels() + axes.texts]
            if axes.get_legend():
                texts += [t.get_text() for t in axes.get_legend().get_texts()]
    return texts


def test_every_chart_names_its_period_and_units(monkeypatch, client, period):
    words = {
        view: " | ".join(drawn_texts(monkeypatch, lambda v=view: charts.view_charts(client, DATABASE, v)))
        for view in charts.VIEW_CHARTS
    }

    assert f"Revenue per day (refunds below the axis), {period.words()}" in words["v_sales_daily"]
    assert "₽ per day" in words["v_sales_daily"] and "tickets per day" in words["v_sales_daily"]
    assert f"{period.last:%d.%m}" in words["v_sales_daily"]  # local days on the x axis
    assert (
        "% of seats taken (paid or reserved)" in words["v_sell_through"]
        and "days before the show" in words["v_sell_through"]
    )
    assert " seats)" in words["v_sell_through"]  # the capacity in the legend
    assert f"Revenue by source, {period.words()}" in words["v_sales_by_source"]
    assert "revenue, ₽" in words["v_sales_by_source"] and "by promo code" in words["v_sales_by_source"]
    assert "% of paid tickets scanned" in words["v_show_attendance"]
    assert "revenue, ₽" in words["v_sales_dashboard"] and "left" in words["v_sales_dashboard"]
    top = dashboard_charts.dashboard_data(client, DATABASE, period)["event_name"].iloc[0]
    assert labels.short(top) in words["v_sales_dashboard"]  # Russian names, as they are


def drawn_axes(monkeypatch, client, view: str) -> list:
    """The Axes of `view`'s figures, as drawn."""
    figures = drawn_figures(monkeypatch, lambda: charts.view_charts(client, DATABASE, view))
    return [axes for figure in figures for axes in figure.axes]


def bar_figures(axes) -> list[tuple[float, float, str]]:
    """(x, y, text) of the texts that start at a bar's end, in data coordinates (the category
    labels end at the axis: right-aligned)."""
    return [(*t.get_position(), t.get_text()) for t in axes.texts if t.get_horizontalalignment() == "left"]


def test_each_bar_carries_its_own_figure(monkeypatch, client, period):
    """Every revenue bar of the source chart ends in its revenue to the ruble (from the exact
    amount), and every attendance bar in "scanned of paid": at its own bar, in the view's order."""
    breakdowns = sales_charts.sales_by_source_data(client, DATABASE, period)
    panels = drawn_axes(monkeypatch, client, "v_sales_by_source")
    assert len(panels) == len(breakdowns)
    for axes, frame in zip(panels, breakdowns.values(), strict=True):
        expected = [
            (float(revenue), y, f"{revenue.quantize(Decimal(1), ROUND_HALF_UP):,} ₽")
            for y, revenue in enumerate(frame["revenue_paid"])
        ]
        assert bar_figures(axes) == expected

    shows = show_charts.attendance_data(client, DATABASE, period)
    (axes,) = drawn_axes(monkeypatch, client, "v_show_attendance")
    expected = [
        (100 * float(s.share_scanned), y, f"{s.tickets_scanned:,} of {s.tickets_paid:,}")
        for y, s in enumerate(shows.itertuples())
    ]
    assert bar_figures(axes) == expected


def test_dollar_signs_in_names_are_drawn_as_they_are(monkeypatch, mart):
    """Names come from organisers (and labels from buyers' links): "$...$" in them is text, not
    matplotlib's mathtext, which drew it in math italics, or failed the whole step when malformed."""
    with open_client(mart.url, DATABASE) as client:
        top = chart_data.top_events(client, DATABASE, dashboard_charts.TOP_EVENTS).iloc[0]
    name = "Вечер $\\nosuch$"  # mathtext with an unknown command
    sql = f"ALTER TABLE {{db}}.dim_events UPDATE event_name = {name!r} WHERE event_id = {top.event_id}"
    mart.sql(sql)  # repr: the backslash escaped, as a ClickHouse string literal reads it

    with open_client(mart.url, DATABASE) as client:
        texts = drawn_texts(monkeypatch, lambda: charts.view_charts(client, DATABASE, "v_sales_dashboard"))

    assert f"{name}, {top.city_name}" in texts


def test_the_charts_are_drawn_while_the_step_goes_on(monkeypatch, client):
    """A view step reads its charts' figures in its own thread, and another thread draws them while
    the step runs its other queries (chDB releases the GIL: the two overlap)."""
    drawn_on = []
    render = layout.svg

    def draw(figure):
        drawn_on.append(threading.current_thread())
        return render(figure)

    monkeypatch.setattr(layout, "svg", draw)
    drawing = charts.start_drawings(client, DATABASE, ["v_sales_daily"])["v_sales_daily"]

    assert len(drawing.result()) == 1
    assert len(drawn_on) == 1 and drawn_on[0] is not threading.current_thread()


def test_an_empty_mart_says_there_is_nothing_to_show(monkeypatch, tmp_path):
    with open_migrated(f"chdb://{tmp_path}/empty", DATABASE) as empty:
        for view in charts.VIEW_CHARTS:
            texts = drawn_texts(monkeypatch, lambda v=view: charts.view_charts(empty, DATABASE, v))
            assert any(text.startswith("Nothing to show: ") for text in texts), view


def svg_texts(image: bytes) -> str:
    """The texts an SVG image shows, as the browser draws them (its <text> elements)."""
    root = ElementTree.fromstring(image)
    assert root.tag == f"{{{SVG}}}svg"
    assert root.get("width", "").endswith("px") and root.get("height", "").endswith("px")
    return " | ".join("".join(text.itertext()) for text in root.iter(f"{{{SVG}}}text"))


def test_every_views_materialization_carries_its_charts(mart):
    with open_client(mart.url, DATABASE) as client:
        top = chart_data.top_events(client, DATABASE, dashboard_charts.TOP_EVENTS).iloc[0]
    shown = {  # a text each image must show, as text (Russian names too)
        "v_sales_daily": "Tickets per day (refunds below the axis)",
        "v_sell_through": "% of seats taken (paid or reserved)",
        "v_sales_by_source": f"by promo code (top {chart_data.TOP})",
        "v_show_attendance": "% of paid tickets scanned (scanned of paid)",
        "v_sales_dashboard": f"{labels.short(top.event_name)}, {top.city_name}",
    }

    result = mart.run(dg.AssetSelection.groups(VIEWS))

    assert result.success
    materialized = {
        event.asset_key.to_user_string(): event.materialization.metadata
        for event in result.get_asset_materialization_events()
    }
    assert set(shown) == set(charts.VIEW_CHARTS)
    for view, text in shown.items():
        images = IMAGE.findall(materialized[view]["charts"].value)
        assert len(images) == 1, view
        assert text in svg_texts(base64.b64decode(images[0])), view
    assert "charts" not in materialized["v_sales"]


def test_the_report_holds_the_charts_and_the_dashboards_figures(mart, tmp_path):
    path = report.write_report(mart.url, DATABASE, tmp_path / "report.html")

    page = path.read_text(encoding="utf-8")
    tickets, revenue = (
        int(mart.value("SELECT sum(tickets_sold_total) FROM {db}.v_sales_dashboard")),
        Decimal(mart.value("SELECT sum(revenue_total) FROM {db}.v_sales_dashboard")),
    )
    events = int(mart.value("SELECT count() FROM {db}.v_sales_dashboard"))
    every = int(mart.value("SELECT sum(quantity) FROM {db}.fact_sales FINAL WHERE status = 'paid'"))
    summary = f"{events} events, {tickets:,} tickets sold ({every:,} including deleted events), revenue"
    assert f"{summary} {revenue:,.2f} ₽" in page
    assert page.count('src="data:image/svg+xml;base64,') == len(charts.VIEW_CHARTS)
    assert page.count("<tr>") == events + 1  # every event, under one header row
    # An event without an inventory snapshot (no live show) shows its seats as unknown, as `make
    # demo` prints them: the view's 0 seats, 0 left would read as sold out.
    unknown = mart.value(
        "SELECT min(event_id) FROM {db}.v_sales_dashboard WHERE inventory_updated_at IS NULL"
    )
    known = mart.value(
        "SELECT min(event_id) FROM {db}.v_sales_dashboard WHERE inventory_updated_at IS NOT NULL"
    )
    assert unknown and known, "the clean mart has events with and without a snapshot"
    assert report_row(page, unknown)[-2:] == ["—", "—"]
    seats, left = (
        int(mart.value(f"SELECT {column} FROM {{db}}.v_sales_dashboard WHERE event_id = {known}"))
        for column in ("tickets_total", "tickets_left")
    )
    assert report_row(page, known)[-2:] == [f"{seats:,}", f"{left:,}"]
    assert not re.search(r"(src|href)=\"https?:", page), "the report fetches nothing"


def report_row(page: str, event_id: int) -> list[str]:
    """The cells of the report's dashboard row of `event_id`, as the browser shows them (trimmed)."""
    rows = [
        re.findall(r"<td[^>]*>\s*(.*?)\s*</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", page, re.S)
    ]
    [row] = [cells for cells in rows if cells and cells[0] == str(event_id)]
    return row


def test_loading_the_definitions_does_not_import_matplotlib():
    code = "import sys, qtickets_assets.definitions, qtickets_assets.demo; print('matplotlib' in sys.modules)"
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        == "False\n"
    )


def test_matplotlib_loads_without_its_property_docs_and_keeps_its_kwdoc():
    """The import skips writing every Artist class's set() docstring (~70 ms of a run's charts),
    and puts matplotlib's own kwdoc back afterwards."""
    code = (
        "from qtickets_assets.lib.charts import loading; loading.load_matplotlib().result()\n"
        "import matplotlib.artist, matplotlib.lines\n"
        "print(matplotlib.artist.kwdoc is loading.no_property_docs)\n"
        "print(loading.no_property_docs(None) in matplotlib.lines.Line2D.set.__doc__)\n"
        "print('linewidth' in matplotlib.artist.kwdoc(matplotlib.lines.Line2D))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True", "True"]


def test_axis_labels_in_rubles_are_the_ticks_own_figures() -> None:
    """A gridline at 1,500 ₽ read "2k ₽", one at 4,500 ₽ "4k ₽", and a zero axis "-0 ₽"."""
    figures = [1500, 4500, 2000, 250_000, 1_250_000, 2_000_000, 900, 0.25, -0.0, -1500]
    assert [labels.rubles(v) for v in figures] == [
        "1.5k ₽",
        "4.5k ₽",
        "2k ₽",
        "250k ₽",
        "1.25M ₽",
        "2M ₽",
        "900 ₽",
        "0.25 ₽",
        "0 ₽",
        "-1.5k ₽",
    ]


def quiet_days(period: charts.Period, **columns: int) -> pd.DataFrame:
    days = [period.first + timedelta(days=i) for i in range((period.last - period.first).days + 1)]
    zero = dict.fromkeys(("tickets_paid", "revenue_paid", "tickets_refunded", "amount_refunded"), 0)
    frame = pd.DataFrame([{"date_local": day, **zero} for day in days])
    for column, value in columns.items():
        frame.loc[len(frame) - 1, column] = value
    frame["revenue_cumulative"] = frame["revenue_paid"].cumsum()
    return frame


def test_a_period_of_refunds_only_is_drawn(monkeypatch):
    """Refunds and no paid ticket in the 30 days (a quiet organiser): aligning the total's zero
    divided by zero, and the views step failed for every view, not only this chart."""
    period = charts.Period.ending(date(2026, 12, 5))
    daily = quiet_days(period, tickets_refunded=3, amount_refunded=4500)
    texts = drawn_texts(monkeypatch, lambda: charts.draw(charts.VIEW_CHARTS["v_sales_daily"], daily, period))
    assert "paid back, ₽" in texts and "-4k ₽" in texts
    # no half ticket, and the zero total on the right on the rubles' scale (was ±0.075 ₽)
    assert "−3.5" not in texts and not any(text.lstrip("-").startswith("0.0") for text in texts)


def test_free_tickets_are_drawn_not_called_unsold(monkeypatch):
    """Free registrations (paid tickets at 0 ₽) read "no event has a paid ticket yet"."""
    period = charts.Period.ending(date(2026, 12, 5))
    events = pd.DataFrame(
        [
            {
                "event_id": 1,
                "event_name": "Лекция",
                "city_name": "Томск",
                "revenue_total": Decimal(0),
                "tickets_sold_total": 120,
                "tickets_total": 200,
                "tickets_left": 80,
            }
        ]
    )
    draw = charts.VIEW_CHARTS["v_sales_dashboard"]
    texts = drawn_texts(monkeypatch, lambda: charts.draw(draw, events, period))
    assert "Лекция, Томск" in texts and not any(t.startswith("Nothing to show") for t in texts)


def test_the_report_and_the_demos_dashboard_of_an_account_without_events(tmp_path):
    """A new account's first run stores no event: the report and the demo's dashboard failed with
    KeyError: 'tickets_sold_total' (an empty result came back without columns)."""
    url = f"chdb://{tmp_path}/empty"
    with open_migrated(url, DATABASE):
        pass
    page = report.write_report(url, DATABASE, tmp_path / "report.html").read_text(encoding="utf-8")
    assert (
        '<p class="totals">0 events, 0 tickets sold (0 including deleted events), revenue 0.00 ₽</p>' in page
    )
    printed = io.StringIO()
    demo.print_dashboard(url, DATABASE, printed)
    assert "0 events, 0 tickets sold (0 including deleted events), revenue 0.00" in printed.getvalue()


def test_a_chart_that_cannot_be_drawn_says_so_instead_of_failing_the_views(monkeypatch, client, caplog):
    """One chart's bug (as the refunds-only period's division by zero was) failed the step that
    refreshes every view: now the view keeps its figures and its charts card says what failed."""

    def broken(data, period):
        raise ValueError("Axis limits cannot be NaN or Inf")

    daily = charts.VIEW_CHARTS["v_sales_daily"]
    monkeypatch.setitem(charts.VIEW_CHARTS, "v_sales_daily", charts.ViewCharts(daily.read, broken))
    texts = drawn_texts(monkeypatch, lambda: charts.view_charts(client, DATABASE, "v_sales_daily"))
    assert "Nothing to show: drawing failed (ValueError: Axis limits cannot be NaN or Inf)" in texts
    assert "the charts of v_sales_daily could not be drawn" in caplog.text


def test_the_attendance_chart_names_each_shows_city(monkeypatch, client, period):
    """Shows of a touring event read "name, dd.mm HH:MM" alike in three cities."""
    shows = show_charts.attendance_data(client, DATABASE, period)
    assert not shows.empty
    texts = drawn_texts(monkeypatch, lambda: charts.view_charts(client, DATABASE, "v_show_attendance"))
    for show in shows.itertuples():
        assert f"{labels.short(show.event_name)}, {show.city_name}, {show.starts_local}" in texts


def test_the_report_of_a_mart_that_is_not_there_is_one_line_and_creates_nothing(
    monkeypatch, tmp_path, capsys, mart
):
    """A mistyped path printed a 53-line traceback and left a new empty mart behind; a mistyped
    database was created in the real mart."""
    monkeypatch.setenv("CLICKHOUSE_URL", f"chdb://{tmp_path}/missing")
    assert report.main(["--out", str(tmp_path / "r.html")]) == 1
    assert capsys.readouterr().err == (
        f"error: there is no mart at {tmp_path}/missing (CLICKHOUSE_URL): check the path, or run a "
        "full sync first (`make demo`)\n"
    )
    assert not (tmp_path / "missing").exists() and not (tmp_path / "r.html").exists()

    monkeypatch.setenv("CLICKHOUSE_URL", mart.url)
    monkeypatch.setenv("CLICKHOUSE_DATABASE", "qticket")
    assert report.main(["--out", str(tmp_path / "r.html")]) == 1
    assert "CLICKHOUSE_DATABASE 'qticket' does not exist" in capsys.readouterr().err
    with open_client(mart.url, DATABASE) as client:
        assert "qticket" not in {row[0] for row in client.query("SHOW DATABASES").result_rows}


def test_bars_of_look_alike_names_never_read_alike(monkeypatch):
    """Two events of one name in one city were drawn under identical labels, and promo codes that
    share a long start were cut to the same 32 characters."""
    codes = ["НОВОГОДНЯЯ-СКИДКА-ДЛЯ-ПОДПИСЧИКОВ-01", "НОВОГОДНЯЯ-СКИДКА-ДЛЯ-ПОДПИСЧИКОВ-02"]
    assert labels.short(codes[0]) != labels.short(codes[1])
    assert all(len(labels.short(code)) == labels.LABEL_WIDTH for code in codes)

    period = charts.Period.ending(date(2026, 12, 5))
    twins = [
        {"event_id": event_id, "event_name": "Выставка «Динозавры»", "city_name": "Омск",
         "revenue_total": Decimal(revenue), "tickets_sold_total": 10, "tickets_total": 50, "tickets_left": 40}
        for event_id, revenue in ((901, 5000), (902, 4000))
    ]  # fmt: skip
    draw = charts.VIEW_CHARTS["v_sales_dashboard"]
    texts = drawn_texts(monkeypatch, lambda: charts.draw(draw, pd.DataFrame(twins), period))
    assert {"Выставка «Динозавры», Омск #901", "Выставка «Динозавры», Омск #902"} <= set(texts)


def test_every_axis_label_fits_under_its_axes(monkeypatch, client):
    """The seats panel's label ran past the figure's edge ("… (newest inventory snapsh")."""
    for view in charts.VIEW_CHARTS:
        for figure in drawn_figures(monkeypatch, lambda v=view: charts.view_charts(client, DATABASE, v)):
            from matplotlib.backends.backend_agg import FigureCanvasAgg  # measures as drawn

            renderer = FigureCanvasAgg(figure).get_renderer()
            edge = figure.bbox.x1
            for axes in figure.axes:
                label = axes.xaxis.get_label()
                if label.get_text():
                    assert label.get_window_extent(renderer).x1 <= edge, (view, label.get_text())
