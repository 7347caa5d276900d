"""Instrument ids as stored: the canonical `VENUE:SYMBOL` text."""

from __future__ import annotations

from terminal.model.ids import InstrumentId


def id_text(instrument_id: InstrumentId | str) -> str:
    if isinstance(instrument_id, InstrumentId):
        return str(instrument_id)
    return str(InstrumentId.parse(instrument_id))
