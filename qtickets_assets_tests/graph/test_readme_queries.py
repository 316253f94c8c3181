"""Every SQL example in the README's "Questions the mart answers" runs as written on a full mart and
answers something: an analyst copying one gets rows, not an error."""

import re

import pytest

from qtickets_assets.lib.clickhouse.connection import open_client
from qtickets_assets.settings import REPO_ROOT
from qtickets_assets_tests.graph.mart import DATABASE

SECTION = REPO_ROOT.joinpath("README.md").read_text().split("### Questions the mart answers")[1]
QUERIES = re.findall(r"```sql\n(.*?)```", SECTION.split("\n## ")[0], flags=re.DOTALL)
VIEWS = ["v_sales_daily", "v_sell_through", "v_sales", "v_sales_by_source", "v_show_attendance"]


def test_the_section_has_one_query_per_analytics_view() -> None:
    assert [re.search(r"FROM qtickets\.(\w+)", query).group(1) for query in QUERIES] == VIEWS  # type: ignore[union-attr]


@pytest.mark.parametrize("query", QUERIES, ids=VIEWS)
def test_the_query_answers_on_a_full_mart(mart, query: str) -> None:
    with open_client(mart.url, DATABASE) as client:
        result = client.query(query)
    assert result.result_rows, "no rows"
    assert all(value is not None for value in result.result_rows[0][:2]), result.result_rows[0]
