"""Open a ClickHouse client for `CLICKHOUSE_URL`: embedded chDB (under a file lock) or a server.

Every failure becomes one single-line `ClickHouseConfigError` that names the target and what to
do, and never contains the password (the driver's own messages are not passed through as-is).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qtickets_assets.lib.clickhouse.errors import (
    ClickHouseBusyError,
    ClickHouseConfigError,
    ClickHouseError,
    ClickHouseUnreachableError,
)
from qtickets_assets.lib.clickhouse.locking import (
    busy_message,
    directory_lock,
    lock_timeout_from_env,
    retry_while_busy,
    status_file_locked,
)
from qtickets_assets.lib.clickhouse.url import ClickHouseTarget, parse_clickhouse_url

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

__all__ = ["ClickHouseTarget", "open_client", "parse_clickhouse_url", "query_row", "quote_identifier"]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_AUTH_MARKERS = (
    "AUTHENTICATION_FAILED",
    "Authentication failed",
    "Code: 516",
    "error code 516",
    "REQUIRED_PASSWORD",
    "Code: 194",
)
_TLS = re.compile(r"\[SSL[^\]]*\] ([^\"'()]+)")
_CAUSE = re.compile(r"\[Errno -?\d+\] ([^\"')]+)")


def quote_identifier(name: str, setting: str = "") -> str:
    """Validate a database/table name and quote it; names come from config and asset keys (the
    message names `setting`, the variable the name came from, when given)."""
    if not _IDENTIFIER.match(name):
        raise ClickHouseConfigError(
            f"{setting + ' ' if setting else ''}{name!r} is not a valid ClickHouse name (letters, "
            "digits and _; not starting with a digit)"
        )
    return f"`{name}`"


def query_row(client: Client, query: str, parameters: dict[str, Any] | None = None) -> Sequence[Any]:
    """The first row of a query that always returns one (an aggregate, a count)."""
    row = client.query(query, parameters=parameters).first_row
    if row is None:
        raise ClickHouseError(f"expected a row from: {query[:120]}")
    return row


def _open_chdb(target: ClickHouseTarget) -> Client:
    # The driver (and Arrow, which it loads) only where a connection is opened: the definitions,
    # which the webserver, the daemon and every sensor tick load, never open one.
    import clickhouse_connect

    assert target.path is not None
    try:
        return clickhouse_connect.get_client(dsn=f"chdb://{target.path}")
    except Exception as exc:
        text = str(exc)
        if "Cannot lock file" in text or "Another server instance" in text or status_file_locked(target.path):
            # Someone opened the directory without our lock (a notebook using chdb directly).
            raise ClickHouseBusyError(busy_message(target.path)) from None
        if "already initialized with path" in text:
            raise ClickHouseConfigError(
                f"cannot open {target.describe()}: this process already has another embedded "
                "ClickHouse directory open (chDB allows one per process); close that client first"
            ) from None
        if (unwritable := unwritable_path(target.path)) is not None:
            # chDB says only "Error initializing EmbeddedServer: . (BAD_ARGUMENTS)".
            raise ClickHouseConfigError(
                f"cannot open {target.describe()}: {unwritable} is not writable by this user; "
                "fix its owner or permissions, or point CLICKHOUSE_URL elsewhere"
            ) from None
        raise ClickHouseConfigError(f"cannot open {target.describe()}: {text.splitlines()[0]}") from None


def unwritable_path(path: Path | str) -> Path | None:
    """The directory, or the nearest existing parent of it, when this user cannot write there."""
    candidate = Path(path)
    while not candidate.exists() and candidate != candidate.parent:
        candidate = candidate.parent
    return None if os.access(candidate, os.W_OK | os.X_OK) else candidate


def _server_error(target: ClickHouseTarget, exc: Exception) -> ClickHouseConfigError:
    text = str(exc)
    if any(marker in text for marker in _AUTH_MARKERS):
        return ClickHouseConfigError(
            f"{target.describe()} rejected the credentials of user {target.user!r} "
            "(wrong user or password); check CLICKHOUSE_URL"
        )
    if tls := _TLS.search(text):
        # Not a server restarting: the same handshake fails again, so no retry.
        return ClickHouseConfigError(
            f"the TLS handshake with {target.describe()} failed ({tls.group(1).strip()}): check that "
            "the port serves https; a certificate a private CA signed needs ?ca_cert=/path/to/ca.pem "
            "in CLICKHOUSE_URL"
        )
    cause = _CAUSE.search(text)
    reason = cause.group(1).strip() if cause else type(exc).__name__
    return ClickHouseUnreachableError(
        f"cannot reach {target.describe()} ({reason}); check the host and port in CLICKHOUSE_URL "
        "and that the server is running"
    )


def _open_server(target: ClickHouseTarget) -> Client:
    import clickhouse_connect  # see _open_chdb

    ca_cert = target.ca_cert
    if ca_cert is not None and not (os.path.isfile(ca_cert) and os.access(ca_cert, os.R_OK)):
        # The driver would fail every handshake with a bare FileNotFoundError: read as unreachable.
        raise ClickHouseConfigError(f"CLICKHOUSE_URL's ca_cert {ca_cert} is not a file this user can read")

    try:
        return clickhouse_connect.get_client(
            host=target.host,
            port=target.port,
            username=target.user,
            password=target.password,
            secure=target.secure,
            connect_timeout=10,
            ca_cert=target.ca_cert,  # None: the system's CAs (a public certificate)
        )
    except Exception as exc:
        # `from None`: the driver's exception chain is dropped so nothing of the URL leaks into logs.
        raise _server_error(target, exc) from None


def _ensure_database(client: Client, database: str, target: ClickHouseTarget, create: bool) -> None:
    (exists,) = query_row(
        client, "SELECT count() FROM system.databases WHERE name = {db:String}", {"db": database}
    )
    if not exists:
        if not create:
            # On a server a missing database is a typo or an unprepared server, never something to
            # paper over: a new empty mart would leave every dashboard silently blank.
            how = (
                "create it with `python -m qtickets_assets.lib.clickhouse.rbac` (see deploy/README.md)"
                if target.kind == "server"
                else "run a full sync into it first"
            )
            raise ClickHouseConfigError(
                f"CLICKHOUSE_DATABASE {database!r} does not exist on {target.describe()}: "
                f"fix the name, or {how}"
            )
        # Checked first so a writer without CREATE DATABASE grants works on an existing database.
        client.command(f"CREATE DATABASE IF NOT EXISTS {quote_identifier(database)}")
    client.database = database


@contextmanager
def _client_session(
    client: Client, database: str, target: ClickHouseTarget, create: bool
) -> Iterator[Client]:
    try:
        _ensure_database(client, database, target, create)
        yield client
    finally:
        client.close()  # for chDB this frees the embedded engine, so the directory is usable again


@contextmanager
def open_client(
    url: str,
    database: str,
    *,
    lock_timeout: float | None = None,
    create_database: bool = False,
    existing: bool = False,
) -> Iterator[Client]:
    """Yield a client on `database`; close it (and any lock) on exit. `existing`: for a reader
    (the report, `make sql`), a mart that is not there is an error, not a new empty one.

    An embedded database is created when missing (the directory is the project's own); on a server
    a missing database is an error unless `create_database` (the admin's set-up command) says so.

    For `chdb:///dir` the directory is created, and `<dir>.lock` is held while the client is open,
    waiting up to `lock_timeout` seconds (default `CLICKHOUSE_LOCK_TIMEOUT`, 10 minutes) for it and
    for a process that opened the directory without that lock.
    """
    target = parse_clickhouse_url(url)
    quote_identifier(database, "CLICKHOUSE_DATABASE")
    if target.kind == "server":
        with _client_session(_open_server(target), database, target, create_database) as client:
            yield client
        return
    assert target.path is not None
    if existing and not target.path.is_dir():
        raise ClickHouseConfigError(
            f"there is no mart at {target.path} (CLICKHOUSE_URL): check the path, or run a full "
            "sync first (`make demo`)"
        )
    timeout = lock_timeout_from_env() if lock_timeout is None else lock_timeout
    deadline = time.monotonic() + timeout
    with directory_lock(target.path, timeout):
        target.path.mkdir(parents=True, exist_ok=True)
        engine = retry_while_busy(target.path, lambda: _open_chdb(target), deadline, timeout)
        with _client_session(engine, database, target, not existing) as client:
            yield client
