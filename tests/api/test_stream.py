"""The websocket stream against the real server: channels and instruments, sequence
numbers, resume after a disconnect returning exactly the missed messages, the resume gap,
and a slow client closed with the sequence number to resume from."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
import websockets

from terminal.core.topics import Kind
from tests.api.live import LiveTerminal, settings

NKN = "BINANCE:NKNUSDT"


@pytest.fixture(scope="module")
def term(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveTerminal]:
    terminal = LiveTerminal(tmp_path_factory.mktemp("stream"),
                            settings(stream_queue=100, stream_history=5000)).start()
    terminal.wait_replayed()
    yield terminal
    terminal.stop()


def ws_url(term: LiveTerminal) -> str:
    return term.url.replace("http://", "ws://") + "/api/v1/stream"


async def subscribe(term: LiveTerminal, token: str, **request: Any) -> Any:
    ws = await websockets.connect(ws_url(term),
                                  additional_headers={"Authorization": f"Bearer {token}"})
    await ws.send(orjson.dumps({"op": "subscribe", **request}).decode())
    notice = orjson.loads(await ws.recv())
    assert notice["type"] == "subscribed", notice
    return ws, notice


async def receive_until(ws: Any, done: Any, timeout: float = 10) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        while True:
            message = orjson.loads(await ws.recv())
            if "seq" not in message:
                continue
            got.append(message)
            if done(got):
                return got


def place_market(term: LiveTerminal, token: str, qty: str) -> dict[str, Any]:
    answer = httpx.post(term.url + "/api/v1/orders", headers={"Authorization":
                                                                f"Bearer {token}"},
                        json={"instrument_id": NKN, "side": "buy", "type": "market",
                              "quantity": qty})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def fills_of(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if m["channel"] == "fills"]


def test_resume_returns_exactly_the_missed_messages(term: LiveTerminal) -> None:
    read, trade = term.token("read"), term.token("trade")

    async def scenario() -> None:
        witness, _ = await subscribe(term, read, channels=["orders", "fills"])
        client, first_notice = await subscribe(term, read, channels=["orders", "fills"])
        first = await asyncio.to_thread(place_market, term, trade, "30")
        seen = await receive_until(client, lambda got: len(fills_of(got)) == 1)
        assert seen[-1]["data"]["client_order_id"] == first["client_order_id"]
        assert [m["seq"] for m in seen] == sorted(m["seq"] for m in seen)
        assert seen[0]["seq"] > first_notice["head"]
        last = seen[-1]["seq"]
        await client.close()
        missed = [await asyncio.to_thread(place_market, term, trade, qty)
                  for qty in ("31", "32")]
        again, notice = await subscribe(term, read, channels=["orders", "fills"],
                                        resume_from=last)
        assert "resume_gap" not in notice
        replayed = [orjson.loads(await again.recv()) for _ in range(notice["replayed"])]
        truth = await receive_until(witness, lambda got: got[-1]["seq"] >= replayed[-1]["seq"])
        expected = [m for m in truth if m["seq"] > last]
        assert replayed == expected  # every one missed, in order, none twice, no other
        assert [m["data"]["client_order_id"] for m in fills_of(expected)] == \
            [o["client_order_id"] for o in missed]
        # and then live again, with no repeat
        fourth = await asyncio.to_thread(place_market, term, trade, "33")
        live = await receive_until(again, lambda got: len(fills_of(got)) == 1)
        assert live[0]["seq"] > expected[-1]["seq"]
        assert fills_of(live)[0]["data"]["client_order_id"] == fourth["client_order_id"]
        await again.close()
        await witness.close()

    asyncio.run(scenario())


def test_instrument_filter_and_channels(term: LiveTerminal) -> None:
    read = term.token("read")

    async def scenario() -> None:
        ws, notice = await subscribe(term, read, channels=["alerts"],
                                     instruments=["binance:nknusdt"])
        assert notice["instruments"] == [NKN] and notice["channels"] == ["alerts"]

        def emit() -> None:
            bus = term.engine.bus  # type: ignore[union-attr]
            bus.emit(Kind.ALERT, "BINANCE:RUNEEUR", {"n": 1})
            bus.emit(Kind.ALERT, NKN, {"n": 2})
            bus.emit(Kind.ALERT, NKN, {"n": 3})

        term.call(emit)
        got = await receive_until(ws, lambda got: len(got) == 2)
        assert [m["data"]["n"] for m in got] == [2, 3]
        assert all(m["instrument"] == NKN and m["channel"] == "alerts" for m in got)
        await ws.close()

    asyncio.run(scenario())


def test_a_resume_from_beyond_the_history_says_so(term: LiveTerminal) -> None:
    read = term.token("read")

    async def scenario() -> None:
        def flood() -> None:
            for i in range(6000):  # more than the 5000 kept
                term.engine.bus.emit(Kind.ALERT, None, {"i": i})  # type: ignore[union-attr]

        ws, notice = await subscribe(term, read, channels=["system"])
        await ws.close()
        term.call(flood)
        again, notice = await subscribe(term, read, channels=["alerts"], resume_from=1)
        assert notice["resume_gap"]["requested"] == 2
        assert notice["resume_gap"]["oldest"] > 2
        assert notice["replayed"] <= 5000
        await again.close()

    asyncio.run(scenario())


def test_a_slow_client_is_closed_with_where_to_resume(term: LiveTerminal) -> None:
    read = term.token("read")

    async def scenario() -> None:
        ws, notice = await subscribe(term, read, channels=["alerts"])
        head = notice["head"]

        def burst() -> None:  # one loop turn: the sender cannot keep up with 400 at once
            for i in range(400):
                term.engine.bus.emit(Kind.ALERT, None, {"i": i})  # type: ignore[union-attr]

        term.call(burst)
        received = []
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                received.append(orjson.loads(await ws.recv()))
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4008
        resume_from = int(closed.value.rcvd.reason.rsplit(" ", 1)[1])
        assert len(received) == 100 and received[-1]["seq"] == resume_from
        assert [m["data"]["i"] for m in received] == list(range(100))
        again, notice = await subscribe(term, read, channels=["alerts"],
                                        resume_from=resume_from)
        assert notice["replayed"] == 300
        rest = [orjson.loads(await again.recv()) for _ in range(300)]
        assert [m["data"]["i"] for m in rest] == list(range(100, 400))
        assert rest[0]["seq"] == resume_from + 1 and rest[-1]["seq"] == head + 400
        await again.close()
        # the terminal was never held up: the API still answers at once
        assert httpx.get(term.url + "/api/v1/health").status_code == 200

    asyncio.run(scenario())


def test_a_bad_subscribe_message_gets_an_error_and_a_close(term: LiveTerminal) -> None:
    read = term.token("read")

    async def scenario() -> None:
        for bad in ('{"op": "subscribe", "channels": ["nope"]}', "not json",
                    '{"op": "subscribe", "resume_from": -1}'):
            ws = await websockets.connect(ws_url(term), additional_headers={
                "Authorization": f"Bearer {read}"})
            await ws.send(bad)
            error = orjson.loads(await ws.recv())
            assert error["type"] == "error" and error["detail"]
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400

    asyncio.run(scenario())


def test_system_events_reach_a_client_that_filters_instruments(term: LiveTerminal) -> None:
    read = term.token("read")

    async def scenario() -> None:
        ws, _ = await subscribe(term, read, channels=["system"], instruments=[NKN])
        term.call(lambda: term.engine.bus.emit(  # type: ignore[union-attr]
            Kind.CONNECTION, "replay", {"plugin_id": "replay", "state": "disconnected"}))
        got = await receive_until(ws, lambda got: len(got) == 1)
        assert "instrument" not in got[0]
        assert got[0]["data"] == {"event": "connection", "subject": "replay",
                                  "plugin_id": "replay", "state": "disconnected"}
        await ws.close()

    asyncio.run(scenario())
