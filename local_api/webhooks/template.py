"""Reading an alert: its body (JSON, or text/plain: JSON, `a|b|c` fields, or free text) and
the hook's template that maps its fields to an order intent or a signal.

A template (all keys optional):
    {"kind": "order" | "signal",
     "fields": {"secret": "key", "action": "action", "instrument": "ticker",
                "quantity": "qty", "price": "price", "order_type": "type",
                "client_id": "id", "message_id": "id", "timestamp": "time"},
     "defaults": {"instrument": "BINANCE:NKNUSDT", "quantity": "50", "action": "buy"},
     "venue": "BINANCE",  # for bare tickers ({{ticker}} gives NKNUSDT)
     "separator": "|", "text_fields": ["secret", "action", "instrument", "quantity"]}
`fields` names where each value is in the body (dotted for nested objects); by default a
value is under its own name. Free text lands in the field "message".
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

NAMES = ("secret", "action", "instrument", "quantity", "price", "order_type", "client_id",
         "message_id", "timestamp")
KINDS = ("order", "signal")
ORDER_TYPES = ("market", "limit")
ACTIONS = {"buy": "buy", "long": "buy", "sell": "sell", "short": "sell"}
PLACEHOLDER = re.compile(r"\{\{[^}]*\}\}")
WORD = re.compile(r"[a-z]+")
TEMPLATE_KEYS = frozenset({"kind", "fields", "defaults", "venue", "separator", "text_fields"})


class AlertError(ValueError):
    """A body or field that does not make an intent; the text says which and why."""


@dataclass(frozen=True, slots=True)
class Intent:
    kind: str
    action: str  # buy | sell
    instrument: str  # VENUE:SYMBOL
    quantity: Decimal | None
    price: Decimal | None
    order_type: str
    client_id: str | None
    message_id: str | None
    timestamp_s: float | None


def check_template(template: dict[str, Any]) -> None:
    """Refuse a template that could never map anything (at creation, not per alert)."""
    unknown = set(template) - TEMPLATE_KEYS
    if unknown:
        raise AlertError(f"template: unknown keys {', '.join(sorted(unknown))}")
    if template.get("kind", "order") not in KINDS:
        raise AlertError("template.kind: order or signal")
    for part in ("fields", "defaults"):
        value = template.get(part, {})
        if not isinstance(value, dict) or any(k not in NAMES for k in value) or \
                not all(isinstance(v, str) for v in value.values()):
            raise AlertError(f"template.{part}: an object of text by the names "
                             f"{', '.join(NAMES)}")
    fields = template.get("text_fields", [])
    if not isinstance(fields, list) or any(f not in NAMES for f in fields):
        raise AlertError(f"template.text_fields: a list of {', '.join(NAMES)}")


def parse_body(raw: bytes, media: str, template: dict[str, Any]) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise AlertError("the body is not UTF-8 text") from None
    if not text.strip():
        raise AlertError("the body is empty")
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        if media == "application/json":
            raise AlertError("the body is not valid JSON") from None
        return _text_fields(text.strip(), template)
    if not isinstance(value, dict):
        raise AlertError("a JSON body must be an object")
    return value


def _text_fields(text: str, template: dict[str, Any]) -> dict[str, Any]:
    separator = template.get("separator", "|")
    names = template.get("text_fields") or ["secret", "action", "instrument", "quantity"]
    if separator and separator in text:
        parts = [p.strip() for p in text.split(separator)]
        if len(parts) != len(names):
            raise AlertError(f"the text has {len(parts)} {separator!r}-separated fields; "
                             f"the hook expects {len(names)}: {separator.join(names)}")
        return dict(zip(names, parts, strict=True))
    return {"message": text}


def _lookup(body: dict[str, Any], path: str) -> Any:
    value: Any = body
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def field(body: dict[str, Any], template: dict[str, Any], name: str) -> str | None:
    """A value as text: from the body where the template says, else its default."""
    where = template.get("fields", {}).get(name, name)
    value = _lookup(body, where)
    if value is None or value == "":
        value = template.get("defaults", {}).get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise AlertError(f"{where}: expected text or a number, not {type(value).__name__}")
    text = str(value).strip()
    if name != "action" and PLACEHOLDER.search(text):
        raise AlertError(f"{where}: {text[:40]!r} holds an unresolved TradingView "
                         "placeholder; use one TradingView fills in ({{close}}, {{ticker}})")
    return text


def _decimal(text: str | None, name: str) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise AlertError(f"{name}: {text[:40]!r} is not a number") from None
    if not value.is_finite() or value <= 0:
        raise AlertError(f"{name}: must be a positive number, not {text[:40]}")
    return value


def _action(text: str | None) -> str:
    if text is None:
        raise AlertError("action: missing (buy, sell, long or short)")
    words = WORD.findall(text.lower())
    action = ACTIONS.get(words[0]) if words else None
    if action is None:
        raise AlertError(f"action: {text[:40]!r} does not start with buy, sell, long or short")
    return action


def _instrument(text: str | None, template: dict[str, Any]) -> str:
    if not text:
        raise AlertError("instrument: missing")
    if ":" not in text:
        venue = template.get("venue")
        if not venue:
            raise AlertError(f"instrument: {text[:40]!r} names no venue (VENUE:SYMBOL), and "
                             "the hook has no default venue")
        text = f"{venue}:{text}"
    return text.upper()


MAX_EPOCH_MS = 1e14  # the year 5138 in ms: anything beyond is not a time


def timestamp_s(text: str | None) -> float | None:
    """Seconds since the epoch from ISO 8601 ({{timenow}}) or epoch seconds/milliseconds."""
    if text is None:
        return None
    try:
        number = float(text)
    except ValueError:
        return _iso_s(text)
    if not math.isfinite(number) or not 0 <= number < MAX_EPOCH_MS:
        raise AlertError(f"timestamp: {text[:40]!r} is not a time (epoch seconds or "
                         "milliseconds, or ISO 8601)")
    return number / 1000.0 if number > 1e11 else number


def _iso_s(text: str) -> float:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise AlertError(f"timestamp: {text[:40]!r} is neither ISO 8601 nor epoch "
                         "seconds") from None
    if when.tzinfo is None:
        raise AlertError(f"timestamp: {text[:40]!r} has no time zone (add Z for UTC)")
    return when.timestamp()


def intent(body: dict[str, Any], template: dict[str, Any]) -> Intent:
    kind = template.get("kind", "order")
    order_type = (field(body, template, "order_type") or "market").lower()
    if order_type not in ORDER_TYPES:
        raise AlertError(f"order_type: {order_type[:20]!r} is not market or limit")
    price = _decimal(field(body, template, "price"), "price")
    quantity = _decimal(field(body, template, "quantity"), "quantity")
    if kind == "order":
        if quantity is None:
            raise AlertError("quantity: missing")
        if order_type == "limit" and price is None:
            raise AlertError("price: a limit order needs one")
    client_id = field(body, template, "client_id")
    message_id = field(body, template, "message_id") or client_id
    return Intent(kind, _action(field(body, template, "action")),
                  _instrument(field(body, template, "instrument"), template), quantity, price,
                  order_type, client_id, message_id,
                  timestamp_s(field(body, template, "timestamp")))
