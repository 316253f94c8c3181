"""What the UI shows of the views: their previews, formatted as people read them."""

import re

from qtickets_assets.defs.views.assets import PREVIEW_ROWS, preview_markdown
from qtickets_assets.defs.views.catalog import VIEW_LIST
from qtickets_assets.lib.clickhouse import mart as queries
from qtickets_assets.lib.clickhouse.connection import open_client
from qtickets_assets_tests.graph.mart import DATABASE, Mart


def test_daily_preview_shows_days_without_a_time(mart: Mart) -> None:
    view = next(v for v in VIEW_LIST if v.name == "v_sales_daily")
    with open_client(mart.url, DATABASE) as client:
        rows = queries.view_rows(client, DATABASE, view.name, view.order_by, PREVIEW_ROWS, view.computed)
        newest = client.query(f"SELECT max(date_local) FROM {DATABASE}.v_sales_daily").first_row[0]
    table = preview_markdown(view, rows).splitlines()
    days = [line.split("|")[1].strip() for line in table[2:]]
    assert len(days) == PREVIEW_ROWS and days[0] == newest.isoformat()
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", day) for day in days), days
