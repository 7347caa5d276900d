"""Kraken instruments from `GET /0/public/AssetPairs` (parsed off the loop)."""

from __future__ import annotations

import asyncio

import httpx
import orjson

from plugins.kraken.instruments import parse_asset_pairs
from terminal.model.instrument import Instrument
from terminal.plugin_host.base import InstrumentProvider


class KrakenInstrumentProvider(InstrumentProvider):
    def __init__(self, rest_url: str) -> None:
        self._rest_url = rest_url
        self.skipped: dict[str, str] = {}

    async def load(self) -> list[Instrument]:
        async with httpx.AsyncClient(base_url=self._rest_url, timeout=10) as client:
            response = await client.get("/0/public/AssetPairs")
            response.raise_for_status()
        body = orjson.loads(response.content)
        return await asyncio.to_thread(parse_asset_pairs, body, skipped=self.skipped)
