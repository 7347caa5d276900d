"""The ASGI layer every request passes first: Host and Origin checks (DNS rebinding,
cross-site requests), no tokens in query strings, JSON-only bodies; then timing, metrics and
the rate-limit headers the route's authorisation decided on.

Written as plain ASGI rather than a Starlette BaseHTTPMiddleware: it also guards the
websocket handshake, and it costs microseconds per request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from local_api.metrics import ApiMetrics
from local_api.problems import PROBLEMS, problem_response

TOKEN_PARAMS = frozenset({"token", "access_token", "api_key", "apikey", "auth", "bearer",
                          "authorization", "key", "secret"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
WS_POLICY_VIOLATION = 1008
MAX_BODY = 1 << 20  # a JSON request to this API is a few hundred bytes
HOOK_PREFIX = "/hooks/"


@dataclass
class HostPolicy:
    """The Host and Origin values accepted. Filled in once the port is bound."""

    extra_hosts: tuple[str, ...] = ()
    extra_origins: tuple[str, ...] = ()
    non_json_paths: tuple[str, ...] = ()
    non_json_prefixes: tuple[str, ...] = ()
    hosts: frozenset[str] = field(default_factory=frozenset)
    origins: frozenset[str] = field(default_factory=frozenset)

    def allow(self, host: str, port: int, scheme: str) -> None:
        """Also answer to this host (the LAN listener) and its own origin."""
        self.hosts = self.hosts | {host, f"{host}:{port}"}
        self.origins = self.origins | {f"{scheme}://{host}:{port}"}

    def bind(self, port: int, scheme: str = "http") -> None:
        names = [*LOOPBACK_NAMES, *self.extra_hosts]
        self.hosts = frozenset([*names, *(f"{n}:{port}" for n in names)])
        self.origins = frozenset([*(f"{scheme}://{n}:{port}" for n in names),
                                  *self.extra_origins])


def _header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


class Guard:
    def __init__(self, app: ASGIApp, policy: HostPolicy, metrics: ApiMetrics,
                 concurrency: int = 8) -> None:
        self.app = app
        self.policy = policy
        self.metrics = metrics
        # however many clients push, at most this many requests are worked on at once
        self._slots = asyncio.Semaphore(concurrency)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        method = scope.get("method", "GET") if kind == "http" else "WS"
        if refusal is not None:
            slug, detail = refusal
            status = PROBLEMS[slug].status
            self.metrics.observe(method, "(refused)", status, 0.0)
            self.metrics.problem(method, "(refused)", status, slug, None)
            response = problem_response(slug, detail, scope["path"])
            if kind == "websocket":
                await self._deny_websocket(scope, send, response)
                return
            await response(scope, receive, send)
            return
        if kind == "websocket":
            await self.app(scope, receive, send)
            return
        await self._timed(scope, receive, send, method)

    @staticmethod
    async def _deny_websocket(scope: Scope, send: Send, response: Response) -> None:
        """Refuse the handshake with the problem as an HTTP answer where the server can
        (the ASGI denial-response extension), else with a policy-violation close."""
        if "websocket.http.response" not in scope.get("extensions", {}):
            await send({"type": "websocket.close", "code": WS_POLICY_VIOLATION})
            return
        await send({"type": "websocket.http.response.start", "status": response.status_code,
                    "headers": response.raw_headers})
        await send({"type": "websocket.http.response.body", "body": response.body})

    async def _timed(self, scope: Scope, receive: Receive, send: Send, method: str) -> None:
        start = time.perf_counter()
        status = 500
        state: dict[str, Any] = scope.setdefault("state", {})

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                decision = state.get("ratelimit")
                if decision is not None:
                    extra = [(k.lower().encode(), v.encode())
                             for k, v in decision.headers(state["ratelimit_policy"]).items()
                             if k != "Retry-After"]  # a 429's problem carries its own
                    message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        try:
            async with self._slots:
                await self.app(scope, receive, send_with_headers)
        finally:
            route = scope.get("route")
            label = getattr(route, "path", None) or "(unmatched)"
            self.metrics.observe(method, label, status, time.perf_counter() - start)
            principal = state.get("principal")
            if principal is not None:
                self.metrics.token_used(principal.token_id)
            problem = state.get("problem")
            if problem is not None:
                self.metrics.problem(method, label, status, problem,
                                     principal.token_id if principal else None)

    def _refusal(self, scope: Scope) -> tuple[str, str] | None:
        headers = scope["headers"]
        for name in (b"host", b"authorization", b"origin", b"content-length"):
            if sum(1 for key, _ in headers if key == name) > 1:  # which one would count?
                return "ambiguous-request", f"the {name.decode()} header is given twice"
        host = _header(headers, b"host")
        if host is None or host.lower() not in self.policy.hosts:
            return "host-not-allowed", f"Host {host!r} is not served here"
        origin = _header(headers, b"origin")
        if origin is not None and origin not in self.policy.origins:
            return "origin-not-allowed", f"requests from {origin} are refused"
        query = scope.get("query_string", b"")
        path: str = scope["path"]
        takes_text = path in self.policy.non_json_paths or \
            path.startswith(self.policy.non_json_prefixes)
        # an inbound hook's shared secret may travel in its URL (TradingView cannot send
        # headers); it is not an API token and opens no other route
        if query and not path.startswith(HOOK_PREFIX):
            names = {k.lower() for k, _ in parse_qsl(query.decode("latin-1"),
                                                      keep_blank_values=True)}
            leaked = names & TOKEN_PARAMS
            if leaked:
                return "token-in-query", (f"credentials are not accepted in the query string "
                                          f"({', '.join(sorted(leaked))}); send "
                                          "'Authorization: Bearer <token>'")
        if scope["type"] == "http" and scope["method"] in BODY_METHODS and not takes_text:
            length = _header(headers, b"content-length")
            if length is None and _header(headers, b"transfer-encoding") is not None:
                return "length-required", "send the body with a Content-Length"
            if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
                return "payload-too-large", f"bodies are at most {MAX_BODY // 1024} KiB"
            ctype = _header(headers, b"content-type")
            if ctype is None:
                length = _header(headers, b"content-length")
                chunked = _header(headers, b"transfer-encoding")
                if (length not in (None, "0")) or chunked is not None:
                    return "unsupported-media-type", "a body needs Content-Type: " \
                        "application/json"
            else:
                media = ctype.split(";", 1)[0].strip().lower()
                if media != "application/json" and not media.endswith("+json"):
                    return "unsupported-media-type", (f"Content-Type {media} is refused; "
                                                      "send application/json")
        return None
