"""A real `dg launch` with a distinctive token leaves it nowhere, and the mart holds no personal
data although the API's orders are full of it (names, e-mails, phones, card masks)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
import pytest

from qtickets_assets.lib.clickhouse.connection import open_client
from qtickets_assets.sandbox.testing import run_sandbox
from qtickets_assets_tests.graph.mart import DATABASE
from qtickets_assets_tests.graph.test_full_sync import assert_mart_equals_truth
from qtickets_assets_tests.reliability.helpers import dg_env, dg_launch

pytestmark = pytest.mark.slow

DENIED_COLUMN_WORDS = (
    "name",
    "email",
    "mail",
    "phone",
    "card",
    "client",
    "surname",
    "passport",
    "inn",
    "address",
)
# Columns that hold the organiser's own public facts (and migration file names), not a person's:
# what events, cities, venues, tariffs (a ticket's seat or tariff label; its price category and
# hall zone) and discounts are called.
ALLOWED_COLUMNS = {
    "event_name", "city_name", "venue_name", "venue_address", "ticket_name", "tariff_name", "zone_name",
    "discount_name",
    "schema_migrations.name", "dim_discounts.name",
}  # fmt: skip
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
PHONE = re.compile(r"(?<!\w)\+?\d[\d\s()-]{9,}\d(?!\w)")
CARD = re.compile(r"\d{4,6}\*{2,}\d{2,4}")
# utm_content/utm_term carry ad and keyword ids (Yandex Direct's are 11 digits, like a phone): they
# are still checked against every phone the orders carry (the last assertion below).
DIGIT_IDS = ("utm_content", "utm_term")


def string_values(clickhouse_url: str) -> dict[str, set[str]]:
    """Every distinct value of every String column of every table the loader created."""
    values: dict[str, set[str]] = {}
    with open_client(clickhouse_url, DATABASE) as client:
        columns = client.query(
            "SELECT database, table, name FROM system.columns "
            "WHERE database NOT IN ('system', 'INFORMATION_SCHEMA', 'information_schema') "
            "AND type LIKE '%String%'"
        ).result_rows
        for database, table, column in columns:
            rows = client.query(
                f"SELECT DISTINCT toString(`{column}`) FROM `{database}`.`{table}`"
            ).result_rows
            values[f"{database}.{table}.{column}"] = {row[0] for row in rows}
    return values


def client_pii(base_url: str, token: str) -> set[str]:
    """The personal data the API hands out with its orders (every page, straight from the sandbox)."""
    found: set[str] = set()
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}) as http:
        page, pages = 1, 1
        while page <= pages:
            body = http.request("GET", f"{base_url}/orders", json={"page": page}).json()
            paging = body["paging"]
            pages = -(-paging["total"] // paging["perPage"])
            for order in body["data"]:
                found.add(order["client"]["email"])
                found.add(order["client"]["details"]["phone"])
                found.add(order["payment_card_number"])
                if isinstance(order["fields"], dict):  # the buyer's organisation, when one bought
                    found.update(str(value) for value in order["fields"].values())
                for basket in order["baskets"]:
                    found.update(str(basket[k]) for k in ("client_surname", "client_email", "client_phone"))
            page += 1
    return {value for value in found if value and value != "None"}


def test_full_sync_leaves_the_token_nowhere_and_stores_no_personal_data(tmp_path):
    token = f"tok-SENTINEL-{uuid.uuid4()}"
    ch_dir, home = tmp_path / "ch", tmp_path / "dagster_home"
    url = f"chdb://{ch_dir}"
    with run_sandbox(size="small", seed=4, token=token) as sandbox:
        done = dg_launch(dg_env(sandbox.base_url, token, url, home))
        assert done.returncode == 0 and "RUN_SUCCESS" in done.stderr + done.stdout, done.stderr[-3000:]
        assert_mart_equals_truth(url, sandbox.truth)
        pii = client_pii(sandbox.base_url, token)

    # The token: not in what the operator saw, not in Dagster's storage, not in ClickHouse.
    assert token not in done.stdout and token not in done.stderr
    needle = token.encode()
    stored = [p for root in (home, ch_dir) for p in root.rglob("*") if p.is_file()]
    assert any(p.suffix == ".db" for p in stored), "no Dagster sqlite storage to search"
    leaks = [str(p) for p in stored if needle in p.read_bytes()]
    assert not leaks, f"the token is stored in {leaks}"
    values = string_values(url)
    assert not [column for column, texts in values.items() if any(token in text for text in texts)]

    # Personal data: no column meant for it, and no value that is one.
    with open_client(url, DATABASE) as client:
        columns = client.query(
            "SELECT table, name FROM system.columns WHERE database = {db:String}", parameters={"db": DATABASE}
        ).result_rows
    suspicious = [
        f"{table}.{name}"
        for table, name in columns
        if not {name, f"{table}.{name}"} & ALLOWED_COLUMNS
        and any(word in name.lower() for word in DENIED_COLUMN_WORDS)
    ]
    assert not suspicious, f"columns that look like personal data: {suspicious}"
    assert len(pii) > 100, "the sandbox's orders carried no personal data to leak"
    for column, texts in values.items():
        for text in texts:
            assert not EMAIL.search(text), f"{column} holds an e-mail address"
            assert column.endswith(DIGIT_IDS) or not PHONE.search(text), f"{column} holds a phone number"
            assert not CARD.search(text), f"{column} holds a card mask"
            assert not any(value in text for value in pii), f"{column} holds a customer's personal data"
    leaked_pii = [str(p) for p in stored if p.stat().st_size < 50_000_000 and _holds_any(p, pii)]
    assert not leaked_pii, f"personal data written to {leaked_pii}"


def _holds_any(path: Path, values: set[str]) -> bool:
    data = path.read_bytes()
    return any(value.encode() in data for value in values if "@" in value or value.startswith("+"))
