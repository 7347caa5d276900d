"""Recordings announce their instruments as they play; nothing is known beforehand."""

from __future__ import annotations

from terminal.model.instrument import Instrument
from terminal.plugin_host.base import InstrumentProvider


class ReplayInstrumentProvider(InstrumentProvider):
    async def load(self) -> list[Instrument]:
        return []
