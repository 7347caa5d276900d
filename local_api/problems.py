"""Errors as RFC 9457 problem details (`application/problem+json`) with stable types.

Every refusal the API gives has a slug here; its `type` is `/api/v1/problems/<slug>`, a page
the server itself answers with the description. Scripts match on `type`, never on `detail`.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from starlette.responses import Response

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "/api/v1/problems/"


@dataclass(frozen=True)
class ProblemKind:
    status: int
    title: str
    description: str


PROBLEMS: dict[str, ProblemKind] = {
    "unauthorized": ProblemKind(401, "Authentication required",
                                "No valid token in the Authorization header (Bearer)."),
    "token-revoked": ProblemKind(401, "Token revoked", "The token was revoked."),
    "token-expired": ProblemKind(401, "Token expired", "The token is past its expiry."),
    "forbidden-scope": ProblemKind(403, "Scope not granted",
                                   "The token lacks the scope this route needs."),
    "token-in-query": ProblemKind(400, "Token in the query string",
                                  "Tokens are accepted only in the Authorization header: a "
                                  "URL ends up in logs and browser history."),
    "host-not-allowed": ProblemKind(421, "Host not allowed",
                                    "The Host header is not one this server answers to "
                                    "(protection against DNS rebinding)."),
    "origin-not-allowed": ProblemKind(403, "Origin not allowed",
                                      "Cross-site requests are refused."),
    "unsupported-media-type": ProblemKind(415, "JSON body required",
                                          "Send the body as application/json."),
    "rate-limited": ProblemKind(429, "Too many requests",
                                "The token's request budget is spent; retry after the "
                                "Retry-After seconds."),
    "auth-throttled": ProblemKind(429, "Too many failed authentications",
                                  "This client failed to authenticate too often; retry "
                                  "after the Retry-After seconds."),
    "pairing-failed": ProblemKind(401, "Pairing failed",
                                  "The pairing code is unknown, used or expired; a few misses "
                                  "lock the client out for a while."),
    "length-required": ProblemKind(411, "Content-Length required",
                                   "Send the body with a Content-Length header."),
    "ambiguous-request": ProblemKind(400, "Ambiguous request",
                                     "A header that decides who or where (Host, "
                                     "Authorization, Origin, Content-Length) is given twice."),
    "not-found": ProblemKind(404, "Not found", "No such resource."),
    "method-not-allowed": ProblemKind(405, "Method not allowed",
                                      "The route does not take this method."),
    "validation-error": ProblemKind(422, "Invalid request",
                                    "A field is missing or has the wrong type or value; "
                                    "`errors` names each."),
    "order-invalid": ProblemKind(422, "Order refused",
                                 "The order request does not fit the instrument or the "
                                 "order's state."),
    "risk-rejected": ProblemKind(422, "Refused by the risk engine",
                                 "A pre-trade rule refused the order; `reason` names it."),
    "conflict": ProblemKind(409, "Conflict", "The request conflicts with the current state."),
    "unavailable": ProblemKind(503, "Unavailable", "The part of the terminal that would "
                               "answer is not running."),
    "hook-unauthorized": ProblemKind(401, "Hook secret or signature wrong",
                                     "The inbound hook's shared secret (body or ?secret=) or "
                                     "its Standard Webhooks signature is missing or wrong."),
    "hook-stale": ProblemKind(400, "Alert too old or too new",
                              "The alert's timestamp is outside the hook's tolerance."),
    "hook-replayed": ProblemKind(409, "Alert already received",
                                 "The hook already accepted a message with this id."),
    "hook-invalid": ProblemKind(422, "Alert not understood",
                                "The alert's body or a field the hook's template maps is "
                                "malformed; `detail` names it."),
    "hook-disabled": ProblemKind(403, "Hook disabled", "The inbound hook is switched off."),
    "payload-too-large": ProblemKind(413, "Body too large", "The request body is too large."),
    "keyring-unavailable": ProblemKind(503, "No keyring", "Secrets cannot be stored: this "
                                       "machine has no keyring backend (see `detail`)."),
    "internal-error": ProblemKind(500, "Internal error",
                                  "The terminal failed to answer; the log has the details."),
}


class ApiProblem(Exception):
    def __init__(self, slug: str, detail: str | None = None,
                 headers: dict[str, str] | None = None, **extra: object) -> None:
        super().__init__(detail or slug)
        if slug not in PROBLEMS:
            raise ValueError(f"unknown problem type {slug}")
        self.slug = slug
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra

    @property
    def status(self) -> int:
        return PROBLEMS[self.slug].status


def problem_body(slug: str, detail: str | None, instance: str | None = None,
                 **extra: object) -> dict[str, object]:
    kind = PROBLEMS[slug]
    body: dict[str, object] = {"type": TYPE_PREFIX + slug, "title": kind.title,
                               "status": kind.status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update(extra)
    return body


def problem_response(slug: str, detail: str | None = None, instance: str | None = None,
                     headers: dict[str, str] | None = None, **extra: object) -> Response:
    return Response(orjson.dumps(problem_body(slug, detail, instance, **extra)),
                    status_code=PROBLEMS[slug].status, media_type=PROBLEM_MEDIA_TYPE,
                    headers=headers)


def from_exception(exc: ApiProblem, instance: str | None = None) -> Response:
    return problem_response(exc.slug, exc.detail, instance, exc.headers, **exc.extra)
