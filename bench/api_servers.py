"""The two servers the API benchmark loads, each in a process of its own.

`terminal`: the real engine (paper broker, the Binance capture replayed, three filled
orders so there are positions to list) serving the local API with roomy rate limits.
`hello`: a bare FastAPI app with one JSON route on the same uvicorn settings.
Each prints one JSON line {"url", "token"} when it is ready, then serves until stdin closes.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

import orjson

from bench.common import SHARED_DATA

CAPTURE = SHARED_DATA / "ws" / "cryptofeed__BINANCE.ws.1.0"
INSTRUMENTS = SHARED_DATA / "ref" / "cryptofeed__BINANCE.0"


async def _until_stdin_closes() -> None:
    await asyncio.to_thread(sys.stdin.read)


async def terminal() -> None:
    from local_api.settings import ApiSettings, Tier
    from terminal.app import DEFAULT_BALANCES, Engine, EngineOptions
    from terminal.model.ids import InstrumentId
    from terminal.services.order_request import OrderRequest

    roomy = {n: Tier(rate=1e9, burst=10**9) for n in ("read", "trade", "admin", "pairing")}
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine(EngineOptions(
            data_dir=Path(tmp), replay_paths=[CAPTURE], instrument_files=[INSTRUMENTS],
            speed="max", starting_balances={**DEFAULT_BALANCES, "NKN": "500"},
            api=ApiSettings(port=0, tiers=roomy)))
        await engine.start()
        await engine.run()
        assert engine.orders is not None and engine.api_server is not None
        for qty in ("100", "150", "200"):
            await engine.orders.submit(OrderRequest(InstrumentId("BINANCE", "NKNUSDT"), "buy",
                                                    "market", qty, source="bench"))
        token, _ = engine.api_server.tokens.create("bench", "read")
        print(orjson.dumps({"url": engine.api_server.url, "token": token}).decode(),
              flush=True)
        runner = asyncio.ensure_future(engine.run(stay=True))
        await _until_stdin_closes()
        engine.request_stop()
        await runner
        await engine.stop()


async def hello() -> None:
    import socket

    import uvicorn
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/hello")
    async def say_hello() -> dict[str, str]:
        return {"hello": "world"}

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off",
                            ws="none", server_header=False)
    server = uvicorn.Server(config)
    task = asyncio.ensure_future(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    port = sock.getsockname()[1]
    print(orjson.dumps({"url": f"http://127.0.0.1:{port}", "token": None}).decode(),
          flush=True)
    await _until_stdin_closes()
    server.should_exit = True
    await task


if __name__ == "__main__":
    asyncio.run(terminal() if sys.argv[1] == "terminal" else hello())
