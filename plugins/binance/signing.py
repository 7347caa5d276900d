"""Binance request signing: HMAC-SHA256 of the parameter string, hex encoded."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlencode


def sign(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def signed_params(secret: str, params: dict[str, str]) -> str:
    """`a=1&b=2&signature=<hex>`: the encoded parameters with their signature appended."""
    payload = urlencode(params)
    return f"{payload}&signature={sign(secret, payload)}"
