"""Create the server users `etl_writer` and `datalens_reader` from `clickhouse/rbac/roles.sql`.

Usage (a ClickHouse server only; run as an admin user):
    CLICKHOUSE_URL=https://admin:PASSWORD@host:8443 CLICKHOUSE_DATABASE=qtickets \\
    CLICKHOUSE_ETL_PASSWORD=... CLICKHOUSE_READER_PASSWORD=... \\
    python -m qtickets_assets.lib.clickhouse.rbac
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from pathlib import Path

from clickhouse_connect.driver.client import Client

from qtickets_assets.lib.clickhouse.connection import open_client, quote_identifier
from qtickets_assets.lib.clickhouse.errors import ClickHouseConfigError, ClickHouseError
from qtickets_assets.lib.clickhouse.sqltext import split_statements
from qtickets_assets.lib.clickhouse.url import parse_clickhouse_url

ROLES_SQL = Path(__file__).resolve().parents[3] / "clickhouse" / "rbac" / "roles.sql"
USERS = ("etl_writer", "datalens_reader")


def _sha256(password: str) -> str:
    return hashlib.sha256(password.encode("utf-8")).hexdigest()


def render_roles(database: str, etl_password: str, reader_password: str) -> list[str]:
    """The statements of roles.sql with the database and the passwords' hashes filled in."""
    values = {
        "{database}": quote_identifier(database),
        "{etl_password_sha256}": _sha256(etl_password),
        "{reader_password_sha256}": _sha256(reader_password),
    }
    statements = []
    for statement in split_statements(ROLES_SQL.read_text(encoding="utf-8")):
        for placeholder, value in values.items():
            statement = statement.replace(placeholder, value)
        statements.append(statement)
    return statements


def apply_roles(client: Client, database: str, etl_password: str, reader_password: str) -> list[str]:
    """Create or update both users and their grants; returns the user names."""
    for statement in render_roles(database, etl_password, reader_password):
        client.command(statement)
    return list(USERS)


def _required_env(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise ClickHouseConfigError(f"{name} is not set; it is the password the command gives that user")
    return value


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(
        prog="python -m qtickets_assets.lib.clickhouse.rbac",
        description="Create the roles and users of the mart on a ClickHouse server (not chDB).",
        epilog="Reads CLICKHOUSE_URL (an admin: http(s)://admin:password@host:port), CLICKHOUSE_DATABASE, "
        "CLICKHOUSE_ETL_PASSWORD and CLICKHOUSE_READER_PASSWORD.",
    ).parse_args(argv)
    url = os.environ.get("CLICKHOUSE_URL", "")
    if not url.strip():
        print("error: CLICKHOUSE_URL is not set: set it to the server, as an admin user", file=sys.stderr)
        return 2
    database = os.environ.get("CLICKHOUSE_DATABASE", "qtickets")
    try:
        if parse_clickhouse_url(url).kind != "server":
            raise ClickHouseConfigError(
                "RBAC needs a ClickHouse server: embedded chDB has no users or grants; "
                "set CLICKHOUSE_URL=http(s)://admin:password@host:port"
            )
        etl_password = _required_env("CLICKHOUSE_ETL_PASSWORD")
        reader_password = _required_env("CLICKHOUSE_READER_PASSWORD")
        with open_client(url, database, create_database=True) as client:
            users = apply_roles(client, database, etl_password, reader_password)
    except ClickHouseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"users {', '.join(users)} are set up on database {database}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
