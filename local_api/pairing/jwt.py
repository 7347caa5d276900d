"""Compact JWTs signed with HMAC-SHA256 (RFC 7519 / 7515, `alg: HS256` only).

Only what device access tokens need: sign a claims dict, verify signature and expiry.
Anything else in the header (another alg, `none`) is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import orjson

HEADER = {"alg": "HS256", "typ": "JWT"}


class InvalidToken(ValueError):
    pass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        raise InvalidToken("not base64url") from None


def encode(claims: dict[str, Any], key: bytes) -> str:
    signing_input = f"{_b64(orjson.dumps(HEADER))}.{_b64(orjson.dumps(claims))}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def decode(token: str, key: bytes, now_s: float) -> dict[str, Any]:
    """The claims of a token signed with `key` and not expired at `now_s`."""
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken("not a JWT")
    header_b64, claims_b64, signature_b64 = parts
    expected = hmac.new(key, f"{header_b64}.{claims_b64}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, _unb64(signature_b64)):
        raise InvalidToken("bad signature")
    try:
        header = orjson.loads(_unb64(header_b64))
        claims = orjson.loads(_unb64(claims_b64))
    except orjson.JSONDecodeError:
        raise InvalidToken("not JSON") from None
    if header != HEADER or not isinstance(claims, dict):
        raise InvalidToken("unexpected header")
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or now_s >= exp:
        raise InvalidToken("expired")
    return claims
