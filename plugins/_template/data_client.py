"""A websocket feed: `{"type": "trade", "symbol", "price", "size", "side", "ts"}` and
`{"type": "quote", "symbol", "bid", "bid_size", "ask", "ask_size", "ts"}` (ts in ms).

Rules this follows (docs/plugin-guide.md): everything runs on the engine's loop and never
blocks it; reconnects wait a jittered exponential backoff; a bad frame is an InputProblem,
not a crash; `disconnect` ends `run` promptly; no secret reaches a log.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from plugins._template.config import TemplateConfig
from terminal.model.ids import InstrumentId
from terminal.model.market import Aggressor, Quote, Trade
from terminal.plugin_host.base import DataClient, InputProblem, PluginContext

VENUE = "TEMPLATE"
MS = 1_000_000


class TemplateDataClient(DataClient):
    def __init__(self, context: PluginContext, config: TemplateConfig) -> None:
        self._ctx = context
        self._config = config
        self._stop = asyncio.Event()
        self.connects = 0
        self.bad_frames = 0
        self.last_error: str | None = None

    async def connect(self) -> None:
        self._stop.clear()

    async def disconnect(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            try:
                async with connect(self._config.url, open_timeout=5) as ws:
                    self.connects += 1
                    attempt = 0
                    await ws.send(json.dumps({"subscribe": self._config.symbols}))
                    while not self._stop.is_set():
                        recv = asyncio.ensure_future(ws.recv())
                        stop = asyncio.ensure_future(self._stop.wait())
                        done, _ = await asyncio.wait({recv, stop},
                                                     return_when=asyncio.FIRST_COMPLETED)
                        stop.cancel()
                        if recv not in done:
                            recv.cancel()
                            return
                        self._frame(recv.result())
            except (OSError, TimeoutError, ConnectionClosed, InvalidHandshake,
                    InvalidURI) as exc:
                self.last_error = type(exc).__name__
            ceiling = min(self._config.backoff_max_s,
                          self._config.backoff_initial_s * 2.0 ** min(attempt, 30))
            attempt += 1
            delay = ceiling / 2 + random.uniform(0, ceiling / 2)
            with contextlib.suppress(TimeoutError):  # a disconnect cuts the wait short
                await asyncio.wait_for(self._stop.wait(), delay)

    def _frame(self, data: str | bytes) -> None:
        sink = self._ctx.market_data
        try:
            msg: Any = json.loads(data)
            iid = InstrumentId(VENUE, str(msg["symbol"]).upper())
            ts = int(msg["ts"]) * MS
            now = time.time_ns()
            if msg["type"] == "trade":
                side = Aggressor.BUY if msg.get("side") == "buy" else Aggressor.SELL
                sink.on_trade(Trade(iid, float(msg["price"]), float(msg["size"]), side,
                                    str(msg.get("id", "")), ts, now))
            elif msg["type"] == "quote":
                sink.on_quote(Quote(iid, float(msg["bid"]), float(msg["bid_size"]),
                                    float(msg["ask"]), float(msg["ask_size"]), ts, now))
            else:
                raise ValueError(f"unknown type {msg['type']!r}")
        except (ValueError, KeyError, TypeError) as exc:
            self.bad_frames += 1
            sink.on_input_problem(InputProblem("template ws", self.bad_frames,
                                               f"bad frame: {exc}"))

    def stats(self) -> dict[str, Any]:
        return {"connects": self.connects, "bad_frames": self.bad_frames,
                "last_error": self.last_error}
