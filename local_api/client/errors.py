"""The exceptions the SDK raises: one class per family of problem types.

Every refusal of the server is `application/problem+json` with a stable `type`
(`/api/v1/problems/<slug>`); the SDK turns it into the `ApiError` subclass of its slug,
carrying the slug, status, title, detail and any extra fields (`reason` of a risk
rejection, `errors` of a validation error, `required_scope` of a scope refusal).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

TYPE_PREFIX = "/api/v1/problems/"
_STANDARD = frozenset({"type", "title", "status", "detail", "instance"})


class ApiError(Exception):
    """A problem answered by the server (or an answer that was not one it should give)."""

    def __init__(self, status: int, slug: str, title: str, detail: str | None = None,
                 instance: str | None = None, extra: Mapping[str, Any] | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(f"{status} {slug}: {detail or title}")
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.instance = instance
        self.extra: dict[str, Any] = dict(extra or {})
        self.headers: dict[str, str] = {k.lower(): v for k, v in (headers or {}).items()}

    @property
    def type(self) -> str:
        return TYPE_PREFIX + self.slug


class AuthenticationError(ApiError):
    """401: no token, a malformed one, or one unknown, revoked or expired."""


class PermissionDenied(ApiError):
    """403 forbidden-scope: the token's scope is below the route's."""

    @property
    def required_scope(self) -> str | None:
        value = self.extra.get("required_scope")
        return value if isinstance(value, str) else None


class RequestRefused(ApiError):
    """The guard refused the request itself: token in the query string, a Host or Origin
    not served, a body that is not JSON, a method the route does not take."""


class NotFound(ApiError):
    """404: no such instrument, order, strategy, backtest, token or connection."""


class InvalidRequest(ApiError):
    """422 validation-error: a field is missing or wrong; `errors` names each."""

    @property
    def errors(self) -> list[dict[str, Any]]:
        value = self.extra.get("errors")
        return list(value) if isinstance(value, list) else []


class OrderRefused(ApiError):
    """422 order-invalid: the order does not fit the instrument or the order's state."""


class RiskRejected(OrderRefused):
    """422 risk-rejected: a pre-trade rule refused the order; `reason` names the rule."""

    @property
    def reason(self) -> str | None:
        value = self.extra.get("reason")
        return value if isinstance(value, str) else None


class Conflict(ApiError):
    """409: the request conflicts with the current state (already connected...)."""


class RateLimited(ApiError):
    """429: the token's budget (rate-limited) or the client's failed-auth budget
    (auth-throttled) is spent; `retry_after` is the seconds to wait."""

    @property
    def retry_after(self) -> float:
        try:
            return max(0.0, float(self.headers.get("retry-after", "1")))
        except ValueError:
            return 1.0


class Unavailable(ApiError):
    """503: the part of the terminal that would answer is not running."""


class ServerError(ApiError):
    """500: the terminal failed to answer (its log has the details)."""


class StreamError(Exception):
    """The stream was refused or closed in a way a reconnect cannot mend (a bad
    subscription, close code 4400; a policy violation, 1008), or reconnecting failed."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


BY_SLUG: dict[str, type[ApiError]] = {
    "unauthorized": AuthenticationError,
    "token-revoked": AuthenticationError,
    "token-expired": AuthenticationError,
    "forbidden-scope": PermissionDenied,
    "token-in-query": RequestRefused,
    "host-not-allowed": RequestRefused,
    "origin-not-allowed": RequestRefused,
    "unsupported-media-type": RequestRefused,
    "method-not-allowed": RequestRefused,
    "payload-too-large": RequestRefused,
    "length-required": RequestRefused,
    "ambiguous-request": RequestRefused,
    "pairing-failed": AuthenticationError,
    "rate-limited": RateLimited,
    "auth-throttled": RateLimited,
    "not-found": NotFound,
    "validation-error": InvalidRequest,
    "order-invalid": OrderRefused,
    "risk-rejected": RiskRejected,
    "conflict": Conflict,
    "unavailable": Unavailable,
    "internal-error": ServerError,
}
BY_STATUS: dict[int, type[ApiError]] = {
    401: AuthenticationError, 403: PermissionDenied, 404: NotFound, 409: Conflict,
    422: InvalidRequest, 429: RateLimited, 503: Unavailable,
}


def problem_error(status: int, body: bytes, headers: Mapping[str, str]) -> ApiError:
    """The exception for an error answer: its problem document when it has one, else a
    generic one named after the status."""
    try:
        doc = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        doc = None
    if not isinstance(doc, dict) or not isinstance(doc.get("type"), str):
        text = body.decode("utf-8", "replace").strip()[:200] or None
        cls = BY_STATUS.get(status, ServerError if status >= 500 else ApiError)
        return cls(status, f"http-{status}", f"HTTP {status}", text, headers=headers)
    kind: str = doc["type"]
    slug = kind.removeprefix(TYPE_PREFIX) if kind.startswith(TYPE_PREFIX) else kind
    fallback = BY_STATUS.get(status, ServerError if status >= 500 else ApiError)
    cls = BY_SLUG.get(slug, fallback)
    detail = doc.get("detail")
    instance = doc.get("instance")
    return cls(int(doc.get("status", status)), slug, str(doc.get("title", "")),
               detail if isinstance(detail, str) else None,
               instance if isinstance(instance, str) else None,
               {k: v for k, v in doc.items() if k not in _STANDARD}, headers)
