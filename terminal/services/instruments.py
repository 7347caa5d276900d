"""The instruments the engine knows, keyed by id. Precision can change while running."""

from __future__ import annotations

from terminal.core.bus import EventBus
from terminal.core.topics import Kind
from terminal.model.ids import InstrumentId
from terminal.model.instrument import Instrument


class InstrumentService:
    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self._by_id: dict[InstrumentId, Instrument] = {}
        self.dirty: list[Instrument] = []

    def add(self, instrument: Instrument) -> None:
        known = self._by_id.get(instrument.id)
        if known == instrument:
            return
        if known is not None and not _has_constraints(instrument) and _has_constraints(known):
            return  # a bare instrument from a recording never erases venue metadata
        self._by_id[instrument.id] = instrument
        self.dirty.append(instrument)
        self._bus.emit(Kind.INSTRUMENT, str(instrument.id), instrument)

    def restore(self, instruments: list[Instrument]) -> None:
        """Take back the instruments stored by earlier runs (not written again)."""
        for instrument in instruments:
            self._by_id[instrument.id] = instrument

    def get(self, instrument_id: InstrumentId) -> Instrument | None:
        return self._by_id.get(instrument_id)

    def all(self) -> list[Instrument]:
        return [self._by_id[k] for k in sorted(self._by_id)]

    def take_dirty(self) -> list[Instrument]:
        dirty, self.dirty = self.dirty, []
        return dirty


def _has_constraints(instrument: Instrument) -> bool:
    return bool(instrument.tick_size or instrument.lot_size)
