"""The HTTP side: auth, methods, faults and the /_sandbox control routes over `Api`."""

from __future__ import annotations

import contextlib
import hmac
import json
import socket
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from qtickets_assets.sandbox.advance import advance
from qtickets_assets.sandbox.api import (
    Api,
    Response,
    error,
    html_not_found,
    order_created,
    route_kind,
    unknown_error,
)
from qtickets_assets.sandbox.faults import FaultConfig, FaultInjector
from qtickets_assets.sandbox.model import World
from qtickets_assets.sandbox.stats import Stats
from qtickets_assets.sandbox.truth import expected_requests, truth

API_PREFIX = "/api/rest/v1"
CONTROL_PREFIX = "/_sandbox/"
MAINTENANCE_HTML = (
    "<!DOCTYPE html><html><head><title>Qtickets</title></head><body>Технические работы</body></html>"
)


class Sandbox:
    """Everything one server serves: the world, its API view, faults and stats."""

    def __init__(
        self,
        world: World,
        token: str,
        ignore_filters: bool = False,
        faults: FaultConfig | None = None,
        ignore_select: bool = False,
        unfiltered_total: bool = False,
    ) -> None:
        self.world = world
        self._token = token.encode()
        self.api = Api(world, ignore_filters, ignore_select, unfiltered_total)
        self.faults = FaultInjector(faults)
        self.stats = Stats()
        self.sleep: Callable[[float], None] = time.sleep  # tests swap it to see each delay without waiting
        # Called with each advance's arguments and the time it took effect (persisted.py keeps them
        # so that a restarted sandbox replays its world exactly).
        self.journal: Callable[[dict[str, Any]], None] | None = None

    def __repr__(self) -> str:  # the token must never show up in a repr or a log
        return f"Sandbox(size={self.world.size!r}, seed={self.world.seed}, token=***)"

    def authorized(self, header: str | None) -> bool:
        if not header or not header.startswith("Bearer "):
            return False
        return hmac.compare_digest(header[7:].strip().encode(), self._token)

    def truth(self, as_of: int | None = None) -> dict[str, Any]:
        return truth(self.world, as_of)

    def advance(self, **what: Any) -> dict[str, Any]:
        with self.world.lock:  # the journal sees the advances in the order they happened
            changed = advance(self.world, **what)
            if self.journal is not None:
                self.journal({**what, "now": self.world.now})
            return changed

    def summary(self) -> dict[str, Any]:
        """What a client of the control routes needs to know of the world (e.g. to change 1% of it)."""
        with self.world.lock:
            w = self.world
            return {"size": w.size, "seed": w.seed, "events": len(w.events), "orders": len(w.orders)}

    def control(self, method: str, name: str, query: dict[str, list[str]], body: dict[str, Any]) -> Response:
        """The /_sandbox routes; no token needed, never faulted."""
        try:
            if name == "truth" and method == "GET":
                as_of = query.get("as_of")
                return Response(200, json.dumps(self.truth(int(as_of[0]) if as_of else None)).encode())
            if name == "expected_requests" and method == "GET":
                return Response(200, json.dumps(expected_requests(self.world)).encode())
            if name == "world" and method == "GET":
                return Response(200, json.dumps(self.summary()).encode())
            if name == "advance" and method == "POST":
                return Response(200, json.dumps(self.advance(**body)).encode())
            if name == "faults":
                config = self.faults.update(**body) if method == "POST" else self.faults.config
                return Response(200, json.dumps(FaultInjector(config).as_dict()).encode())
            if name == "stats":
                if method in ("POST", "DELETE"):
                    self.stats.reset()
                return Response(200, json.dumps(self.stats.snapshot()).encode())
        except (TypeError, ValueError) as exc:
            return error(400, f"bad control request: {exc}")
        return html_not_found()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as nginx does
    disable_nagle_algorithm = True  # headers and body go out in separate writes; no 40 ms stalls
    server_version = "nginx/1.14.1"
    sys_version = ""
    server: SandboxServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _dispatch(self) -> None:
        # http.server calls do_<METHOD>; every method takes the same path, which answers 405 to
        # anything but GET on API routes (and lets control routes take POST/DELETE).
        self._serve(self.command)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _dispatch

    def _serve(self, method: str) -> None:
        split = urlsplit(self.path)
        raw = self._read_body()
        if split.path.startswith(CONTROL_PREFIX):
            body = self._json_body(raw, require_type=False)
            self._send(
                self.server.sandbox.control(
                    method, split.path[len(CONTROL_PREFIX) :], parse_qs(split.query), body
                ),
                method,
            )
            return
        if not split.path.startswith(API_PREFIX + "/"):
            self._send(html_not_found(), method)
            return
        self._serve_api(method, split.path[len(API_PREFIX) :].rstrip("/"), parse_qs(split.query), raw)

    def _serve_api(self, method: str, path: str, query: dict[str, list[str]], raw: bytes) -> None:
        sandbox = self.server.sandbox
        ticket = sandbox.stats.enter(method, route_kind(path) or "unknown")
        decision = sandbox.faults.decide()
        response: Response | None = None
        try:
            # The answer takes the sampled latency and then the server's own work, as a remote API's
            # does: the sandbox's rendering never hides inside the latency (bench's "sequential" is
            # the sum of both, as the stats count them).
            sandbox.sleep(decision.delay)
            if decision.fault != "drop":
                response = self._api_response(method, path, query, raw, decision.fault)
        finally:
            status = None if response is None else response.status
            sent = 0 if response is None or method == "HEAD" else len(response.body)
            sandbox.stats.leave(ticket, status, sent, decision.fault, decision.delay)
        if response is None:
            self._drop()
        else:
            self._send(response, method)

    def _api_response(
        self, method: str, path: str, query: dict[str, list[str]], raw: bytes, fault: str | None
    ) -> Response:
        sandbox = self.server.sandbox
        if fault == "503":
            return unknown_error()
        if fault == "429":
            retry = str(sandbox.faults.config.retry_after)
            return Response(
                429, b'{"error":"Too Many Requests","status":429}', headers={"Retry-After": retry}
            )
        if fault == "html":
            return Response(200, MAINTENANCE_HTML.encode(), "text/html; charset=UTF-8")
        if route_kind(path) is None:
            return html_not_found()
        if not sandbox.authorized(self.headers.get("Authorization")):
            return error(403, "Wrong authorization")
        if method == "POST" and path == "/orders":
            # The real POST /orders creates an order (qtickets-api.md §2.3): counted in the stats
            # ("POST orders") for tests to prove the client never sends one; the world is not changed.
            return order_created(self._json_body(raw, require_type=True))
        if method != "GET":
            return error(405, "Method not allowed", "METHOD_NOT_ALLOWED", {"allow": ["GET"]})
        response = sandbox.api.handle(
            path, query, self._json_body(raw, require_type=True), empty_page=fault == "empty_page"
        )
        if fault == "truncate" and response.status == 200:
            response.body = response.body[: max(1, len(response.body) // 2)]
        return response

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while (size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)) > 0:
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _json_body(self, raw: bytes, require_type: bool) -> dict[str, Any]:
        """Like Laravel: a body counts only when it is JSON and says so in Content-Type."""
        if not raw or (require_type and "json" not in self.headers.get("Content-Type", "").lower()):
            return {}
        try:
            parsed = json.loads(raw)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}

    def _send(self, response: Response, method: str) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("X-Cache-Status", "MISS")
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(response.body)

    def _drop(self) -> None:
        """Close the socket with no response at all, as a dying upstream would."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        super().__init__(address, Handler)
