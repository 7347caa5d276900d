"""Pairing a phone against the real server: codes (single use, expiry, lockout), device
tokens (refresh, rotation, reuse detection), scopes, revocation that closes the device's
stream, the TLS listener pinned by fingerprint, and sync across missed fills."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
import websockets

from local_api.pairing.pinning import PinMismatch, connect_pinned
from local_api.pairing.service import confirmation_of, normalise_code
from local_api.settings import DEFAULT_TIERS, Tier
from tests.api.live import LiveTerminal, settings

NKN = "BINANCE:NKNUSDT"
# every test here pairs from 127.0.0.1: the per-client pairing budget is widened
ROOMY = {**DEFAULT_TIERS, "pairing": Tier(rate=100.0, burst=1000)}


@pytest.fixture(scope="module")
def term(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveTerminal]:
    terminal = LiveTerminal(tmp_path_factory.mktemp("pairing"),
                            settings(auth_failure_burst=1000, lan_host="127.0.0.1",
                                     lan_port=0, tiers=ROOMY)).start()
    terminal.wait_replayed()
    yield terminal
    terminal.stop()


def offer(term: LiveTerminal, scope: str = "trade", ttl_s: int = 300) -> Any:
    service = term.engine.api_server.pairing  # type: ignore[union-attr]
    return term.call(lambda: service.start(scope, ttl_s))


def complete(term: LiveTerminal, code: str, name: str = "phone") -> httpx.Response:
    return httpx.post(term.url + "/api/v1/pairing/complete",
                      json={"code": code, "device_name": name, "platform": "test"})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_code_pairs_a_device_once_and_both_sides_see_the_same_confirmation(
        term: LiveTerminal) -> None:
    made = offer(term, "trade")
    assert made.url.startswith("https://127.0.0.1:") and f"pair={made.code}" in made.url
    assert f"fp={made.fingerprint}" in made.url and len(made.fingerprint) == 64
    answer = complete(term, made.code.lower())  # codes are typed loosely on phones
    assert answer.status_code == 201, answer.text
    creds = answer.json()
    assert creds["scope"] == "trade" and creds["token_type"] == "Bearer"
    assert creds["access_token"].startswith("eyJ") and creds["expires_in"] == 900
    service = term.engine.api_server.pairing  # type: ignore[union-attr]
    device_id, confirmation = term.call(lambda: service.outcome(made.code))
    assert device_id == creds["device_id"]
    assert confirmation == creds["confirmation"] == \
        confirmation_of(normalise_code(made.code), device_id)
    again = complete(term, made.code)
    assert again.status_code == 401
    assert again.json()["type"] == "/api/v1/problems/pairing-failed"
    assert "used" in again.json()["detail"]
    positions = httpx.get(term.url + "/api/v1/positions", headers=bearer(creds["access_token"]))
    assert positions.status_code == 200
    admin = term.token("admin")
    devices = httpx.get(term.url + "/api/v1/devices", headers=bearer(admin)).json()
    mine = next(d for d in devices if d["token_id"] == device_id)
    assert mine["kind"] == "device" and mine["scope"] == "trade" and mine["name"] == "phone"


def test_an_expired_code_is_refused(term: LiveTerminal) -> None:
    made = offer(term, "read", ttl_s=1)
    time.sleep(1.2)
    answer = complete(term, made.code)
    assert answer.status_code == 401 and "expired" in answer.json()["detail"]


def test_a_read_device_cannot_trade(term: LiveTerminal) -> None:
    creds = complete(term, offer(term, "read").code).json()
    order = {"instrument_id": NKN, "side": "buy", "type": "market", "quantity": "50"}
    refused = httpx.post(term.url + "/api/v1/orders", json=order,
                         headers=bearer(creds["access_token"]))
    assert refused.status_code == 403
    assert refused.json()["type"] == "/api/v1/problems/forbidden-scope"


def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_device(
        term: LiveTerminal) -> None:
    first = complete(term, offer(term, "read").code).json()
    grant = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    second = httpx.post(term.url + "/api/v1/pairing/token", json=grant)
    assert second.status_code == 200, second.text
    renewed = second.json()
    assert renewed["refresh_token"] != first["refresh_token"]
    assert renewed["device_id"] == first["device_id"] and renewed["confirmation"] is None
    ok = httpx.get(term.url + "/api/v1/account", headers=bearer(renewed["access_token"]))
    assert ok.status_code == 200
    replayed = httpx.post(term.url + "/api/v1/pairing/token", json=grant)
    assert replayed.status_code == 401
    assert replayed.json()["type"] == "/api/v1/problems/token-revoked"
    for token in (first["access_token"], renewed["access_token"]):
        cut = httpx.get(term.url + "/api/v1/account", headers=bearer(token))
        assert cut.status_code == 401 and cut.json()["type"].endswith("token-revoked")
    newest = {"grant_type": "refresh_token", "refresh_token": renewed["refresh_token"]}
    assert httpx.post(term.url + "/api/v1/pairing/token", json=newest).status_code == 401


def test_a_forged_or_tampered_access_token_is_refused(term: LiveTerminal) -> None:
    creds = complete(term, offer(term, "read").code).json()
    header, claims, signature = creds["access_token"].split(".")
    forged = f"{header}.{claims}.{'A' * len(signature)}"
    answer = httpx.get(term.url + "/api/v1/account", headers=bearer(forged))
    assert answer.status_code == 401


def test_revoking_a_device_cuts_its_stream_at_once(term: LiveTerminal) -> None:
    creds = complete(term, offer(term, "read").code).json()
    admin = term.token("admin")
    url = term.url.replace("http://", "ws://") + "/api/v1/stream"

    async def scenario() -> None:
        # the browser's way: the token as a subprotocol, never in the URL
        ws = await websockets.connect(url, subprotocols=[
            "tt.v1", "bearer." + creds["access_token"]])  # type: ignore[list-item]
        assert ws.subprotocol == "tt.v1"
        await ws.send(orjson.dumps({"op": "subscribe", "channels": ["orders"]}).decode())
        assert orjson.loads(await ws.recv())["type"] == "subscribed"
        gone = await asyncio.to_thread(
            httpx.delete, f"{term.url}/api/v1/devices/{creds['device_id']}",
            headers=bearer(admin))
        assert gone.status_code == 204
        with pytest.raises(websockets.ConnectionClosed) as closed:
            async with asyncio.timeout(10):
                await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401

    asyncio.run(scenario())
    refused = httpx.get(term.url + "/api/v1/account", headers=bearer(creds["access_token"]))
    assert refused.status_code == 401


def test_the_lan_listener_speaks_tls_only_and_is_pinned_by_the_qr_fingerprint(
        term: LiveTerminal) -> None:
    made = offer(term, "read")
    server = term.engine.api_server  # type: ignore[union-attr]
    port = server.lan_port
    sock = connect_pinned("127.0.0.1", port, made.fingerprint)
    try:
        sock.sendall(f"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                     "Connection: close\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    finally:
        sock.close()
    assert answer.startswith(b"HTTP/1.1 200") and b'"status":"ok"' in answer
    wrong = "0" * 64
    with pytest.raises(PinMismatch):
        connect_pinned("127.0.0.1", port, wrong)
    with pytest.raises(httpx.HTTPError):  # no plain HTTP off loopback
        httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=5)


def test_a_device_offline_across_fills_syncs_exactly_what_it_missed(term: LiveTerminal) -> None:
    creds = complete(term, offer(term, "read").code).json()
    device = bearer(creds["access_token"])
    head = httpx.get(term.url + "/api/v1/sync", params={"since": 0, "limit": 1},
                     headers=device).json()["head"]
    trade = bearer(term.token("trade"))
    placed = [httpx.post(term.url + "/api/v1/orders", headers=trade, json={
        "instrument_id": NKN, "side": "buy", "type": "market", "quantity": qty}).json()
        for qty in ("70", "71")]
    page = httpx.get(term.url + "/api/v1/sync", params={"since": head}, headers=device).json()
    events = page["events"]
    assert not page["resync"] and page["next_since"] == page["head"] == events[-1]["seq"]
    assert [e["seq"] for e in events] == list(range(head + 1, page["head"] + 1))
    fills = [e for e in events if e["channel"] == "fills"]
    assert [f["data"]["client_order_id"] for f in fills] == \
        [p["client_order_id"] for p in placed]
    statuses = [(e["data"]["client_order_id"], e["data"]["status"]) for e in events
                if e["channel"] == "orders"]
    for order in placed:
        mine = [s for c, s in statuses if c == order["client_order_id"]]
        assert mine[-1] == "filled"
    assert any(e["channel"] == "positions" for e in events)
    # paging: one at a time walks the same events
    walked, since = [], head
    while since < page["head"]:
        one = httpx.get(term.url + "/api/v1/sync", params={"since": since, "limit": 1},
                        headers=device).json()
        walked += one["events"]
        since = one["next_since"]
    assert walked == events


def test_a_device_that_fell_out_of_the_retention_window_is_told_to_resync(
        term: LiveTerminal) -> None:
    creds = complete(term, offer(term, "read").code).json()
    repo = term.engine.db.pairing  # type: ignore[union-attr]
    _, head_before = term.call(repo.event_bounds)
    term.call(lambda: repo.prune_events(time.time_ns()))  # the retention window has passed
    term.call(lambda: repo.append_events([(time.time_ns(), "alerts", None, {"n": 1})]))
    oldest, head = term.call(repo.event_bounds)
    assert oldest == head > head_before  # numbers are never handed out again
    page = httpx.get(term.url + "/api/v1/sync", params={"since": head_before - 1},
                     headers=bearer(creds["access_token"])).json()
    assert page["resync"] is True and page["events"] == []
    assert page["next_since"] == page["head"] == head
    current = httpx.get(term.url + "/api/v1/sync", params={"since": head_before},
                        headers=bearer(creds["access_token"])).json()
    assert not current["resync"] and [e["data"] for e in current["events"]] == [{"n": 1}]


def test_wrong_codes_lock_the_client_out(tmp_path) -> None:
    term = LiveTerminal(tmp_path, settings(auth_failure_burst=3, auth_failure_rate=0.01),
                        replay=[]).start()
    try:
        made = offer(term, "read")
        misses = [complete(term, "WRONG-CODE1").status_code for _ in range(3)]
        assert misses == [401, 401, 401]
        locked = complete(term, made.code)  # even the right code waits now
        assert locked.status_code == 429
        assert locked.json()["type"] == "/api/v1/problems/auth-throttled"
        assert int(locked.headers["retry-after"]) >= 1
    finally:
        term.stop()
