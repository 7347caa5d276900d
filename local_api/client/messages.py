"""The messages of the stream `/api/v1/stream`, parsed.

`Event` is a published message (it has a `seq`); `Subscribed` is the server's answer to a
(re)subscription; `Heartbeat` comes every 15 s when nothing else does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError

from local_api.schemas import (
    AccountOut,
    BookOut,
    FillOut,
    OrderOut,
    PositionOut,
    QuoteOut,
    SignalOut,
    TradeOut,
)


@dataclass(frozen=True, slots=True)
class ResumeGap:
    """The history no longer reached back to `requested`: messages from there to
    `oldest - 1` are lost; fetch fresh state over REST."""

    requested: int
    oldest: int


@dataclass(frozen=True, slots=True)
class Subscribed:
    channels: list[str]
    instruments: list[str] | None
    head: int  # the last sequence number published when the server answered
    replayed: int | None  # messages sent again from the history (when resuming)
    resume_gap: ResumeGap | None
    reconnect: bool  # False for the first subscription, True after a reconnect


@dataclass(frozen=True, slots=True)
class Heartbeat:
    head: int


@dataclass(frozen=True, slots=True)
class Event:
    seq: int
    channel: str
    instrument: str | None
    data: Any  # the JSON payload as sent

    @property
    def is_gap(self) -> bool:
        """A `system` message saying the server was not listening for a while."""
        return self.channel == "system" and isinstance(self.data, dict) \
            and self.data.get("type") == "gap"

    @property
    def model(self) -> BaseModel | None:
        """The payload as the schema of its channel (OrderOut for `orders`, FillOut for
        `fills`, QuoteOut for `quotes`, ...), None for channels without one."""
        if not isinstance(self.data, dict):
            return None
        builder = _MODELS.get(self.channel)
        if builder is None:
            return None
        try:
            return builder(self.instrument or "", self.data)
        except (ValidationError, TypeError):
            return None


StreamMessage = Event | Subscribed | Heartbeat


def _book(iid: str, d: dict[str, Any]) -> BookOut:
    return BookOut(instrument_id=iid, usable=True, stale_reason=None, **d)


def _position(_iid: str, d: dict[str, Any]) -> PositionOut:
    return PositionOut(**{"unrealized_pnl": None, "mark": None, **d})


_MODELS: dict[str, Callable[[str, dict[str, Any]], BaseModel]] = {
    "orders": lambda _i, d: OrderOut(**d),
    "fills": lambda _i, d: FillOut(**d),
    "account": lambda _i, d: AccountOut(**d),
    "signals": lambda _i, d: SignalOut(**d),
    "positions": _position,
    "quotes": lambda i, d: QuoteOut(instrument_id=i, **d),
    "trades": lambda i, d: TradeOut(instrument_id=i, **d),
    "book": _book,
}


class ServerNotice(Exception):
    """The server's `{"type": "error"}` message: the subscription was refused."""


def parse(raw: str | bytes, reconnect: bool) -> StreamMessage:
    doc = orjson.loads(raw)
    if not isinstance(doc, dict):
        raise ValueError(f"unexpected stream message {raw!r:.200}")
    if "seq" in doc:
        return Event(int(doc["seq"]), str(doc.get("channel", "")), doc.get("instrument"),
                     doc.get("data"))
    kind = doc.get("type")
    if kind == "heartbeat":
        return Heartbeat(int(doc.get("head", 0)))
    if kind == "subscribed":
        gap = doc.get("resume_gap")
        return Subscribed(list(doc.get("channels", [])), doc.get("instruments"),
                          int(doc.get("head", 0)), doc.get("replayed"),
                          ResumeGap(int(gap["requested"]), int(gap["oldest"]))
                          if isinstance(gap, dict) else None, reconnect)
    if kind == "error":
        raise ServerNotice(str(doc.get("detail", "the stream refused the subscription")))
    raise ValueError(f"unexpected stream message {raw!r:.200}")
