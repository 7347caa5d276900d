"""Pairing codes (single use, short lived) and the device event log (append, read, prune)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from terminal.persistence.gateway import Gateway
from terminal.persistence.schema import DeviceEventRow, PairingCodeRow, table

CODES = table(PairingCodeRow)
EVENTS = table(DeviceEventRow)


@dataclass(frozen=True, slots=True)
class PairingCode:
    code_hash: str
    scope: str
    created_ns: int
    expires_ns: int
    used_ns: int | None
    device_id: str | None
    confirmation: str | None


@dataclass(frozen=True, slots=True)
class DeviceEvent:
    seq: int
    ts_ns: int
    channel: str
    instrument: str | None
    data: dict[str, Any]


class PairingRepository:
    def __init__(self, gateway: Gateway) -> None:
        self._gw = gateway

    def add_code(self, code_hash: str, scope: str, created_ns: int, expires_ns: int) -> None:
        with self._gw.begin("storing a pairing code") as conn:
            conn.execute(insert(CODES), {"code_hash": code_hash, "scope": scope,
                                         "created_ns": created_ns, "expires_ns": expires_ns})

    def get_code(self, code_hash: str) -> PairingCode | None:
        with self._gw.read("reading a pairing code") as conn:
            row = conn.execute(select(CODES).where(CODES.c.code_hash == code_hash)).first()
        return None if row is None else PairingCode(*row)

    def use_code(self, code_hash: str, now_ns: int, device_id: str,
                 confirmation: str) -> bool:
        """Mark a live code used by a device; False when it was used or expired already
        (one winner even if two phones race with the same code)."""
        query = (update(CODES).where(CODES.c.code_hash == code_hash,
                                     CODES.c.used_ns.is_(None),
                                     CODES.c.expires_ns > now_ns)
                 .values(used_ns=now_ns, device_id=device_id, confirmation=confirmation))
        with self._gw.begin("using a pairing code") as conn:
            return bool(conn.execute(query).rowcount)

    def append_events(self, events: Sequence[tuple[int, str, str | None, dict[str, Any]]]
                      ) -> None:
        if not events:
            return
        rows = [{"ts_ns": ts, "channel": ch, "instrument": ins, "data": data}
                for ts, ch, ins, data in events]
        with self._gw.begin("appending device events") as conn:
            conn.execute(insert(EVENTS), rows)

    def events_after(self, seq: int, limit: int) -> list[DeviceEvent]:
        query = select(EVENTS).where(EVENTS.c.seq > seq).order_by(EVENTS.c.seq).limit(limit)
        with self._gw.read("reading device events") as conn:
            return [DeviceEvent(r.seq, r.ts_ns, r.channel, r.instrument, dict(r.data))
                    for r in conn.execute(query)]

    def event_bounds(self) -> tuple[int, int]:
        """(oldest kept seq, newest seq); (0, 0) when the log is empty."""
        query = select(func.min(EVENTS.c.seq), func.max(EVENTS.c.seq))
        with self._gw.read("reading the device event log") as conn:
            low, high = conn.execute(query).one()
        return int(low or 0), int(high or 0)

    def prune_events(self, before_ns: int) -> int:
        with self._gw.begin("pruning device events") as conn:
            return int(conn.execute(delete(EVENTS).where(EVENTS.c.ts_ns < before_ns)).rowcount)
