"""`--live binance` (what `make run` uses when Binance is reachable): the engine connects
the live data plugin at start. Here "live" is the local exchange server replaying the real
Binance capture, so the books the terminal keeps can be checked."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from terminal.app import Engine, EngineOptions
from terminal.netcheck import reachable
from tests.exchange_sim.server import running
from tests.plugins.test_binance_connector import IIDS, capture_books, settings, venue


def test_the_engine_connects_the_live_feed_at_start(tmp_path: Path) -> None:
    truth = capture_books()

    async def scenario() -> None:
        async with running(binance=venue()) as sim:
            engine = Engine(EngineOptions(data_dir=tmp_path,
                                          connect=[("binance", settings(sim))]))
            await engine.start()
            assert "binance" in engine.connectors and not engine.errors
            runner = asyncio.ensure_future(engine.run(stay=True))
            try:
                loop = asyncio.get_running_loop()
                deadline = loop.time() + 30
                while loop.time() < deadline and not (
                        sim.venues["binance"].tape.finished.is_set()
                        and engine.market_data.events["book_delta"] >= 177
                        and all(engine.books.is_usable(i) for i in IIDS)):
                    await asyncio.sleep(0.05)
                for iid in IIDS:
                    assert engine.books.levels(iid, 50) == truth.levels(iid, 50), iid
            finally:
                engine.request_stop()
                await runner
                await engine.stop()

    asyncio.run(scenario())


def test_an_unreachable_feed_keeps_retrying_and_the_terminal_runs_on(tmp_path: Path
                                                                       ) -> None:
    async def scenario() -> None:
        engine = Engine(EngineOptions(data_dir=tmp_path, connect=[
            ("binance", {"symbols": ["BTCUSDT"], "rest_url": "http://127.0.0.1:9",
                         "ws_url": "ws://127.0.0.1:9", "load_instruments": False,
                         "backoff_initial_s": 0.05, "backoff_max_s": 0.2})]))
        await engine.start()
        runner = asyncio.ensure_future(engine.run(stay=True))
        try:
            assert engine.orders is not None  # the paper broker is up
            feed = engine.connectors["binance"].data
            assert feed is not None
            await asyncio.sleep(1.0)
            assert feed.stats()["state"] != "connected"
            assert engine.market_data.events.total() == 0
        finally:
            engine.request_stop()
            await runner
            await engine.stop()

    asyncio.run(scenario())


def test_netcheck_tells_a_listening_port_from_a_closed_one() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        assert reachable("127.0.0.1", port)
    assert not reachable("127.0.0.1", port)
