"""Fixtures for the storage layer: a fresh embedded ClickHouse directory per test, and frames."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from clickhouse_connect.driver.client import Client

from qtickets_assets.lib.clickhouse.resource import open_migrated

DATABASE = "qtickets"
T0 = datetime(2025, 11, 20, 11, 5, 11, tzinfo=UTC)


@pytest.fixture
def chdb_url(tmp_path: Path) -> str:
    # chDB opens one directory per process at a time; every test closes its clients on exit.
    return f"chdb://{tmp_path}/clickhouse"


@pytest.fixture
def client(chdb_url: str) -> Iterator[Client]:
    with open_migrated(chdb_url, DATABASE) as opened:
        yield opened


def sales_frame(rows: list[dict]) -> pd.DataFrame:
    """fact_sales rows with sensible defaults; each dict overrides what the test cares about."""
    defaults = {
        "order_id": 10,
        "event_id": 1,
        "show_id": 100,
        "created_at": T0,
        "paid_at": T0,
        "status": "paid",
        "quantity": 1,
        "price": Decimal("100.00"),
        "currency": "RUB",
        "utm_source": "",
        "utm_medium": "",
        "utm_campaign": "",
        "updated_at": T0,
        "original_price": Decimal("100.00"),
        "discount_amount": Decimal("0.00"),
        "service_fee": Decimal("0.00"),
        "discount_id": None,
        "promo_code_id": None,
        "ticket_name": "Партер: Ряд 1, Место 1",
        "payment_type": "card",
        "site_host": "",
        "utm_content": "",
        "utm_term": "",
        "refunded_at": None,
        "refunded_amount": Decimal("0.00"),
        "cancelled_at": None,
        "checked_at": None,
        "created_date_local": T0.date(),
        "paid_date_local": T0.date(),
        "refunded_date_local": None,
        "tariff_name": "full",
        "zone_name": "Партер",
        "local_zone": "Europe/Moscow",  # T0's days are Moscow's
    }
    return pd.DataFrame([{**defaults, **row} for row in rows])


def events_frame(rows: list[dict]) -> pd.DataFrame:
    defaults = {
        "event_name": "Концерт",
        "city_id": 24,
        "city_name": "Томск",
        "city_timezone": "Asia/Tomsk",
        "venue_name": "Зал",
        "venue_address": "пр. Ленина, 1",
        "starts_at": T0,
        "ends_at": T0,
        "is_active": 1,
        "is_deleted": 0,
        "updated_at": T0,
    }
    return pd.DataFrame([{**defaults, **row} for row in rows])


def inventory_frame(rows: list[dict]) -> pd.DataFrame:
    defaults = {"show_starts_at": T0, "tickets_total": 100, "tickets_left": 40, "snapshot_at": T0}
    frame = pd.DataFrame([{**defaults, **row} for row in rows])
    frame["tickets_sold"] = frame["tickets_total"] - frame["tickets_left"]
    return frame
