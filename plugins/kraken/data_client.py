"""Kraken public market data over websocket v1.

One connection subscribes every pair to each configured channel. Frames go through the
replay's tested decoder (`plugins.replay.formats.cryptofeed_kraken`), which merges every
payload of a frame (CASES 1). The engine's book verifies each CRC32 checksum; a mismatch
makes it stale, and the resync is a book unsubscribe + subscribe of that pair (a fresh
snapshot), through the per-host budget. Heartbeats keep an idle connection from counting
as silent.
"""

from __future__ import annotations

from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection

from plugins.binance.feed import StreamingDataClient
from plugins.binance.hostgate import gate_for
from plugins.binance.stream import ResilientStream, StreamSettings
from plugins.kraken.config import KrakenConfig
from plugins.kraken.instrument_provider import KrakenInstrumentProvider
from plugins.replay.formats.cryptofeed_kraken import KrakenDecoder
from terminal.model.ids import InstrumentId
from terminal.model.instrument import Instrument
from terminal.plugin_host.base import PluginContext

VENUE = "KRAKEN"


class KrakenDataClient(StreamingDataClient):
    plugin_id = "kraken"

    def __init__(self, context: PluginContext, config: KrakenConfig) -> None:
        super().__init__(context, gate_for(config.ws_url, config.resync_rate,
                                           config.resync_burst))
        self.config = config
        self._decoder = KrakenDecoder()
        self._ws: ClientConnection | None = None
        self.instrument_ids = {InstrumentId(VENUE, p) for p in config.pairs}
        settings = StreamSettings(config.backoff_initial_s, config.backoff_max_s,
                                  config.silence_timeout_s)
        self.streams = [ResilientStream("feed", lambda: config.ws_url, self._opened,
                                        self._frame, settings, self.report("feed"))]

    def _subscription(self, channel: str) -> dict[str, Any]:
        return {"name": "book", "depth": self.config.depth} if channel == "book" \
            else {"name": channel}

    async def _opened(self, ws: ClientConnection) -> None:
        self._ws = ws
        for channel in self.config.channels:
            await ws.send(orjson.dumps({"event": "subscribe", "pair": self.config.pairs,
                                        "subscription": self._subscription(channel)}).decode())

    def _frame(self, data: str | bytes, ts_ns: int) -> None:
        self.deliver(self._decoder.decode, data, ts_ns, "kraken ws")

    async def instruments(self) -> list[Instrument]:
        if not self.config.load_instruments:
            return []
        return await self.subscribed_instruments(
            KrakenInstrumentProvider(self.config.rest_url).load, "kraken: AssetPairs")

    async def resync(self, iid: InstrumentId) -> None:
        ws = self._ws
        if ws is None:
            raise ConnectionError("not connected")
        for kind in ("unsubscribe", "subscribe"):
            await ws.send(orjson.dumps({"event": kind, "pair": [iid.symbol],
                                        "subscription": self._subscription("book")}).decode())
