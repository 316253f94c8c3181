"""The truth over the sandbox's control route, and the comparison `make bench` reports with
(`bench/exact.py`): the same one the tests assert with (`qtickets_assets/sandbox/compare.py`)."""

import json

from bench import exact
from qtickets_assets.sandbox.compare import compare_table
from qtickets_assets.sandbox.process import SandboxControl
from qtickets_assets_tests.graph.mart import Mart

AS_OF = 1_800_000_000  # a fixed "today": the dashboard's figures depend on it


def test_the_truth_route_serves_the_sandboxs_truth(clean_mart) -> None:
    sandbox, _ = clean_mart
    control = SandboxControl(sandbox.base_url)
    try:
        served = control.truth(as_of=AS_OF)
    finally:
        control.close()
    assert served == sandbox.truth(AS_OF)
    assert len(served["fact_sales"]) == len(sandbox.truth(AS_OF)["fact_sales"]) > 0


def test_bench_exact_finds_a_loaded_mart_exact_and_counts_each_difference(mart: Mart, capsys) -> None:
    url, api = mart.url, mart.sandbox.base_url
    assert [d.table for d in exact.mart_differences(url, api) if not d.exact] == []

    promo_code_id = mart.value("SELECT min(promo_code_id) FROM {db}.dim_promo_codes")
    mart.sql(
        "ALTER TABLE {db}.dim_promo_codes UPDATE max_uses_count = max_uses_count + 1 "
        f"WHERE promo_code_id = {promo_code_id}",
        # A discount no order uses (no sale joins it): only dim_discounts has one row too many.
        "INSERT INTO {db}.dim_discounts VALUES (999999999, 'Not in Qtickets', 'P', 1, NULL, NULL, 0)",
    )
    exact.main(["--clickhouse-url", url, "--sandbox-url", api])
    tables = {row["table"]: row for row in map(json.loads, capsys.readouterr().out.splitlines())}
    assert {table: row["count"] for table, row in tables.items() if row["count"]} == {
        "dim_promo_codes": 1,
        "dim_discounts": 1,
    }
    assert tables["dim_discounts"]["message"] == (
        "dim_discounts: 1 row not in the truth, e.g. key (999999999,) not in the truth"
    )
    assert tables["dim_promo_codes"]["message"].startswith(
        f"dim_promo_codes: 1 row differing, e.g. ({promo_code_id},)"
    )
    assert tables["fact_sales"]["message"] == "fact_sales: exact"


def test_a_duplicated_key_is_a_difference_not_a_crash() -> None:
    row = {"discount_id": 7, "name": "Скидка 10%", "type": "P", "is_active": 1}
    difference = compare_table("dim_discounts", [row, dict(row)], [row])
    assert (difference.count, difference.duplicated) == (1, 1)
    assert difference.message() == "dim_discounts: 1 row with a duplicated key, e.g. key (7,) duplicated"
