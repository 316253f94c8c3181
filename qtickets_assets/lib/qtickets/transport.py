"""Sends GET requests to the API, retries what is worth retrying, and hands each answer to
`answers.interpret`, which turns it into data or one clear error.

This is the only code that touches the network, and it can only send GET: there is no method
parameter anywhere, and the transport every request goes through refuses anything else even if
someone reaches inside (POST /orders creates orders; the previous loader sent it by accident).
One semaphore bounds the requests in flight for everything the client sends.

Requests go straight to an httpx transport (its connection pool), not through an `httpx.Client`:
the client's layers this API has no use for (cookies, redirects, auth flows, URL merging) cost
~0.6 ms of CPU a request, as much as decoding an orders page, on the thread the crawl's other
pages wait for (bench/RESULTS.md, stop 30).
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import threading
import urllib.request
from collections.abc import Mapping
from typing import Any

import httpx
import orjson

from . import retry
from .answers import FastDecoder, interpret
from .errors import (
    QticketsClosed,
    QticketsConfigError,
    QticketsError,
    QticketsProtocolError,
    QticketsUnavailable,
)
from .retry import Retryable, RetryPolicy

log = logging.getLogger(__name__)
HEADERS = {"Accept": "application/json", "Content-Type": "application/json", "Cache-Control": "no-cache"}


# What an httpx.Client would add: compressed answers (the API varies on Accept-Encoding), its name.
CLIENT_HEADERS = {"Accept-Encoding": "gzip, deflate", "User-Agent": f"python-httpx/{httpx.__version__}"}


class _GetOnly(httpx.BaseTransport):
    """The transport every request goes through: anything but GET is refused, whoever built it."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "GET":
            raise QticketsError(
                f"refusing to send {request.method}: the Qtickets client is read-only (GET only)"
            )
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def _transport_for(root: str, limits: httpx.Limits) -> tuple[httpx.HTTPTransport, str]:
    """A pool of connections to the API `root`, through the proxy the environment names for its
    scheme (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY; NO_PROXY exempts hosts), as an httpx.Client would;
    and the proxy as messages name it ("" for none): a dead proxy is no API outage."""
    url = httpx.URL(root)
    proxies = urllib.request.getproxies()
    scheme = url.scheme if proxies.get(url.scheme) else "all"
    proxy = proxies.get(scheme)
    if proxy and not urllib.request.proxy_bypass(url.host):
        # httpx's messages quote the whole proxy URL, its password too: only the host is named.
        named = f"{scheme.upper()}_PROXY ({proxy.rpartition('@')[2]})"
        try:
            return httpx.HTTPTransport(limits=limits, proxy=proxy), named
        except (ValueError, ImportError, httpx.InvalidURL) as exc:
            raise QticketsConfigError(
                f"{named} is not a usable proxy: {type(exc).__name__}; write it as "
                "http://[user:password@]host:port"
            ) from None
    return httpx.HTTPTransport(limits=limits), ""


@functools.lru_cache(maxsize=1024)
def _url(root: str, path: str) -> httpx.URL:
    """`path` under the API `root` (which ends with "/"), parsed once: most requests share a path."""
    return httpx.URL(root + path.lstrip("/"))


def _target(root: str, path: str, body: Mapping[str, Any] | None) -> httpx.URL:
    """The URL of a GET of `path` with `body`. A page number goes in the query string too: the
    docs put it in the body, `?page=1` was seen accepted, and a proxy may drop a GET's body; sent
    in both places, a server that reads either one pages on."""
    if body is not None and "page" in body:
        path = f"{path}?page={int(body['page'])}"
    return _url(root, path)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost" or host.endswith(".localhost")


def display_root(base_url: str) -> str:
    """The API root as it may appear in messages: no userinfo, no query."""
    url = httpx.URL(base_url)
    return str(url.copy_with(username=None, password=None, query=None, fragment=None)).rstrip("/")


