"""What the server refuses, against the real uvicorn server on 127.0.0.1: tokens and their
scopes on every route, tokens in query strings, foreign Host and Origin headers (also on
the websocket handshake), non-JSON bodies, revoked and expired tokens, failed-auth
throttling, and 429 with Retry-After under a burst."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator

import httpx
import pytest
import websockets

from local_api.settings import Tier
from tests.api.live import LiveTerminal, settings

# the least scope each route needs (None: no token); every route of the app is listed
SCOPES: dict[tuple[str, str], str | None] = {
    ("GET", "/api/v1/health"): None,
    ("GET", "/api/v1/status"): "read",
    ("GET", "/api/v1/plugins"): "read",
    ("GET", "/api/v1/connections"): "read",
    ("POST", "/api/v1/connections/{plugin_id}"): "admin",
    ("DELETE", "/api/v1/connections/{plugin_id}"): "admin",
    ("GET", "/api/v1/quality"): "read",
    ("GET", "/api/v1/quality/summary"): "read",
    ("GET", "/api/v1/audit"): "admin",
    ("GET", "/api/v1/instruments"): "read",
    ("GET", "/api/v1/instruments/{instrument}"): "read",
    ("GET", "/api/v1/quotes"): "read",
    ("GET", "/api/v1/quotes/{instrument}"): "read",
    ("GET", "/api/v1/trades/{instrument}"): "read",
    ("GET", "/api/v1/bars/{instrument}"): "read",
    ("GET", "/api/v1/book/{instrument}"): "read",
    ("GET", "/api/v1/orders"): "read",
    ("POST", "/api/v1/orders"): "trade",
    ("GET", "/api/v1/orders/{client_order_id}"): "read",
    ("PATCH", "/api/v1/orders/{client_order_id}"): "trade",
    ("DELETE", "/api/v1/orders/{client_order_id}"): "trade",
    ("POST", "/api/v1/orders/cancel-all"): "trade",
    ("GET", "/api/v1/fills"): "read",
    ("GET", "/api/v1/positions"): "read",
    ("GET", "/api/v1/account"): "read",
    ("GET", "/api/v1/signals"): "read",
    ("GET", "/api/v1/strategies/kinds"): "read",
    ("GET", "/api/v1/strategies"): "read",
    ("POST", "/api/v1/strategies"): "trade",
    ("DELETE", "/api/v1/strategies/{strategy_id}"): "trade",
    ("GET", "/api/v1/risk/limits"): "read",
    ("PATCH", "/api/v1/risk/limits"): "admin",
    ("GET", "/api/v1/risk/kill-switch"): "read",
    ("POST", "/api/v1/risk/kill-switch"): "trade",
    ("GET", "/api/v1/analytics/pnl"): "read",
    ("GET", "/api/v1/backtests"): "read",
    ("POST", "/api/v1/backtests"): "trade",
    ("GET", "/api/v1/backtests/{backtest_id}"): "read",
    ("GET", "/api/v1/tokens"): "admin",
    ("POST", "/api/v1/tokens"): "admin",
    ("DELETE", "/api/v1/tokens/{token_id}"): "admin",
    ("GET", "/api/v1/devices"): "admin",
    ("GET", "/metrics"): "admin",
    ("GET", "/api/v1/webhooks/event-types"): "admin",
    ("GET", "/api/v1/webhooks/endpoints"): "admin",
    ("POST", "/api/v1/webhooks/endpoints"): "admin",
    ("PATCH", "/api/v1/webhooks/endpoints/{endpoint_id}"): "admin",
    ("DELETE", "/api/v1/webhooks/endpoints/{endpoint_id}"): "admin",
    ("POST", "/api/v1/webhooks/endpoints/{endpoint_id}/rotate-secret"): "admin",
    ("POST", "/api/v1/webhooks/endpoints/{endpoint_id}/test"): "admin",
    ("GET", "/api/v1/webhooks/deliveries"): "admin",
    ("GET", "/api/v1/webhooks/attempts"): "admin",
    ("POST", "/api/v1/webhooks/deliveries/{msg_id}/redeliver"): "admin",
    ("GET", "/api/v1/webhooks/inbound"): "admin",
    ("POST", "/api/v1/webhooks/inbound"): "admin",
    ("DELETE", "/api/v1/webhooks/inbound/{hook_id}"): "admin",
    ("GET", "/api/v1/webhooks/inbound/{hook_id}/requests"): "admin",
    # no API token: a hook checks its own secret or signature, under its own rate limit
    ("POST", "/hooks/{hook_id}"): None,
    ("POST", "/api/v1/pairing/start"): "admin",
    # no token: the phone proves itself with the one-time code or its refresh token
    ("POST", "/api/v1/pairing/complete"): None,
    ("POST", "/api/v1/pairing/token"): None,
    ("GET", "/api/v1/sync"): "read",
    ("DELETE", "/api/v1/devices/{device_id}"): "admin",
    ("GET", "/api/v1/alerts"): "read",
    ("POST", "/api/v1/alerts"): "trade",
    ("DELETE", "/api/v1/alerts/{alert_id}"): "trade",
}
PATH_VALUES = {"{plugin_id}": "nosuchplugin", "{instrument}": "BINANCE:NKNUSDT",
               "{client_order_id}": "nosuchorder", "{strategy_id}": "nosuchstrategy",
               "{backtest_id}": "7", "{token_id}": "000000000000",
               "{device_id}": "000000000000"}
RANK = ("read", "trade", "admin")


@pytest.fixture(scope="module")
def term(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveTerminal]:
    terminal = LiveTerminal(tmp_path_factory.mktemp("security"),
                            settings(auth_failure_burst=10_000)).start()
    terminal.wait_replayed()
    yield terminal
    terminal.stop()


@pytest.fixture(scope="module")
def tokens(term: LiveTerminal) -> dict[str, str]:
    return {scope: term.token(scope) for scope in RANK}


def call(term: LiveTerminal, method: str, path: str, token: str | None) -> httpx.Response:
    for key, value in PATH_VALUES.items():
        path = path.replace(key, value)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = {} if method in ("POST", "PATCH") else None
    return httpx.request(method, term.url + path, headers=headers, json=body, timeout=30)


def test_the_scope_table_covers_every_route(term: LiveTerminal) -> None:
    spec = httpx.get(term.url + "/openapi.json").json()
    routes = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    assert routes == set(SCOPES)


@pytest.mark.parametrize(("method", "path"), sorted(SCOPES))
def test_each_route_needs_its_scope_and_no_more(term: LiveTerminal, tokens: dict[str, str],
                                               method: str, path: str) -> None:
    needed = SCOPES[(method, path)]
    anonymous = call(term, method, path, None)
    if needed is None:  # a hook takes no token, only its own secret: an unknown one is 404
        expected = 404 if path.startswith("/hooks/") else \
            422 if path.startswith("/api/v1/pairing/") else 200  # an empty body is invalid
        assert anonymous.status_code == expected
        return
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    assert anonymous.json()["type"] == "/api/v1/problems/unauthorized"
    for scope in RANK:
        answer = call(term, method, path, tokens[scope])
        if RANK.index(scope) < RANK.index(needed):
            assert answer.status_code == 403, (scope, answer.text)
            assert answer.json()["type"] == "/api/v1/problems/forbidden-scope"
            assert answer.json()["required_scope"] == needed
        else:
            assert answer.status_code not in (401, 403, 500), (scope, answer.text)


def test_releasing_the_kill_switch_needs_admin(term: LiveTerminal,
                                              tokens: dict[str, str]) -> None:
    url = term.url + "/api/v1/risk/kill-switch"
    trade = {"Authorization": f"Bearer {tokens['trade']}"}
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    on = httpx.post(url, json={"engaged": True, "reason": "test"}, headers=trade)
    assert on.status_code == 200 and on.json()["engaged"] is True
    refused = httpx.post(url, json={"engaged": False}, headers=trade)
    assert refused.status_code == 403
    assert httpx.get(url, headers=trade).json() == {"engaged": True, "reason": "test"}
    off = httpx.post(url, json={"engaged": False}, headers=admin)
    assert off.status_code == 200 and off.json()["engaged"] is False


@pytest.mark.parametrize("param", ["token", "access_token", "api_key", "TOKEN"])
def test_a_token_in_the_query_string_is_refused_even_when_valid(
        term: LiveTerminal, tokens: dict[str, str], param: str) -> None:
    answer = httpx.get(f"{term.url}/api/v1/positions?{param}={tokens['admin']}",
                       headers={"Authorization": f"Bearer {tokens['admin']}"})
    assert answer.status_code == 400
    assert answer.json()["type"] == "/api/v1/problems/token-in-query"
    assert tokens["admin"] not in answer.text  # the refusal does not echo the secret


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1:1",
                                  "192.168.1.10:{port}"])
def test_a_foreign_host_header_is_refused(term: LiveTerminal, tokens: dict[str, str],
                                          host: str) -> None:
    answer = httpx.get(term.url + "/api/v1/health",
                       headers={"Host": host.format(port=term.port)})
    assert answer.status_code == 421
    assert answer.json()["type"] == "/api/v1/problems/host-not-allowed"


def test_the_loopback_names_are_accepted(term: LiveTerminal) -> None:
    for host in (f"127.0.0.1:{term.port}", f"localhost:{term.port}", "localhost"):
        assert httpx.get(term.url + "/api/v1/health", headers={"Host": host}).status_code == 200


def test_a_cross_site_origin_is_refused_and_no_cors_is_granted(
        term: LiveTerminal, tokens: dict[str, str]) -> None:
    headers = {"Authorization": f"Bearer {tokens['trade']}", "Origin": "https://evil.example"}
    answer = httpx.post(term.url + "/api/v1/orders/cancel-all", headers=headers)
    assert answer.status_code == 403
    assert answer.json()["type"] == "/api/v1/problems/origin-not-allowed"
    preflight = httpx.options(term.url + "/api/v1/orders", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers
    same = httpx.get(term.url + "/api/v1/health",
                     headers={"Origin": f"http://127.0.0.1:{term.port}"})
    assert same.status_code == 200 and "access-control-allow-origin" not in same.headers


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded",
                                   "multipart/form-data; boundary=x"])
def test_non_json_bodies_are_refused_and_change_nothing(
        term: LiveTerminal, tokens: dict[str, str], ctype: str) -> None:
    before = httpx.get(term.url + "/api/v1/orders",
                       headers={"Authorization": f"Bearer {tokens['read']}"}).json()
    body = '{"instrument_id": "BINANCE:NKNUSDT", "side": "buy", "type": "market", ' \
           '"quantity": "50"}'
    answer = httpx.post(term.url + "/api/v1/orders", content=body, headers={
        "Authorization": f"Bearer {tokens['trade']}", "Content-Type": ctype})
    assert answer.status_code == 415
    assert answer.json()["type"] == "/api/v1/problems/unsupported-media-type"
    after = httpx.get(term.url + "/api/v1/orders",
                      headers={"Authorization": f"Bearer {tokens['read']}"}).json()
    assert after == before


def test_revoked_and_expired_tokens_are_refused(term: LiveTerminal,
                                                tokens: dict[str, str]) -> None:
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    created = httpx.post(term.url + "/api/v1/tokens", headers=admin,
                         json={"name": "short lived", "scope": "read"}).json()
    mine = {"Authorization": f"Bearer {created['token']}"}
    assert httpx.get(term.url + "/api/v1/positions", headers=mine).status_code == 200
    assert httpx.delete(f"{term.url}/api/v1/tokens/{created['token_id']}",
                        headers=admin).status_code == 204
    refused = httpx.get(term.url + "/api/v1/positions", headers=mine)
    assert refused.status_code == 401
    assert refused.json()["type"] == "/api/v1/problems/token-revoked"
    listed = {t["token_id"]: t for t in
              httpx.get(term.url + "/api/v1/tokens", headers=admin).json()}
    assert listed[created["token_id"]]["active"] is False
    assert listed[created["token_id"]]["uses"] == 1
    assert listed[created["token_id"]]["last_used_ns"] is not None
    assert "token" not in listed[created["token_id"]]  # the secret is never listed

    expiring = term.token("read", "expiring", expires_in_s=1)
    assert httpx.get(term.url + "/api/v1/positions",
                     headers={"Authorization": f"Bearer {expiring}"}).status_code == 200
    time.sleep(1.1)
    expired = httpx.get(term.url + "/api/v1/positions",
                        headers={"Authorization": f"Bearer {expiring}"})
    assert expired.status_code == 401
    assert expired.json()["type"] == "/api/v1/problems/token-expired"


@pytest.mark.parametrize("value", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer nonsense",
                                   "Bearer tt_000000000000_" + "A" * 43])
def test_malformed_and_unknown_tokens_are_refused(term: LiveTerminal, value: str) -> None:
    answer = httpx.get(term.url + "/api/v1/positions", headers={"Authorization": value})
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")


def _ws_url(term: LiveTerminal) -> str:
    return term.url.replace("http://", "ws://") + "/api/v1/stream"


def test_the_stream_handshake_checks_token_host_and_origin(
        term: LiveTerminal, tokens: dict[str, str]) -> None:
    async def handshake(headers: dict[str, str], url: str | None = None) -> int:
        # the socket goes to our server whatever host the URL names (its Host header)
        sock = socket.create_connection(("127.0.0.1", term.port))
        try:
            async with websockets.connect(url or _ws_url(term), additional_headers=headers,
                                          open_timeout=10, sock=sock):
                return 101
        except websockets.InvalidStatus as exc:
            return exc.response.status_code

    good = {"Authorization": f"Bearer {tokens['read']}"}
    assert asyncio.run(handshake(good)) == 101
    assert asyncio.run(handshake({})) == 401
    assert asyncio.run(handshake({**good, "Origin": "https://evil.example"})) == 403
    rebound = f"ws://evil.example:{term.port}/api/v1/stream"
    assert asyncio.run(handshake(good, rebound)) == 421
    assert asyncio.run(handshake(good, _ws_url(term) + f"?token={tokens['read']}")) == 400


def test_failed_authentications_are_throttled_per_client(tmp_path) -> None:
    term = LiveTerminal(tmp_path, settings(auth_failure_burst=5, auth_failure_rate=0.1),
                        replay=[]).start()
    try:
        good = term.token("read")
        url = term.url + "/api/v1/positions"
        answers = [httpx.get(url, headers={"Authorization": "Bearer wrong"}).status_code
                   for _ in range(7)]
        assert answers[:5] == [401] * 5 and answers[5:] == [429, 429]
        blocked = httpx.get(url, headers={"Authorization": f"Bearer {good}"})
        assert blocked.status_code == 429  # even a good token waits: no guessing while blocked
        assert blocked.json()["type"] == "/api/v1/problems/auth-throttled"
        assert int(blocked.headers["retry-after"]) >= 1
        assert httpx.get(term.url + "/api/v1/health").status_code == 200
    finally:
        term.stop()


def test_a_burst_gets_429_with_retry_after_and_ratelimit_headers(tmp_path) -> None:
    tiers = {"read": Tier(rate=1.0, burst=5), "trade": Tier(rate=1.0, burst=2),
             "admin": Tier(rate=1.0, burst=2), "pairing": Tier(rate=0.1, burst=1)}
    term = LiveTerminal(tmp_path, settings(tiers=tiers), replay=[]).start()
    try:
        token, other = term.token("read"), term.token("read", "other")
        url = term.url + "/api/v1/positions"
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}) as client:
            answers = [client.get(url) for _ in range(8)]
        codes = [a.status_code for a in answers]
        assert codes.count(200) in (5, 6) and codes[-1] == 429  # 6 if a refill slipped in
        ok, limited = answers[0], answers[-1]
        assert ok.headers["ratelimit-limit"] == "5"
        assert int(ok.headers["ratelimit-remaining"]) == 4
        assert "retry-after" not in ok.headers
        assert limited.json()["type"] == "/api/v1/problems/rate-limited"
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.headers["ratelimit-remaining"] == "0"
        # budgets are per token
        assert httpx.get(url, headers={"Authorization": f"Bearer {other}"}).status_code == 200
    finally:
        term.stop()
