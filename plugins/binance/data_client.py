"""Binance spot public market data: combined websocket streams + REST book snapshots.

Streams per symbol (config `channels`): `@aggTrade`, `@trade`, `@kline_<i>`,
`@depth@100ms` and `@bookTicker`, on one combined stream per 200 symbols. Frames go
through the replay's tested decoder (`plugins.replay.formats.cryptofeed_binance`), the same
code that reads the captures.

Books follow Binance's documented procedure, kept by the engine (`BinanceSpotSync`): diffs
flow from the moment the stream opens (the engine buffers them), the REST snapshot
(`GET /api/v3/depth`) follows, diffs with u <= lastUpdateId are dropped, the first kept one
must straddle lastUpdateId + 1. After every (re)connection each symbol's snapshot is
fetched again; a book the engine marks stale is fetched again. Every snapshot goes through
the per-host budget (`snapshot_rate`, `snapshot_burst`), so a drop of all symbols at once
is no burst of requests; 429/418 answers pause the host for their Retry-After.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from websockets.asyncio.client import ClientConnection

from plugins.binance.config import BinanceConfig
from plugins.binance.feed import StreamingDataClient
from plugins.binance.instrument_provider import BinanceInstrumentProvider
from plugins.binance.klines import backfill
from plugins.binance.rest import BinanceRest
from plugins.binance.stream import OnOpen, ResilientStream, StreamSettings
from plugins.replay.formats.cryptofeed_binance import BinanceDecoder
from terminal.model.ids import InstrumentId
from terminal.model.instrument import Instrument
from terminal.model.market import Bar
from terminal.plugin_host.base import PluginContext

log = logging.getLogger(__name__)

VENUE = "BINANCE"
SYMBOLS_PER_CONNECTION = 200
_SUFFIX = {"trades": "@trade", "agg_trades": "@aggTrade", "depth": "@depth@100ms",
           "book_ticker": "@bookTicker"}


def stream_names(symbols: list[str], channels: list[str], kline_interval: str) -> list[str]:
    names = []
    for symbol in symbols:
        low = symbol.lower()
        for channel in channels:
            suffix = f"@kline_{kline_interval}" if channel == "klines" else _SUFFIX[channel]
            names.append(low + suffix)
    return names


class BinanceDataClient(StreamingDataClient):
    plugin_id = "binance"

    def __init__(self, context: PluginContext, config: BinanceConfig,
                 rest: BinanceRest) -> None:
        super().__init__(context, rest.gate)
        self.config = config
        self.rest = rest
        self._decoder = BinanceDecoder()
        self.instrument_ids = {InstrumentId(VENUE, s) for s in config.symbols}
        settings = StreamSettings(config.backoff_initial_s, config.backoff_max_s,
                                  config.silence_timeout_s,
                                  max_age_s=config.max_connection_age_s)
        chunks = [config.symbols[k:k + SYMBOLS_PER_CONNECTION]
                  for k in range(0, len(config.symbols), SYMBOLS_PER_CONNECTION)]
        self.streams = [ResilientStream(f"market{n}", self._url_of(chunk),
                                        self._opened(chunk), self._frame, settings,
                                        self.report(f"market{n}"))
                        for n, chunk in enumerate(chunks)]

    def _url_of(self, chunk: list[str]) -> Callable[[], str]:
        names = "/".join(stream_names(chunk, self.config.channels, self.config.kline_interval))
        url = f"{self.config.ws_url}/stream?streams={names}"
        return lambda: url

    def _opened(self, chunk: list[str]) -> OnOpen:
        async def opened(_ws: ClientConnection) -> None:
            if "depth" in self.config.channels:
                for symbol in chunk:  # the diffs since the connection need a new base
                    self.request_resync(InstrumentId(VENUE, symbol))
        return opened

    def _frame(self, data: str | bytes, ts_ns: int) -> None:
        self.deliver(self._decoder.decode, data, ts_ns, "binance ws")

    async def connect(self) -> None:
        await super().connect()
        await self.rest.open()

    async def disconnect(self) -> None:
        await super().disconnect()
        await self.rest.close()

    async def instruments(self) -> list[Instrument]:
        if not self.config.load_instruments:
            return []
        return await self.subscribed_instruments(
            BinanceInstrumentProvider(self.rest).load, "binance: exchangeInfo")

    async def resync(self, iid: InstrumentId) -> None:
        body = await self.rest.raw("/api/v3/depth", {"symbol": iid.symbol,
                                                     "limit": self.config.depth_limit})
        # the REST answer in the shape of a partial-depth stream frame: one decoder for both
        frame = b'{"stream":"' + iid.symbol.lower().encode() + b'@depth","data":' + body + b"}"
        self.deliver(self._decoder.decode, frame, time.time_ns(), "binance rest depth")

    async def backfill(self, symbol: str, interval: str, start_ms: int, end_ms: int,
                       progress: Callable[[float], None] | None = None) -> list[Bar]:
        """Historical klines [start, end) into the sink, with progress from 0 to 1."""
        bars = await backfill(self.rest, symbol, interval, start_ms, end_ms, progress)
        for bar in bars:
            self._ctx.market_data.on_bar(bar)
        return bars
