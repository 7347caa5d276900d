"""The Standard Webhooks signature: base64 HMAC-SHA256 of "<id>.<timestamp>.<body>" with
the secret's bytes, sent as "v1,<sig>"; several space-separated during a secret rotation."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

PREFIX = "whsec_"
VERSION = "v1"


class SignatureError(Exception):
    """Why a signed request is refused: `reason` is "missing", "stale" or "invalid"."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def key_bytes(secret: str) -> bytes:
    text = secret.removeprefix(PREFIX)
    try:
        key = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a webhook secret is whsec_ followed by base64") from None
    if not key:
        raise ValueError("a webhook secret may not be empty")
    return key


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(key_bytes(secret), f"{msg_id}.{timestamp}.".encode() + body,
                   hashlib.sha256).digest()
    return f"{VERSION},{base64.b64encode(mac).decode()}"


def signature_header(secrets_: list[str], msg_id: str, timestamp: int, body: bytes) -> str:
    return " ".join(sign(s, msg_id, timestamp, body) for s in secrets_)


def verify(secrets_: list[str], msg_id: str | None, timestamp: str | None,
           signatures: str | None, body: bytes, now_s: float, tolerance_s: float) -> int:
    """Check a signed request; returns its timestamp. Raises SignatureError."""
    if not (msg_id and timestamp and signatures):
        raise SignatureError("missing", "webhook-id, webhook-timestamp and webhook-signature "
                             "are required")
    try:
        ts = int(timestamp) if len(timestamp) <= 20 else None  # no 400-digit numbers
    except ValueError:
        ts = None
    if ts is None:
        raise SignatureError("invalid", "webhook-timestamp is not integer seconds")
    if abs(now_s - ts) > tolerance_s:
        raise SignatureError("stale", f"webhook-timestamp is {int(now_s - ts)} s from now; "
                             f"the tolerance is {int(tolerance_s)} s")
    offered = [s.split(",", 1)[1] for s in signatures.split(" ")
               if s.startswith(VERSION + ",")]
    for secret in secrets_:
        expected = sign(secret, msg_id, ts, body).split(",", 1)[1]
        if any(hmac.compare_digest(expected, o) for o in offered):
            return ts
    raise SignatureError("invalid", "no webhook-signature matches")
