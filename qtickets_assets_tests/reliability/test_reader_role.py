"""The dashboards' user reads the mart and nothing else (extends clickhouse/test_rbac.py, which
checks SELECT on the mart and that writes and DDL are refused)."""

from __future__ import annotations

import os
import uuid

import pytest

from qtickets_assets.lib.clickhouse.connection import open_client
from qtickets_assets.lib.clickhouse.rbac import apply_roles
from qtickets_assets.lib.clickhouse.url import parse_clickhouse_url

SERVER_URL = os.environ.get("CLICKHOUSE_URL", "")


@pytest.mark.server
@pytest.mark.skipif(
    not SERVER_URL.startswith("http"), reason="needs CLICKHOUSE_URL=http(s)://admin:password@host:port"
)
def test_reader_cannot_select_outside_the_mart() -> None:
    target = parse_clickhouse_url(SERVER_URL)
    mart, other = f"rbac_mart_{uuid.uuid4().hex[:8]}", f"rbac_other_{uuid.uuid4().hex[:8]}"
    reader_password = uuid.uuid4().hex
    with open_client(SERVER_URL, other, create_database=True) as admin:
        admin.command(f"CREATE TABLE {other}.secret (a UInt8) ENGINE = MergeTree ORDER BY a")
        admin.command(f"INSERT INTO {other}.secret VALUES (1)")
    with open_client(SERVER_URL, mart, create_database=True) as admin:
        apply_roles(admin, mart, uuid.uuid4().hex, reader_password)
        admin.command(f"CREATE TABLE {mart}.t (a UInt8) ENGINE = MergeTree ORDER BY a")
    scheme = "https" if target.secure else "http"
    reader_url = f"{scheme}://datalens_reader:{reader_password}@{target.host}:{target.port}"
    try:
        with open_client(reader_url, mart) as reader:
            assert reader.command(f"SELECT count() FROM {mart}.t") == 0
            for statement in (f"SELECT * FROM {other}.secret", "SELECT * FROM system.users"):
                with pytest.raises(Exception, match=r"ACCESS_DENIED|Not enough privileges"):
                    reader.command(statement)
    finally:
        with open_client(SERVER_URL, mart, create_database=True) as admin:
            admin.command(f"DROP DATABASE IF EXISTS {mart}")
            admin.command(f"DROP DATABASE IF EXISTS {other}")
