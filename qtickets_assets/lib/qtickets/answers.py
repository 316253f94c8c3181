"""One answer of the API → its parsed JSON, a `Retryable` (worth asking again), or one clear final
error that says what to check, in the server's own words where it gave any (never the token)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import orjson

from .errors import (
    QticketsAuthError,
    QticketsError,
    QticketsNotFound,
    QticketsProtocolError,
    QticketsRejected,
    QticketsRouteNotFound,
)
from .retry import Retryable, parse_retry_after

# Reads a successful answer's bytes into records, or gives None to have them parsed as JSON.
FastDecoder = Callable[[bytes], Any]


def interpret(
    response: httpx.Response, path: str, root: str, fast: FastDecoder | None = None, token: str = ""
) -> Any:
    """Map one response to parsed JSON, a Retryable, or a final error (the server's own words in
    it, without `token` should they echo the request)."""
    status = response.status_code
    if 200 <= status < 300:
        return _parse_success(response, path, root, fast)
    if status in (401, 403):
        raise QticketsAuthError(
            f"the Qtickets API refused the token (HTTP {status} on GET {path}): check QTICKETS_TOKEN, "
            f"an organiser token for the account at QTICKETS_BASE_URL={root}"
        )
    if status == 404:
        raise _not_found(response, path, root)
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    if status == 429 or status >= 500:
        raise Retryable(f"HTTP {status}{_server_message(response, token)}", retry_after=retry_after)
    said = _server_message(response, token)
    raise QticketsRejected(f"the Qtickets API rejected GET {path} with HTTP {status}{said}")


def _parse_success(response: httpx.Response, path: str, root: str, fast: FastDecoder | None) -> Any:
    body = response.content
    content_type = response.headers.get("Content-Type", "")
    if "html" in content_type or body.lstrip()[:1] == b"<":
        raise Retryable(f"HTTP {response.status_code} with an HTML page instead of JSON", protocol=True)
    if fast is not None and (decoded := fast(body)) is not None:
        return decoded
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise Retryable(
            f"HTTP {response.status_code} with malformed or cut-off JSON ({len(body)} bytes)", protocol=True
        ) from None
    # The partners API answers a wrong token with 200 {"status":"error","code":"WRONG_AUTHORIZATION"}.
    if isinstance(payload, dict) and payload.get("status") == "error":
        if payload.get("code") == "WRONG_AUTHORIZATION":
            raise QticketsAuthError(
                f"the Qtickets API refused the token on GET {path}: check QTICKETS_TOKEN "
                f"for QTICKETS_BASE_URL={root}"
            )
        raise QticketsProtocolError(f"GET {path} answered 200 with an error: {payload.get('code')}")
    return payload


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None


def _not_found(response: httpx.Response, path: str, root: str) -> QticketsError:
    payload = _json_or_none(response)
    if isinstance(payload, dict) and payload.get("code") == "RESOURCE_NOT_FOUND":
        info = payload.get("info")
        resource, object_id = (
            (info.get("resource"), info.get("id")) if isinstance(info, dict) else (None, None)
        )
        message = f"{resource or 'object'} {object_id} does not exist (GET {path})"
        return QticketsNotFound(message, resource, object_id)
    return QticketsRouteNotFound(f"the API has no route GET {path}; {_route_hint(path, root)}", path)


def _route_hint(path: str, root: str) -> str:
    """What to check for an HTML 404: the base URL, and for a path naming an object (a show's seats)
    whether the object is still there, since the same route answers for the account's other ones."""
    hint = f"check QTICKETS_BASE_URL (now {root})"
    named = [part for part in path.split("/") if part.isdigit()]
    if named:
        hint += f", or, if other such requests are answered, whether {named[-1]} still exists in the account"
    return hint


def _server_message(response: httpx.Response, token: str) -> str:
    payload = _json_or_none(response)
    if isinstance(payload, dict) and payload.get("error"):
        code = payload.get("code") or ""
        # Cleaned before it is cut: a token cut in two would no longer be recognised.
        said = without_credentials(f"{code} {payload['error']}".strip(), token)
        return f" ({said[:200]})"
    return ""


_BEARER = re.compile(r"(?i)\bbearer\s+(?!\[token\])[^\s'\",;)}\]]+")


def without_credentials(text: str, token: str) -> str:
    """`text` with the token, and whatever follows a "Bearer", replaced by "[token]"."""
    if token:
        text = text.replace(token, "[token]")
    return _BEARER.sub("Bearer [token]", text)
