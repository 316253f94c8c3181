"""Opt-in (`make superset-test`): Superset as `make superset` starts it, on the mart of `make demo`,
opened in headless Chromium; every chart renders without an error and the headline figures on the
page equal the mart's, queried directly (through the project's lock-respecting client).

Needs .venv-superset (`make superset` installs it), /usr/bin/chromium and npm's playwright-core in
dashboards/superset/browser (`make superset-test` installs it). Set QTICKETS_SUPERSET_TEST=1.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from qtickets_assets import settings
from qtickets_assets.lib.clickhouse.connection import open_client
from qtickets_assets_tests.superset.service import free_port, wait_until_healthy

ROOT = Path(__file__).resolve().parents[2]
SUPERSET_DIR = ROOT / "dashboards" / "superset"
CHARTS = 16

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get("QTICKETS_SUPERSET_TEST") != "1", reason="opt-in: make superset-test"),
]


@pytest.fixture(scope="module")
def superset(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    home = tmp_path_factory.mktemp("superset")
    password = secrets.token_urlsafe(16)
    port = free_port()
    env = dict(os.environ, QTICKETS_SUPERSET_HOME=str(home), SUPERSET_PORT=str(port),
               SUPERSET_ADMIN_PASSWORD=password)  # fmt: skip
    python = ROOT / ".venv" / "bin" / "python"
    process = subprocess.Popen(
        [str(python), str(SUPERSET_DIR / "launch.py")], env=env, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process)
        yield url, password
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)


def page_charts(url: str, password: str, out: Path) -> list[dict[str, object]]:
    env = dict(os.environ, SUPERSET_URL=url, SUPERSET_ADMIN_PASSWORD=password, OUT_JSON=str(out),
               EXPECTED_CHARTS=str(CHARTS), SCREENSHOT=os.environ.get("SUPERSET_SCREENSHOT", ""))  # fmt: skip
    subprocess.run(["node", "open_dashboard.mjs"], cwd=SUPERSET_DIR / "browser", env=env, check=True)
    return list(json.loads(out.read_text(encoding="utf-8")))


def mart_headline() -> dict[str, str]:
    """The headline figures from the mart, formatted as the charts format them (",d", ",.2f")."""
    url = os.environ.get("CLICKHOUSE_URL") or settings.default_clickhouse_url()
    database = os.environ.get("CLICKHOUSE_DATABASE") or settings.DEFAULT_DATABASE
    with open_client(url, database) as client:
        sold = client.query(
            "SELECT sum(tickets_sold_today), sum(revenue_today), sum(tickets_sold_14d), sum(revenue_14d) "
            "FROM v_sales_dashboard"
        ).first_row
        refunds = client.query(
            "SELECT refunded_date_local, city_timezone, quantity, refunded_amount FROM v_sales "
            "WHERE refunded_at IS NOT NULL"
        ).result_rows
    # Refunds by the event's own calendar day, computed here in Python, not by the chart's SQL.
    today = {zone: datetime.now(ZoneInfo(zone or "Europe/Moscow")).date() for _, zone, _, _ in refunds}
    refunded_today = [(q, a) for day, zone, q, a in refunds if day == today[zone]]
    refunded_14d = [(q, a) for day, zone, q, a in refunds if (today[zone] - day).days <= 13]
    return {
        "Tickets sold today": f"{sold[0]:,d}",
        "Revenue today, RUB": f"{Decimal(sold[1]):,.2f}",
        "Tickets sold, 14 days": f"{sold[2]:,d}",
        "Revenue, 14 days, RUB": f"{Decimal(sold[3]):,.2f}",
        "Tickets refunded today": f"{sum(q for q, _ in refunded_today):,d}",
        "Refunded today, RUB": f"{sum((a for _, a in refunded_today), Decimal(0)):,.2f}",
        "Tickets refunded, 14 days": f"{sum(q for q, _ in refunded_14d):,d}",
        "Refunded, 14 days, RUB": f"{sum((a for _, a in refunded_14d), Decimal(0)):,.2f}",
    }


def test_dashboard_renders_every_chart_with_the_marts_headline(superset, tmp_path: Path) -> None:
    url, password = superset
    charts = page_charts(url, password, tmp_path / "charts.json")
    assert len(charts) == CHARTS
    assert [c["title"] for c in charts if c["error"] or not c["rendered"]] == []
    shown = {str(c["title"]): c["big_number"] for c in charts if c["viz_type"] == "big_number_total"}
    expected = mart_headline()
    assert shown == expected
    # The demo's mart has sales in the last 14 days: an all-zero headline would prove little.
    assert expected["Tickets sold, 14 days"] != "0"