class ApiTransport:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        max_concurrency: int,
        timeout: float,
        policy: RetryPolicy,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not base_url or not base_url.strip():
            raise QticketsConfigError(
                "QTICKETS_BASE_URL is not set: set it to the Qtickets API root "
                "(https://qtickets.ru/api/rest/v1 for the real account). There is deliberately no "
                "default, so that sandbox data can never slip into a real mart by accident."
            )
        try:
            url = httpx.URL(base_url.strip())
        except httpx.InvalidURL as exc:  # its message names the part, never the whole URL
            raise QticketsConfigError(f"QTICKETS_BASE_URL is not a valid URL: {exc}") from None
        if url.scheme not in ("http", "https"):
            raise QticketsConfigError(
                # Not quoted: without a scheme, a token written into the URL is not taken for userinfo.
                "QTICKETS_BASE_URL must start with http:// or https:// (the API root, e.g. "
                "https://qtickets.ru/api/rest/v1)"
            )
        token = token.strip() if token else ""
        if not token:
            raise QticketsConfigError("QTICKETS_TOKEN is not set: set it to the organiser's API token")
        if not (token.isascii() and token.isprintable()):
            # Left to httpx, a UnicodeEncodeError or a request "failed" as a network error.
            raise QticketsConfigError(
                "QTICKETS_TOKEN holds a character an HTTP header cannot carry (a letter outside "
                "ASCII, an invisible character or a line break): copy the token again"
            )
        if max_concurrency < 1:
            raise QticketsConfigError(
                "the most requests in flight (QTICKETS_MAX_CONCURRENCY) must be at least 1, "
                f"got {max_concurrency}"
            )
        self.root = display_root(base_url.strip())
        if url.scheme == "http" and not _is_loopback(url.host):
            log.warning(
                "QTICKETS_BASE_URL is http://: the token travels unencrypted to %s; use https://", url.host
            )
        self._policy = policy
        self._in_flight = threading.BoundedSemaphore(max_concurrency)
        self._closing = threading.Event()
        self._base = base_url.strip().rstrip("/") + "/"
        # httpx.Headers hides Authorization when printed: the token never shows in a repr.
        bearer = {"Authorization": f"Bearer {token}"}
        self._token = token  # only to take it out of a server's text that echoes it (a WAF page)
        self._headers = httpx.Headers({**CLIENT_HEADERS, **HEADERS, **bearer})
        self._timeout = {"timeout": httpx.Timeout(timeout).as_dict()}
        limits = httpx.Limits(max_connections=max_concurrency, max_keepalive_connections=max_concurrency)
        inner, self._proxy = (transport, "") if transport else _transport_for(self._base, limits)
        self._transport = _GetOnly(inner)

    def __repr__(self) -> str:
        return f"ApiTransport({self.root!r})"

    def refuse_new_requests(self) -> None:
        """From now on a request not yet sent, or a retry still waiting, raises QticketsClosed;
        requests in flight end as they would."""
        self._closing.set()

    def close(self) -> None:
        self._closing.set()
        self._transport.close()

    def get_json(
        self,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        fast: FastDecoder | None = None,
        retries: int | None = None,
    ) -> Any:
        """GET `path` (relative to the root) with an optional JSON body, retrying what may pass
        (at most `retries` times when given, else as the policy says).

        `fast` may read a successful answer's bytes itself (None: it cannot, and the JSON is
        parsed and checked as usual)."""
        content = orjson.dumps(body) if body is not None else None
        url = _target(self._base, path, body)
        attempts, protocol_failures, waited = 0, 0, 0.0
        while True:
            if self._closing.is_set():
                raise QticketsClosed(f"GET {path} was not sent: the Qtickets client is closing")
            attempts += 1
            try:
                return self._attempt(url, path, content, fast)
            except Retryable as failure:
                protocol_failures += failure.protocol
                wait = failure.retry_after
                if wait is None:
                    wait = self._policy.backoff(attempts - 1)
                give_up = self._give_up_reason(attempts, protocol_failures, failure, waited + wait, retries)
                if give_up:
                    raise self._final_error(path, attempts, failure, give_up) from None
                log.warning(
                    "Qtickets GET %s: %s; retry %d of %d in %.1f s",
                    path,
                    failure.reason,
                    attempts,
                    self._policy.max_retries,
                    wait,
                )
                retry.sleep(wait, self._closing)
                waited += wait

    def _give_up_reason(
        self, attempts: int, protocol_failures: int, failure: Retryable, total: float, retries: int | None
    ) -> str:
        if attempts > (self._policy.max_retries if retries is None else retries):
            return "retries exhausted"
        protocol_limit = min(self._policy.max_protocol_retries, self._policy.max_retries)
        if failure.protocol and protocol_failures > protocol_limit:
            return "retries exhausted"
        if total > self._policy.max_total_wait:
            return f"waiting longer would pass the {self._policy.max_total_wait:g} s retry budget"
        return ""

    def _final_error(self, path: str, attempts: int, failure: Retryable, why: str) -> QticketsError:
        times = "once" if attempts == 1 else f"{attempts} times"
        detail = f"GET {path} failed {times} ({why}); last: {failure.reason}; API root {self.root}"
        if self._proxy:
            detail += f", reached through {self._proxy}"
        if failure.protocol:
            return QticketsProtocolError(f"the Qtickets API sent an unreadable answer: {detail}")
        return QticketsUnavailable(f"the Qtickets API is unavailable: {detail}")

    def _attempt(
        self, url: httpx.URL, path: str, content: bytes | None, fast: FastDecoder | None = None
    ) -> Any:
        request = httpx.Request("GET", url, headers=self._headers, content=content, extensions=self._timeout)
        with self._in_flight:
            try:
                response = self._send(request)
            except httpx.UnsupportedProtocol as exc:
                raise QticketsConfigError(f"QTICKETS_BASE_URL {self.root} is not usable: {exc}") from None
            except httpx.TimeoutException as exc:
                raise Retryable(f"timeout ({type(exc).__name__})") from None
            except httpx.TransportError as exc:
                raise Retryable(f"connection failed ({type(exc).__name__})") from None
        return interpret(response, path, self.root, fast, self._token)

    def _send(self, request: httpx.Request) -> httpx.Response:
        """The whole answer to `request`, read (and decompressed) before the connection goes back."""
        response = self._transport.handle_request(request)
        response.request = request
        try:
            response.read()
        finally:
            response.close()
        return response
