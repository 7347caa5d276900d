"""Binance instruments from `GET /api/v3/exchangeInfo` (parsed off the loop)."""

from __future__ import annotations

import asyncio

from plugins.binance.instruments import parse_exchange_info
from plugins.binance.rest import BinanceRest
from terminal.model.instrument import Instrument
from terminal.plugin_host.base import InstrumentProvider


class BinanceInstrumentProvider(InstrumentProvider):
    def __init__(self, rest: BinanceRest) -> None:
        self._rest = rest
        self.skipped: dict[str, str] = {}

    async def load(self) -> list[Instrument]:
        body = await self._rest.request("GET", "/api/v3/exchangeInfo")  # weight 20
        return await asyncio.to_thread(parse_exchange_info, body, skipped=self.skipped)
