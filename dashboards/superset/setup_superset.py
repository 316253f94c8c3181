"""Prepare Superset's metadata and import the bundle (run with Superset's own Python).

Environment: SUPERSET_CONFIG_PATH (superset_config.py), QTICKETS_SUPERSET_HOME, the admin's
SUPERSET_ADMIN_PASSWORD, and the mart to read: QTICKETS_SUPERSET_DATABASE_URI, its SQLAlchemy URI
(`clickhousedb://...`, what `make superset` passes), or else the ClickHouse server CLICKHOUSE_URL
names (scheme, host and port; a user in it is ignored), read as the read-only user datalens_reader
with CLICKHOUSE_READER_PASSWORD in the database CLICKHOUSE_DATABASE (what the deploy/ service
passes). The URI replaces the bundle's placeholder in memory: the password it holds reaches only
Superset's metadata (encrypted with the secret key), never a file, argv or the output.
Idempotent: a second run resets the admin's password and overwrites the bundle's objects, so the
deploy/ service runs it on every start.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import yaml

BUNDLE = Path(os.environ.get("QTICKETS_SUPERSET_BUNDLE", Path(__file__).resolve().parent / "bundle"))
ADMIN = "admin"
# The dashboards' read-only user (clickhouse/rbac/roles.sql: SELECT on the mart, readonly = 2).
READER = "datalens_reader"
DEFAULT_DATABASE = "qtickets"


def reader_uri(
    host: str, port: int, database: str, password: str, secure: bool, ca_cert: str | None = None
) -> str:
    """The SQLAlchemy URI of a ClickHouse server read as the read-only user READER (`ca_cert`: the
    private CA CLICKHOUSE_URL names, which the driver takes as a connect argument)."""
    interface = "https" if secure else "http"
    with_ca = f"&ca_cert={quote(ca_cert, safe='/')}" if ca_cert else ""
    return (f"clickhousedb://{READER}:{quote(password, safe='')}@{host}:{port}/{quote(database, safe='')}"
            f"?interface={interface}{with_ca}")  # fmt: skip


def server_uri_from_env(env: Mapping[str, str]) -> str:
    """READER's URI on the server of CLICKHOUSE_URL, with CLICKHOUSE_READER_PASSWORD."""
    url = env.get("CLICKHOUSE_URL", "")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise SystemExit("error: CLICKHOUSE_URL has a port that is not a number") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SystemExit(
            "error: set QTICKETS_SUPERSET_DATABASE_URI, or CLICKHOUSE_URL to the server, "
            "e.g. http://clickhouse:8123"
        )
    password = env.get("CLICKHOUSE_READER_PASSWORD", "")
    if not password:
        raise SystemExit(
            f"error: CLICKHOUSE_READER_PASSWORD is not set: Superset reads the server as {READER}"
        )
    secure = parts.scheme == "https"
    database = env.get("CLICKHOUSE_DATABASE") or DEFAULT_DATABASE
    ca_cert = parse_qs(parts.query).get("ca_cert", [None])[0]
    return reader_uri(parts.hostname, port or (8443 if secure else 8123), database, password, secure, ca_cert)


def mart_uri(env: Mapping[str, str]) -> str:
    """QTICKETS_SUPERSET_DATABASE_URI, or READER's URI on the server of CLICKHOUSE_URL."""
    return env.get("QTICKETS_SUPERSET_DATABASE_URI") or server_uri_from_env(env)


def without_password(uri: str) -> str:
    """The URI as it may be printed: everything but the password (up to the last `@`, whatever
    characters it holds)."""
    scheme, separator, rest = uri.partition("://")
    credentials, at, location = rest.rpartition("@")
    if not at:
        return uri
    return f"{scheme}{separator}{credentials.partition(':')[0]}@{location}"


def superset_cli(*args: str) -> None:
    superset = Path(sys.executable).with_name("superset")
    subprocess.run([str(superset), *args], check=True, stdout=subprocess.DEVNULL)


def bundle_contents(database_uri: str) -> dict[str, str]:
    """The bundle's files as the import takes them, the database's URI set to `database_uri`."""
    contents = {}
    for path in sorted(BUNDLE.rglob("*.yaml")):
        name = str(path.relative_to(BUNDLE))
        text = path.read_text(encoding="utf-8")
        if name.startswith("databases/"):
            config = yaml.safe_load(text)
            config["sqlalchemy_uri"] = database_uri
            text = yaml.safe_dump(config, sort_keys=False)
        contents[name] = text
    return contents


def ensure_admin(password: str) -> None:
    from superset import security_manager

    user = security_manager.find_user(username=ADMIN)
    if user is None:
        role = security_manager.find_role("Admin")
        created = security_manager.add_user(ADMIN, "Qtickets", "Admin", "admin@localhost", role, password)
        if not created:
            raise SystemExit("error: could not create the Superset admin user")
    else:
        security_manager.reset_password(user.id, password)


def import_bundle(database_uri: str) -> None:
    from flask import g
    from superset import security_manager
    from superset.commands.importers.v1.assets import ImportAssetsCommand

    g.user = security_manager.find_user(username=ADMIN)
    ImportAssetsCommand(bundle_contents(database_uri)).run()


def main() -> int:
    uri = mart_uri(os.environ)
    password = os.environ["SUPERSET_ADMIN_PASSWORD"]
    superset_cli("db", "upgrade")
    superset_cli("init")
    from superset.app import create_app

    app = create_app()
    with app.test_request_context():
        ensure_admin(password)
        import_bundle(uri)
    print(f"imported {BUNDLE} (dashboard 'Qtickets: sales') reading {without_password(uri)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
