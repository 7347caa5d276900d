"""Instruments the connector knows before data arrives (none for this feed)."""

from __future__ import annotations

from terminal.model.instrument import Instrument
from terminal.plugin_host.base import InstrumentProvider


class TemplateInstrumentProvider(InstrumentProvider):
    async def load(self) -> list[Instrument]:
        return []
