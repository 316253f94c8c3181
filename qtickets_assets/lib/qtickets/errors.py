"""Every failure the client reports, each with one message a person can act on.

No message ever contains the token: messages are built only from the method, the path relative to
the API root, the API root itself (with any userinfo stripped), statuses and field names.
"""

from __future__ import annotations


class QticketsError(Exception):
    """Base class of everything the Qtickets client raises."""


class QticketsClosed(QticketsError):
    """A request was not sent because the client is closing (whoever read its results stopped)."""


class QticketsConfigError(QticketsError):
    """The client was configured with a missing or malformed QTICKETS_BASE_URL or QTICKETS_TOKEN."""


class QticketsAuthError(QticketsError):
    """The API refused the token (HTTP 401/403, or a 200 carrying WRONG_AUTHORIZATION)."""


class QticketsRouteNotFound(QticketsError):
    """The API has no such route (the HTML 404 page): the base URL or the path is wrong."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path


class QticketsNotFound(QticketsError):
    """A single object does not exist (JSON 404 RESOURCE_NOT_FOUND)."""

    def __init__(self, message: str, resource: str | None, object_id: object) -> None:
        super().__init__(message)
        self.resource = resource
        self.object_id = object_id


class QticketsProtocolError(QticketsError):
    """The API answered with something that is not the documented shape (HTML on 200, bad JSON,
    a missing `paging`, an empty page before the total is reached)."""


class QticketsUnavailable(QticketsError):
    """The API kept failing (429/5xx/timeouts/dropped connections) until the retry budget ran out."""


class QticketsRejected(QticketsError):
    """The API refused the request itself (an HTTP 4xx other than 401/403/404/429): a filter or
    a parameter it does not take."""


class QticketsPayloadError(QticketsError):
    """A record lacks a required field or has one of the wrong type; names object, id and field."""
