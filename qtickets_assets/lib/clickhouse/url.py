"""Parse `CLICKHOUSE_URL` into a target: an embedded chDB directory or a ClickHouse server."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

from qtickets_assets.lib.clickhouse.errors import ClickHouseConfigError

ACCEPTED_FORMS = (
    "chdb:///absolute/path/to/dir or http(s)://user:password@host:port "
    "(https: ?ca_cert=/path/to/ca.pem for a certificate a private CA signed)"
)


@dataclasses.dataclass(frozen=True)
class ClickHouseTarget:
    """Where the mart lives. The password is kept out of repr so it never reaches a log."""

    kind: Literal["chdb", "server"]
    path: Path | None = None
    host: str | None = None
    port: int | None = None
    user: str = "default"
    password: str = dataclasses.field(default="", repr=False)
    secure: bool = False
    ca_cert: str | None = None  # the CA that signed an https server's certificate, when not a public one

    def describe(self) -> str:
        """A human name for messages, never containing the password."""
        if self.kind == "chdb":
            return f"embedded ClickHouse at {self.path}"
        scheme = "https" if self.secure else "http"
        return f"ClickHouse server {scheme}://{self.user}@{self.host}:{self.port}"


def _bad(reason: str) -> ClickHouseConfigError:
    return ClickHouseConfigError(f"CLICKHOUSE_URL is malformed ({reason}); accepted forms: {ACCEPTED_FORMS}")


def _parse_chdb(rest: str) -> ClickHouseTarget:
    # `rest` is what follows "chdb://": an absolute path starts with the third slash.
    if not rest.startswith("/"):
        raise _bad("a chdb URL needs an absolute path, i.e. three slashes: chdb:///abs/dir")
    path = Path(unquote(rest))
    if not path.is_absolute() or str(path) == "/":
        raise _bad("the chdb path must be an absolute directory other than /")
    return ClickHouseTarget(kind="chdb", path=path)


def _parse_server(url: str) -> ClickHouseTarget:
    if "#" in url:
        # A "#" in a password cut the URL there: the rest of the password read as the host's port.
        raise _bad("a '#' (or '?', '/', '@') in the user or password must be percent-encoded, e.g. %23")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        # urlsplit's message may quote the netloc, which holds the password: say only what is wrong.
        raise _bad("the port is not a number") from None
    if not parts.hostname:
        raise _bad("no host")
    if parts.path not in ("", "/"):
        raise _bad("a server URL takes no path; the database comes from CLICKHOUSE_DATABASE")
    secure = parts.scheme == "https"
    options = parse_qs(parts.query, keep_blank_values=True)
    if set(options) - {"ca_cert"} or any(len(values) != 1 for values in options.values()):
        raise _bad("a server URL takes one query parameter, ca_cert (https only)")
    ca_cert = options.get("ca_cert", [None])[0]
    if ca_cert is not None and (not secure or not Path(ca_cert).is_absolute()):
        raise _bad("ca_cert is an absolute path to a .pem file, for an https:// URL")
    return ClickHouseTarget(
        kind="server",
        host=parts.hostname,
        port=port or (8443 if secure else 8123),
        user=unquote(parts.username) if parts.username else "default",
        password=unquote(parts.password) if parts.password else "",
        secure=secure,
        ca_cert=ca_cert,
    )


def parse_clickhouse_url(url: str) -> ClickHouseTarget:
    """Parse a `chdb:///abs/dir` or `http(s)://user:password@host:port` URL."""
    url = url.strip()
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise _bad("no scheme")
    scheme = scheme.lower()
    if scheme == "chdb":
        return _parse_chdb(rest)
    if scheme in ("http", "https"):
        return _parse_server(url)
    raise ClickHouseConfigError(
        f"CLICKHOUSE_URL has an unknown scheme {scheme!r}; accepted forms: {ACCEPTED_FORMS}"
    )
