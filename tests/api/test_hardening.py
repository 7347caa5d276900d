"""Inputs that once got through or broke something, each with the answer it gets now."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys

import httpx
import orjson
import pytest
import websockets

from tests.api.live import LiveTerminal

NKN = "BINANCE:NKNUSDT"


@pytest.fixture(scope="module")
def tokens(live: LiveTerminal) -> dict[str, str]:
    return {scope: live.token(scope) for scope in ("read", "trade", "admin")}


def raw(live: LiveTerminal, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", live.port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
            if b"\r\n\r\n" in answer and len(answer) > 200:
                break
    return answer


@pytest.mark.parametrize("field", ["quantity", "price"])
def test_a_json_true_is_not_the_number_one(live: LiveTerminal, tokens: dict[str, str],
                                           field: str) -> None:
    before = httpx.get(live.url + "/api/v1/orders", headers={
        "Authorization": f"Bearer {tokens['read']}"}).json()
    body = {"instrument_id": NKN, "side": "buy", "type": "limit", "quantity": "100",
            "price": "0.3500", field: True}
    answer = httpx.post(live.url + "/api/v1/orders", json=body,
                        headers={"Authorization": f"Bearer {tokens['trade']}"})
    assert answer.status_code == 422
    assert answer.json()["type"] == "/api/v1/problems/validation-error"
    assert httpx.get(live.url + "/api/v1/orders", headers={
        "Authorization": f"Bearer {tokens['read']}"}).json() == before


def test_a_client_order_id_with_a_final_newline_is_refused(live: LiveTerminal,
                                                           tokens: dict[str, str]) -> None:
    answer = httpx.post(live.url + "/api/v1/orders", headers={
        "Authorization": f"Bearer {tokens['trade']}"}, json={
        "instrument_id": NKN, "side": "buy", "type": "market", "quantity": "40",
        "client_order_id": "nl1\n"})
    assert answer.status_code == 422


@pytest.mark.parametrize("header", [b"Host: evil.example", b"Authorization: Bearer x"])
def test_a_deciding_header_given_twice_is_refused(live: LiveTerminal, tokens: dict[str, str],
                                                  header: bytes) -> None:
    request = (f"GET /api/v1/positions HTTP/1.1\r\nHost: 127.0.0.1:{live.port}\r\n"
               f"Authorization: Bearer {tokens['read']}\r\n").encode() + header + \
        b"\r\nConnection: close\r\n\r\n"
    answer = raw(live, request)
    assert answer.startswith(b"HTTP/1.1 400") and b"ambiguous-request" in answer


def test_a_huge_declared_body_is_refused_before_it_is_read(live: LiveTerminal,
                                                           tokens: dict[str, str]) -> None:
    request = (f"POST /api/v1/orders HTTP/1.1\r\nHost: 127.0.0.1:{live.port}\r\n"
               f"Authorization: Bearer {tokens['trade']}\r\nContent-Type: application/json\r\n"
               "Content-Length: 100000000\r\nConnection: close\r\n\r\n{}").encode()
    answer = raw(live, request)
    assert answer.startswith(b"HTTP/1.1 413") and b"payload-too-large" in answer


def test_a_chunked_json_body_needs_a_length(live: LiveTerminal, tokens: dict[str, str]) -> None:
    def chunks():
        yield b'{"instrument_id": "BINANCE:NKNUSDT", '
        yield b'"side": "buy", "type": "market", "quantity": "40"}'

    answer = httpx.post(live.url + "/api/v1/orders", content=chunks(), headers={
        "Authorization": f"Bearer {tokens['trade']}", "Content-Type": "application/json"})
    assert answer.status_code == 411


def test_risk_limits_beyond_any_sane_size_are_refused(live: LiveTerminal,
                                                     tokens: dict[str, str]) -> None:
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    for value in ("1e400", 10**30):
        answer = httpx.patch(live.url + "/api/v1/risk/limits", headers=admin,
                             json={"limits": {"max_working_orders": value}})
        assert answer.status_code == 422, value
        assert "too large" in answer.json()["detail"] or "not" in answer.json()["detail"]


def test_a_binary_subscribe_frame_gets_an_error_and_a_close(live: LiveTerminal,
                                                            tokens: dict[str, str]) -> None:
    async def scenario() -> None:
        url = live.url.replace("http://", "ws://") + "/api/v1/stream"
        ws = await websockets.connect(url, additional_headers={
            "Authorization": f"Bearer {tokens['read']}"})
        await ws.send(b"\x00\x01\x02")
        assert orjson.loads(await ws.recv())["type"] == "error"
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400

    asyncio.run(scenario())


def test_resuming_from_beyond_the_head_is_told_to_resync(live: LiveTerminal,
                                                         tokens: dict[str, str]) -> None:
    async def scenario() -> None:
        url = live.url.replace("http://", "ws://") + "/api/v1/stream"
        async with websockets.connect(url, additional_headers={
                "Authorization": f"Bearer {tokens['read']}"}) as ws:
            await ws.send(orjson.dumps({"op": "subscribe", "channels": ["orders"],
                                        "resume_from": 10**9}).decode())
            notice = orjson.loads(await ws.recv())
            assert notice["resume_gap"]["head"] == notice["head"] < 10**9
            assert "restarted" in notice["resume_gap"]["detail"]

    asyncio.run(scenario())


def test_a_token_expiry_beyond_ten_years_is_a_usage_error(tmp_path) -> None:
    done = subprocess.run([sys.executable, "-m", "terminal", "token", "create", "--data-dir",
                           str(tmp_path), "--name", "ok", "--scope", "read", "--expires",
                           "99999999999d"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "10 years" in done.stderr
    assert "Traceback" not in done.stderr


def test_status_says_when_the_replay_has_ended(live: LiveTerminal, tokens: dict[str, str]
                                               ) -> None:
    live.wait_replayed()
    status = httpx.get(live.url + "/api/v1/status",
                       headers={"Authorization": f"Bearer {tokens['read']}"}).json()
    assert status["replaying"] is False


def test_an_allowed_tunnel_host_is_answered(tmp_path) -> None:
    from tests.api.live import settings

    term = LiveTerminal(tmp_path, settings(extra_hosts=("hooks.example.com",)),
                        replay=[]).start()
    try:
        ok = httpx.get(term.url + "/api/v1/health", headers={"Host": "hooks.example.com"})
        assert ok.status_code == 200
        other = httpx.get(term.url + "/api/v1/health", headers={"Host": "evil.example.com"})
        assert other.status_code == 421
    finally:
        term.stop()
