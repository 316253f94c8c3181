"""Server users: etl_writer writes the mart, datalens_reader can only read it."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest

from qtickets_assets.lib.clickhouse.connection import open_client
from qtickets_assets.lib.clickhouse.errors import ClickHouseConfigError
from qtickets_assets.lib.clickhouse.rbac import apply_roles, render_roles
from qtickets_assets.lib.clickhouse.url import parse_clickhouse_url

SERVER_URL = os.environ.get("CLICKHOUSE_URL", "")
server = pytest.mark.skipif(
    not SERVER_URL.startswith("http"), reason="needs CLICKHOUSE_URL=http(s)://admin:password@host:port"
)


def test_rbac_command_refuses_embedded_clickhouse() -> None:
    env = {**os.environ, "CLICKHOUSE_URL": "chdb:///tmp/mart"}
    done = subprocess.run(
        [sys.executable, "-m", "qtickets_assets.lib.clickhouse.rbac"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: RBAC needs a ClickHouse server: embedded chDB has no users")


def test_rbac_command_without_a_url_says_so_and_has_help(capsys) -> None:
    """It said "CLICKHOUSE_URL is malformed (no scheme)" for an unset variable, and had no --help."""
    from qtickets_assets.lib.clickhouse import rbac

    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("CLICKHOUSE_URL", raising=False)
        assert rbac.main([]) == 2
    assert capsys.readouterr().err.startswith("error: CLICKHOUSE_URL is not set")
    with pytest.raises(SystemExit) as done:
        rbac.main(["--help"])
    assert done.value.code == 0 and "CLICKHOUSE_ETL_PASSWORD" in capsys.readouterr().out


def test_rendered_roles_carry_hashes_never_passwords() -> None:
    statements = "\n".join(render_roles("mart", "etl-Pa55", "reader-Pa55"))
    assert "Pa55" not in statements
    assert "GRANT SELECT ON `mart`.* TO datalens_reader" in statements


@pytest.mark.server
@server
def test_reader_can_select_the_mart_and_nothing_else() -> None:
    target = parse_clickhouse_url(SERVER_URL)
    mart, other = f"rbac_mart_{uuid.uuid4().hex[:8]}", f"rbac_other_{uuid.uuid4().hex[:8]}"
    reader_password = uuid.uuid4().hex
    with open_client(SERVER_URL, other, create_database=True) as admin:
        admin.command(f"CREATE TABLE {other}.secret (a UInt8) ENGINE = MergeTree ORDER BY a")
    with open_client(SERVER_URL, mart, create_database=True) as admin:
        apply_roles(admin, mart, uuid.uuid4().hex, reader_password)
        admin.command(f"CREATE TABLE {mart}.t (a UInt8) ENGINE = MergeTree ORDER BY a")
        admin.command(f"INSERT INTO {mart}.t VALUES (7)")
    scheme = "https" if target.secure else "http"
    reader_url = f"{scheme}://datalens_reader:{reader_password}@{target.host}:{target.port}"
    try:
        with open_client(reader_url, mart) as reader:
            assert reader.command(f"SELECT sum(a) FROM {mart}.t") == 7
            for statement in (
                f"INSERT INTO {mart}.t VALUES (1)",
                f"CREATE TABLE {mart}.u (a UInt8) ENGINE = Memory",
                f"SELECT * FROM {other}.secret",
                "SELECT * FROM system.users",
            ):
                with pytest.raises(Exception, match=r"readonly|ACCESS_DENIED|Not enough privileges"):
                    reader.command(statement)
    finally:
        with open_client(SERVER_URL, "system") as admin:
            admin.command(f"DROP DATABASE IF EXISTS {mart}")
            admin.command(f"DROP DATABASE IF EXISTS {other}")


@pytest.mark.server
@server
def test_a_missing_database_on_a_server_is_refused_not_created() -> None:
    database = f"typo_{uuid.uuid4().hex[:8]}"
    refused = f"CLICKHOUSE_DATABASE '{database}' does not exist on ClickHouse server"
    with pytest.raises(ClickHouseConfigError, match=refused), open_client(SERVER_URL, database):
        pass
    with open_client(SERVER_URL, "system") as admin:
        assert admin.command(f"SELECT count() FROM system.databases WHERE name = '{database}'") == 0
