"""Coinbase public market data over the Exchange websocket feed.

One connection subscribes every product to the configured channels. Frames go through the
replay's tested decoder (`plugins.replay.formats.cryptofeed_coinbase`). level2 has no
sequence: the engine's book (generic rules) goes stale when it crosses, and the resync is a
level2 unsubscribe + subscribe of that product, which brings a fresh snapshot; resyncs go
through the per-host budget. Every reconnection subscribes again (a snapshot per product).
"""

from __future__ import annotations

import orjson
from websockets.asyncio.client import ClientConnection

from plugins.binance.feed import StreamingDataClient
from plugins.binance.hostgate import gate_for
from plugins.binance.stream import ResilientStream, StreamSettings
from plugins.coinbase.config import CoinbaseConfig
from plugins.coinbase.instrument_provider import CoinbaseInstrumentProvider
from plugins.replay.formats.cryptofeed_coinbase import CoinbaseDecoder
from terminal.model.ids import InstrumentId
from terminal.model.instrument import Instrument
from terminal.plugin_host.base import PluginContext

VENUE = "COINBASE"


class CoinbaseDataClient(StreamingDataClient):
    plugin_id = "coinbase"

    def __init__(self, context: PluginContext, config: CoinbaseConfig) -> None:
        super().__init__(context, gate_for(config.ws_url, config.resync_rate,
                                           config.resync_burst))
        self.config = config
        self._decoder = CoinbaseDecoder()
        self._ws: ClientConnection | None = None
        self.instrument_ids = {InstrumentId(VENUE, p) for p in config.products}
        settings = StreamSettings(config.backoff_initial_s, config.backoff_max_s,
                                  config.silence_timeout_s)
        self.streams = [ResilientStream("feed", lambda: config.ws_url, self._opened,
                                        self._frame, settings, self.report("feed"))]

    async def _opened(self, ws: ClientConnection) -> None:
        self._ws = ws
        await ws.send(orjson.dumps({"type": "subscribe", "product_ids": self.config.products,
                                    "channels": self.config.channels}).decode())

    def _frame(self, data: str | bytes, ts_ns: int) -> None:
        self.deliver(self._decoder.decode, data, ts_ns, "coinbase ws")

    async def instruments(self) -> list[Instrument]:
        if not self.config.load_instruments:
            return []
        return await self.subscribed_instruments(
            CoinbaseInstrumentProvider(self.config.rest_url).load, "coinbase: products")

    async def resync(self, iid: InstrumentId) -> None:
        ws = self._ws
        if ws is None:
            raise ConnectionError("not connected")
        for kind in ("unsubscribe", "subscribe"):
            await ws.send(orjson.dumps({"type": kind, "product_ids": [iid.symbol],
                                        "channels": ["level2"]}).decode())
