from __future__ import annotations

import http.server
import logging
import threading
import time
import traceback
from collections.abc import Callable, Iterator

import httpx
import pytest

from qtickets_assets.lib.qtickets.client import QticketsClient
from qtickets_assets.lib.qtickets.errors import (
    QticketsAuthError,
    QticketsConfigError,
    QticketsError,
    QticketsProtocolError,
    QticketsRouteNotFound,
    QticketsUnavailable,
)
from qtickets_assets.lib.qtickets.retry import RetryPolicy
from qtickets_assets.lib.qtickets.transport import ApiTransport

from .fakes import HTML_404, TOKEN, FakeApi, json_response, make_client, raw_order, raw_seat

Handler = Callable[[httpx.Request], httpx.Response]
OK = json_response({"data": raw_order(7)})


def scripted(*responses: httpx.Response | Exception) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """A transport that answers with the given responses (or raises the given errors) in turn."""
    seen: list[httpx.Request] = []
    queue: Iterator[httpx.Response | Exception] = iter(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        item = next(queue)
        if isinstance(item, Exception):
            raise item
        return item

    return httpx.MockTransport(handler), seen


def test_429_waits_as_retry_after_says_then_succeeds(waits: list[float]) -> None:
    transport, seen = scripted(json_response({}, 429, **{"Retry-After": "7"}), OK)
    with make_client(transport) as client:
        assert client.get_order(7).id == 7  # type: ignore[union-attr]
    assert waits == [7.0]
    assert len(seen) == 2


def test_retry_after_as_an_http_date_is_honoured(waits: list[float]) -> None:
    transport, _ = scripted(json_response({}, 429, **{"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}), OK)
    with make_client(transport) as client:
        client.get_order(7)
    assert waits == [0.0]  # a date in the past means "now"


def test_503_is_retried_with_jittered_exponential_backoff(waits: list[float]) -> None:
    unknown = json_response(
        {"error": "Unknown error", "status": 503, "code": "UNKNOWN_ERROR", "info": []}, 503
    )
    transport, seen = scripted(unknown, unknown, unknown, OK)
    with make_client(transport) as client:
        assert client.get_order(7).id == 7  # type: ignore[union-attr]
    assert len(seen) == 4
    assert [0 <= w <= cap for w, cap in zip(waits, [0.5, 1.0, 2.0], strict=True)] == [True] * 3


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_passing_server_error_is_retried_and_the_order_read(status: int, waits: list[float]) -> None:
    """Every 5xx the API answers is a passing fault, retried like the 503s: a single 500 from a busy
    backend must not fail a run that the next attempt would have completed."""
    transport, sent = scripted(json_response({"error": "Internal error"}, status), OK)
    with make_client(transport) as client:
        order = client.get_order(7)

    assert order is not None and order.id == 7
    assert len(sent) == 2 and len(waits) == 1


def test_dropped_connections_and_timeouts_are_retried(waits: list[float]) -> None:
    transport, seen = scripted(httpx.RemoteProtocolError("peer closed"), httpx.ReadTimeout("slow"), OK)
    with make_client(transport) as client:
        assert client.get_order(7).id == 7  # type: ignore[union-attr]
    assert len(seen) == 3 and len(waits) == 2


def test_exhausted_retries_name_method_path_attempts_and_last_status(waits: list[float]) -> None:
    transport, seen = scripted(*[json_response({"error": "Unknown error", "code": "UNKNOWN_ERROR"}, 502)] * 4)
    with make_client(transport, max_retries=3) as client, pytest.raises(QticketsUnavailable) as err:
        client.get_order(7)
    assert len(seen) == 4 and len(waits) == 3
    assert str(err.value) == (
        "the Qtickets API is unavailable: GET /orders/7 failed 4 times (retries exhausted); "
        "last: HTTP 502 (UNKNOWN_ERROR Unknown error); API root https://qtickets.test/api/rest/v1"
    )


def test_total_wait_budget_stops_retries_early(waits: list[float]) -> None:
    transport, seen = scripted(*[json_response({}, 429, **{"Retry-After": "40"})] * 7)
    with (
        make_client(transport, max_total_wait=100) as client,
        pytest.raises(QticketsUnavailable, match="100 s"),
    ):
        client.get_order(7)
    assert waits == [40.0, 40.0] and len(seen) == 3


def test_other_4xx_fail_at_once(waits: list[float]) -> None:
    transport, seen = scripted(json_response({"error": "Bad where", "status": 422}, 422))
    with make_client(transport) as client, pytest.raises(QticketsError, match="HTTP 422"):
        client.get_order(7)
    assert len(seen) == 1 and waits == []


def test_403_fails_fast_naming_the_variable_not_the_token(
    waits: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    transport, seen = scripted(json_response({"error": "Wrong authorization", "status": 403}, 403))
    client = make_client(transport)
    with pytest.raises(QticketsAuthError) as err:
        list(client.iter_order_pages())
    assert len(seen) == 1 and waits == []
    assert "QTICKETS_TOKEN" in str(err.value) and "https://qtickets.test/api/rest/v1" in str(err.value)
    rendered = [
        str(err.value),
        repr(err.value),
        repr(client),
        "".join(traceback.format_exception(err.value)),
        caplog.text,
        repr(client.__dict__),
        repr(seen[0].headers),
    ]
    assert [TOKEN in text for text in rendered] == [False] * len(rendered)
    assert seen[0].headers["Authorization"] == f"Bearer {TOKEN}"  # it was sent, only as the header
    client.close()


def test_html_404_names_the_missing_route() -> None:
    transport, _ = scripted(httpx.Response(404, text=HTML_404, headers={"Content-Type": "text/html"}))
    with make_client(transport) as client, pytest.raises(QticketsRouteNotFound) as err:
        list(client.iter_show_seats([1]))
    assert str(err.value).startswith("the API has no route GET /shows/1/seats; check QTICKETS_BASE_URL")
    # One show's seats may be what is missing (its other shows answer): the message says so too.
    assert str(err.value).endswith(
        "or, if other such requests are answered, whether 1 still exists in the account"
    )


def test_json_404_means_one_order_is_missing() -> None:
    api = FakeApi(orders=[raw_order(1)])
    with make_client(api) as client:
        assert client.get_order(4360) is None
        assert client.get_order(1).id == 1  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (
            httpx.Response(200, text="<html>maintenance</html>", headers={"Content-Type": "text/html"}),
            "HTML page",
        ),
        (
            httpx.Response(200, content=b'{"data":[{"id":1,', headers={"Content-Type": "application/json"}),
            r"cut-off JSON \(17 bytes\)",
        ),
    ],
)
def test_a_200_that_is_not_json_is_retried_then_an_error(
    waits: list[float], bad: httpx.Response, reason: str
) -> None:
    transport, seen = scripted(bad, bad, bad, bad)
    with make_client(transport) as client, pytest.raises(QticketsProtocolError, match=reason):
        list(client.iter_order_pages())
    assert len(seen) == 3  # two retries, then the error: never an empty page


def test_truncated_json_then_a_good_answer_succeeds(waits: list[float]) -> None:
    cut = httpx.Response(200, content=b'{"data":{"id":7', headers={"Content-Type": "application/json"})
    transport, seen = scripted(cut, OK)
    with make_client(transport) as client:
        assert client.get_order(7).id == 7  # type: ignore[union-attr]
    assert len(seen) == 2


def test_only_get_is_ever_sent_with_the_documented_headers() -> None:
    api = FakeApi(
        orders=[raw_order(i) for i in range(1, 60)], seats={5: [], 6: [raw_seat("s", "A-1;1", 1, 1)]}
    )
    with make_client(api) as client:
        list(client.iter_order_pages())
        list(client.iter_native_order_pages())
        list(client.iter_show_seats([5]))
        list(client.iter_show_inventory([6]))
        client.get_order(3)
        assert client.get_event(3) is None
        list(client.iter_discount_pages())
        list(client.iter_promo_code_pages())
        client.latest_order_marker()
        public = {name for name in dir(client) if not name.startswith("_")}
        assert public == {
            "answers",
            "close",
            "count_orders",
            "get_event",
            "get_order",
            "iter_discount_pages",
            "iter_event_pages",
            "iter_native_order_pages",
            "iter_order_pages",
            "iter_promo_code_pages",
            "iter_show_inventory",
            "iter_show_inventory_or_why",
            "iter_show_seats",
            "latest_order_marker",
        }
        with pytest.raises(QticketsError, match="refusing to send POST"):
            # even reaching inside cannot write
            client._api._transport.handle_request(httpx.Request("POST", "http://qtickets.test/orders"))
    assert {r.method for r in api.requests} == {"GET"}
    first = api.requests[0].headers
    assert (first["Accept"], first["Content-Type"], first["Cache-Control"]) == (
        "application/json",
        "application/json",
        "no-cache",
    )


def test_closing_the_client_ends_a_back_off_wait_at_once() -> None:
    """A request waiting out a long Retry-After when its run ends (another step failed) must not
    hold the run's teardown for a minute: the wait ends, and the request fails as closed."""
    answered = threading.Event()

    def rate_limited(request: httpx.Request) -> httpx.Response:
        answered.set()
        return json_response({"error": "Too Many Requests"}, status=429, **{"Retry-After": "60"})

    client = make_client(httpx.MockTransport(rate_limited))
    failure: list[BaseException] = []

    def read() -> None:
        try:
            client.get_order(1)
        except QticketsError as exc:
            failure.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert answered.wait(timeout=10)
    started = time.monotonic()
    client.close()
    reader.join(timeout=10)
    assert not reader.is_alive() and time.monotonic() - started < 5
    assert [str(exc) for exc in failure] == ["GET /orders/1 was not sent: the Qtickets client is closing"]


class _RecordingServer(http.server.ThreadingHTTPServer):
    """An HTTP server that answers every GET with `{"ok": true}` and records its request lines:
    a proxy sees the whole URL ("GET http://host/path HTTP/1.1"), a server only the path."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        super().__init__(("127.0.0.1", 0), _Recorder)

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Recorder(http.server.BaseHTTPRequestHandler):
    server: _RecordingServer

    def do_GET(self) -> None:
        self.server.lines.append(self.requestline)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def recording_server() -> Iterator[_RecordingServer]:
    server = _RecordingServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _proxies(monkeypatch: pytest.MonkeyPatch, http_proxy: str, no_proxy: str | None = None) -> None:
    """The environment's proxy settings replaced by these (lower-case names take precedence)."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("HTTP_PROXY", http_proxy)
    if no_proxy is not None:
        monkeypatch.setenv("NO_PROXY", no_proxy)


def _get(base_url: str) -> object:
    api = ApiTransport(base_url, TOKEN, max_concurrency=1, timeout=5, policy=RetryPolicy(max_retries=0))
    try:
        return api.get_json("/orders", {"page": 1})
    finally:
        api.close()


def test_requests_go_through_the_proxy_the_environment_names(
    recording_server: _RecordingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As an httpx.Client would: HTTP_PROXY (or HTTPS_PROXY for https) carries every request."""
    _proxies(monkeypatch, recording_server.root)
    assert _get("http://qtickets.invalid/api/rest/v1") == {"ok": True}
    assert recording_server.lines == ["GET http://qtickets.invalid/api/rest/v1/orders?page=1 HTTP/1.1"]


def test_no_proxy_sends_straight_to_the_api(
    recording_server: _RecordingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _proxies(monkeypatch, "http://127.0.0.1:9", no_proxy="127.0.0.1")  # nothing listens on :9
    assert _get(recording_server.root + "/api/rest/v1") == {"ok": True}
    assert recording_server.lines == ["GET /api/rest/v1/orders?page=1 HTTP/1.1"]


def test_a_request_that_failed_once_says_once_and_names_the_dead_proxy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A dead proxy read as an API outage: "the Qtickets API is unavailable … connection failed",
    with no word of the proxy every request went through."""
    _proxies(
        monkeypatch, "http://user:test-PROXYPASS@127.0.0.1:9"
    )  # nothing listens there: the attempt fails
    with pytest.raises(QticketsUnavailable, match=r"GET /orders failed once \(retries exhausted\)") as err:
        _get("http://qtickets.invalid/api/rest/v1")
    assert str(err.value).endswith("reached through HTTP_PROXY (127.0.0.1:9)")
    assert "PROXYPASS" not in str(err.value)


def test_a_server_that_echoes_the_token_does_not_put_it_in_a_message(
    waits: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    """Some gateway and WAF error pages quote the request's headers in their text, which went into
    the retry warnings and the final error (the run page, the event log, the alert)."""
    echoed = {"error": f"WAF request rejected: header Authorization=Bearer {TOKEN}", "status": 502}
    transport, _ = scripted(json_response(echoed, 502), json_response({**echoed, "status": 400}, 400))
    with make_client(transport) as client, pytest.raises(QticketsError) as err:
        client.get_order(7)
    assert "HTTP 400 (WAF request rejected: header Authorization=Bearer [token])" in str(err.value)
    assert "HTTP 502 (WAF request rejected: header Authorization=Bearer [token])" in caplog.text
    assert TOKEN not in str(err.value) + caplog.text


def test_a_token_echoed_where_the_message_is_cut_is_still_taken_out(waits: list[float]) -> None:
    """The server's text was cut to 200 characters before the token was looked for: a token
    across the cut was no longer recognised, and its first part was shown."""
    echoed = {"error": "x" * 180 + f" header X-Auth={TOKEN}", "status": 400}
    transport, _ = scripted(json_response(echoed, 400))
    with make_client(transport) as client, pytest.raises(QticketsError) as err:
        client.get_order(7)
    assert TOKEN[:8] not in str(err.value) and str(err.value).endswith("X-Auth=[toke)")


def test_a_proxy_written_without_a_scheme_is_named_without_its_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """httpx's "Unknown scheme for proxy URL URL('user:PASSWORD@host:3128')" named no variable and
    showed the proxy's password in the run's output and event log."""
    _proxies(monkeypatch, "proxyuser:PROXYPASS-r7@proxy.corp:3128")
    with pytest.raises(QticketsConfigError) as err:
        _get("http://qtickets.invalid/api/rest/v1")
    assert str(err.value).startswith("HTTP_PROXY (proxy.corp:3128) is not a usable proxy: ValueError")
    assert "PROXYPASS" not in str(err.value)


PASSWORD = "test-gw-PASSWORD"
BASE_WITH_CREDENTIALS = f"https://gateway:{PASSWORD}@qtickets.test/api/rest/v1"
ANSWERS = {
    "no such route": httpx.Response(404, text=HTML_404, headers={"Content-Type": "text/html"}),
    "token refused": json_response({"error": "Unauthorized"}, 401),
    "API down": json_response({"error": "Unknown error"}, 503),
}


@pytest.mark.parametrize("answer", ANSWERS.values(), ids=ANSWERS.keys())
def test_the_api_root_is_named_without_its_password(answer: httpx.Response, waits: list[float]) -> None:
    """A QTICKETS_BASE_URL written with a user and password (a proxy or gateway in front of the API)
    is named in error messages without them: messages reach the run's log and event log, which
    everyone with access to the Dagster UI reads."""
    transport = httpx.MockTransport(lambda request: answer)
    client = QticketsClient(BASE_WITH_CREDENTIALS, TOKEN, transport=transport, max_retries=1)
    with client, pytest.raises(QticketsError) as error:
        client.get_order(7)

    message = str(error.value)
    assert "https://qtickets.test/api/rest/v1" in message
    assert PASSWORD not in message and "gateway" not in message


@pytest.mark.parametrize(
    ("base_url", "warned"),
    [
        ("http://qtickets.example/api/rest/v1", True),
        ("http://127.0.0.1:8080/api/rest/v1", False),
        ("http://localhost:8080/api/rest/v1", False),
        ("https://qtickets.example/api/rest/v1", False),
    ],
)
def test_a_token_sent_unencrypted_over_the_network_is_warned_of(
    base_url: str, warned: bool, caplog: pytest.LogCaptureFixture
) -> None:
    ApiTransport(base_url, TOKEN, max_concurrency=1, timeout=5, policy=RetryPolicy()).close()
    assert ("the token travels unencrypted to qtickets.example" in caplog.text) is warned
