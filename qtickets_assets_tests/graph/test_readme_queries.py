"""Every SQL example in the README's "Questions the mart answers" runs as written on a full mart and
answers something: an analyst copying one gets rows, not an error."""

import re

import pytest

from qtickets_assets.lib.clickhouse.connection import open_client
from qtickets_assets.settings import REPO_ROOT
from qtickets_assets_tests.graph.mart import DATABASE

SECTION = REPO_ROOT.joinpath("README.md").read_text().split("### Questions the mart answers")[1]
QUERIES = re.findall(r"```sql\n(.*?)```", SECTION.split("\n## ")[0], flags=re.DOTALL)
VIEWS = [
    "v_sales_daily", "v_sell_through", "v_sales", "v_sales_by_source", "v_show_attendance", "v_sales_pace",
]  # fmt: skip


def test_the_section_has_one_query_per_analytics_view() -> None:
    assert [re.search(r"FROM qtickets\.(\w+)", query).group(1) for query in QUERIES] == VIEWS  # type: ignore[union-attr]


@pytest.mark.parametrize("query", QUERIES, ids=VIEWS)
def test_the_query_answers_on_a_full_mart(mart, query: str) -> None:
    with open_client(mart.url, DATABASE) as client:
        result = client.query(query)
    assert result.result_rows, "no rows"
    assert all(value is not None for value in result.result_rows[0][:2]), result.result_rows[0]


def test_the_daily_query_counts_fourteen_local_days_whatever_the_servers_date(mart) -> None:
    """Query 1's window ends on each event's own today: 14 local days, today included (with
    `today() - 14` it was 15 days, and the server's UTC date at that)."""
    window = QUERIES[0].split("WHERE ", 1)[1].split("\nGROUP BY", 1)[0]
    with open_client(mart.url, DATABASE) as client:
        spans = client.query(
            "SELECT d.event_id, min(d.date_local), toDate(toString(now(), any(e.city_timezone))) "
            "FROM qtickets.v_sales_daily AS d INNER JOIN "
            "(SELECT event_id, city_timezone FROM qtickets.dim_events FINAL) AS e ON d.event_id = e.event_id "
            f"WHERE {window} GROUP BY d.event_id"
        ).result_rows
    assert spans
    assert all((today - first).days <= 13 for _, first, today in spans)
    assert any((today - first).days == 13 for _, first, today in spans)
