"""`make superset`: Superset on 127.0.0.1 with the dashboard "Qtickets: sales" on the mart.

Run with the project's Python (it takes the mart's directory lock), then hands over to Superset's
own virtual environment (.venv-superset). Embedded default: the chDB directory is copied while its
lock is held (never half-written) to <home>/mart-copy, and Superset reads the copy, so it never
holds the live directory a run writes; rerun `make superset` to refresh the copy. With
CLICKHOUSE_URL on a server, Superset reads the server as the read-only user `datalens_reader`
(password CLICKHOUSE_READER_PASSWORD, see clickhouse/rbac/roles.sql).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from setup_superset import READER, reader_uri  # beside this file: the one spelling of the reader's URI

from qtickets_assets import settings
from qtickets_assets.lib.clickhouse.connection import quote_identifier
from qtickets_assets.lib.clickhouse.errors import ClickHouseError
from qtickets_assets.lib.clickhouse.locking import directory_lock, lock_timeout_from_env
from qtickets_assets.lib.clickhouse.url import ClickHouseTarget, parse_clickhouse_url

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SUPERSET_BIN = ROOT / ".venv-superset" / "bin"


def superset_home() -> Path:
    return Path(os.environ.get("QTICKETS_SUPERSET_HOME") or ROOT / ".data" / "superset").resolve()


def copy_mart(target: ClickHouseTarget, destination: Path) -> None:
    """Copy the chDB directory while holding its lock, so no run is writing it meanwhile."""
    assert target.path is not None
    with directory_lock(target.path, lock_timeout_from_env()):
        if not (target.path / "metadata").is_dir():
            raise SystemExit(f"error: no mart at {target.path}: run `make demo` (or a sync) first")
        if destination.exists():
            shutil.rmtree(destination)
        shutil.copytree(target.path, destination, symlinks=True)


def database_uri(home: Path) -> str:
    """The SQLAlchemy URI Superset reads: the mart's fresh copy, or the server as the reader."""
    url = os.environ.get("CLICKHOUSE_URL") or settings.default_clickhouse_url()
    database = os.environ.get("CLICKHOUSE_DATABASE") or settings.DEFAULT_DATABASE
    quote_identifier(database)
    target = parse_clickhouse_url(url)
    if target.kind == "chdb":
        copy = home / "mart-copy"
        copy_mart(target, copy)
        print(
            f"Superset reads a copy of {target.path} taken now ({copy}); rerun `make superset` to refresh it"
        )
        return f"clickhousedb:///{database}?interface=chdb&path={quote(str(copy))}"
    password = os.environ.get("CLICKHOUSE_READER_PASSWORD", "")
    if not password:
        raise SystemExit(
            f"error: CLICKHOUSE_READER_PASSWORD is not set: Superset reads {target.describe()} as {READER}"
        )
    interface = "https" if target.secure else "http"
    print(f"Superset reads ClickHouse server {interface}://{READER}@{target.host}:{target.port}/{database}")
    return reader_uri(target.host, target.port, database, password, target.secure, target.ca_cert)


def private_file(path: Path, make_value: bool) -> str | None:
    """The text of a file only the owner can read; with `make_value`, created with a random value."""
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    if not make_value:
        return None
    value = secrets.token_urlsafe(24)
    path.touch(mode=0o600)
    path.write_text(value + "\n", encoding="utf-8")
    return value


def admin_password(home: Path) -> str:
    """SUPERSET_ADMIN_PASSWORD, or one generated on the first run, printed then and kept under home."""
    from_env = os.environ.get("SUPERSET_ADMIN_PASSWORD", "")
    if from_env:
        return from_env
    stored = home / "admin_password"
    if stored.exists():
        print(f"admin password: in {stored}")
        return private_file(stored, make_value=False) or ""
    password = private_file(stored, make_value=True) or ""
    print(f"admin password (generated; kept in {stored}): {password}")
    return password


def superset_env(home: Path, uri: str, password: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        QTICKETS_SUPERSET_HOME=str(home),
        SUPERSET_CONFIG_PATH=str(HERE / "superset_config.py"),
        QTICKETS_SUPERSET_DATABASE_URI=uri,
        SUPERSET_ADMIN_PASSWORD=password,
        FLASK_APP="superset",
    )
    return env


def main() -> int:
    if not (SUPERSET_BIN / "superset").exists():
        raise SystemExit("error: .venv-superset is missing: run `make superset` (it installs it)")
    home = superset_home()
    home.mkdir(parents=True, exist_ok=True)
    try:
        uri = database_uri(home)
    except ClickHouseError as exc:
        raise SystemExit(f"error: {exc}") from None
    private_file(home / "secret_key", make_value=True)
    env = superset_env(home, uri, admin_password(home))
    subprocess.run([str(SUPERSET_BIN / "python"), str(HERE / "setup_superset.py")], env=env, check=True)
    port = os.environ.get("SUPERSET_PORT", "8088")
    print(
        f"Superset: http://127.0.0.1:{port}/superset/dashboard/qtickets-sales/ (user admin); Ctrl-C stops it",
        flush=True,
    )
    env.pop("QTICKETS_SUPERSET_DATABASE_URI")
    env.pop("SUPERSET_ADMIN_PASSWORD")
    # One process (chDB serves one engine per process), threaded: a browser keeps connections open.
    command = [str(SUPERSET_BIN / "superset"), "run", "-h", "127.0.0.1", "-p", port, "--with-threads"]
    os.execve(command[0], command, env)


if __name__ == "__main__":
    sys.exit(main())
