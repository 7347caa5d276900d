"""Pairing and device credentials.

1. `start()` makes a one-time code (single use, 5 minutes) and the pairing URL the QR holds:
   `<scheme>://<host>:<port>/companion#pair=<code>&fp=<cert sha256>&scopes=<scopes>`.
2. The phone posts the code to /api/v1/pairing/complete and becomes a device: a credential
   of kind `device` (listed and revoked like tokens) holding a rotating refresh token (only
   its hash is stored), plus a 15-minute access token (a JWT signed with a key kept in the
   keyring). Both sides show the same short confirmation derived from the exchange.
3. /api/v1/pairing/token trades a refresh token for new ones; the old refresh token dies,
   and presenting it again revokes the device (it was copied).
Wrong codes count against the client's failed-auth budget: a few misses lock it out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from local_api.pairing import jwt
from local_api.pairing.jwt import InvalidToken
from local_api.tokens import NS, SCOPES, AuthFailure, Principal, TokenService, digest
from terminal.persistence.records import ApiTokenRecord
from terminal.persistence.repositories.pairing import PairingRepository

log = logging.getLogger(__name__)

CODE_TTL_S = 300
ACCESS_TTL_S = 900
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
DEVICE_SCOPES = ("read", "trade")
SIGNING_KEY_NAME = ("local_api", "device_signing_key")


class PairingFailed(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True)
class PairingOffer:
    code: str
    url: str
    scope: str
    expires_ns: int
    fingerprint: str


@dataclass(frozen=True)
class DeviceCredentials:
    device_id: str
    access_token: str
    expires_in: int
    refresh_token: str
    scope: str
    confirmation: str | None = None


def normalise_code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def confirmation_of(code: str, device_id: str) -> str:
    """Six digits both screens show: the same only if both saw the same exchange."""
    value = int.from_bytes(hashlib.sha256(f"{code}:{device_id}".encode()).digest()[:4], "big")
    digits = f"{value % 1_000_000:06d}"
    return f"{digits[:3]}-{digits[3:]}"


class PairingService:
    def __init__(self, codes: PairingRepository, tokens: TokenService,
                 signing_key: bytes, url_base: Callable[[], str],
                 fingerprint: Callable[[], str] = lambda: "",
                 wall: Callable[[], float] = time.time) -> None:
        self._codes = codes
        self._tokens = tokens
        self._key = signing_key
        self._url_base = url_base
        self._fingerprint = fingerprint
        self._wall = wall

    # offering -----------------------------------------------------------------------------
    def start(self, scope: str = "read", ttl_s: int = CODE_TTL_S,
              scopes: tuple[str, ...] | None = None) -> PairingOffer:
        """A new one-time code for a device with `scope` (or the highest of `scopes`)."""
        if scopes:
            scope = max(scopes, key=lambda s: SCOPES.index(s) if s in SCOPES else 99)
        if scope not in DEVICE_SCOPES:
            raise ValueError(f"a device gets {' or '.join(DEVICE_SCOPES)}, not {scope!r}")
        raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
        code = f"{raw[:5]}-{raw[5:]}"
        now = int(self._wall() * NS)
        expires = now + ttl_s * NS
        self._codes.add_code(digest(normalise_code(code)), scope, now, expires)
        fp = self._fingerprint()
        offered = ",".join(SCOPES[:SCOPES.index(scope) + 1])
        url = f"{self._url_base()}/companion#pair={code}&fp={fp}&scopes={offered}"
        return PairingOffer(code, url, scope, expires, fp)

    def outcome(self, code: str) -> tuple[str | None, str | None]:
        """(device id, confirmation) once a phone used the code; (None, None) before."""
        found = self._codes.get_code(digest(normalise_code(code)))
        if found is None:
            return None, None
        return found.device_id, found.confirmation

    # the phone's side ---------------------------------------------------------------------
    def complete(self, code: str, device_name: str, platform: str) -> DeviceCredentials:
        code_hash = digest(normalise_code(code))
        found = self._codes.get_code(code_hash)
        now = int(self._wall() * NS)
        if found is None:
            raise PairingFailed("unknown pairing code")
        if found.used_ns is not None:
            raise PairingFailed("this pairing code was used already; start a new pairing")
        if found.expires_ns <= now:
            raise PairingFailed("this pairing code has expired; start a new pairing")
        refresh_secret = secrets.token_urlsafe(32)
        text, record = self._tokens.create(
            device_name, found.scope, kind="device",
            detail={"platform": platform[:32], "paired_ns": now})
        device_id = record.token_id
        confirmation = confirmation_of(normalise_code(code), device_id)
        if not self._codes.use_code(code_hash, now, device_id, confirmation):
            self._tokens.revoke(device_id)
            raise PairingFailed("this pairing code was used already; start a new pairing")
        del text  # a device authenticates with its refresh token, not a token text
        self._store_refresh(record, refresh_secret, previous=None)
        log.info("device %s (%s) paired with scope %s", device_id, platform[:32], found.scope)
        return self._credentials(device_id, found.scope, refresh_secret, confirmation)

    def refresh(self, refresh_token: str) -> DeviceCredentials:
        device_id, _, secret = refresh_token.removeprefix("ttr_").partition("_")
        record = self._tokens.get(device_id) if secret else None
        if record is None or record.kind != "device":
            raise AuthFailure("unauthorized", "unknown refresh token")
        if record.revoked_ns is not None:
            raise AuthFailure("token-revoked", f"device {device_id} was revoked")
        presented = digest(secret)
        if hmac.compare_digest(presented, str(record.detail.get("previous_hash", ""))):
            self._tokens.revoke(device_id)
            log.warning("an old refresh token of device %s was presented again: the device is "
                        "revoked (its tokens were copied)", device_id)
            raise AuthFailure("token-revoked", "this refresh token was already used; the "
                              "device is revoked and must pair again")
        if not hmac.compare_digest(presented, record.secret_hash):
            raise AuthFailure("unauthorized", "unknown refresh token")
        new_secret = secrets.token_urlsafe(32)
        self._store_refresh(record, new_secret, previous=presented)
        scope = max(record.scopes, key=SCOPES.index)
        return self._credentials(device_id, scope, new_secret, None)

    def _store_refresh(self, record: ApiTokenRecord, secret: str, previous: str | None) -> None:
        detail: dict[str, Any] = {**record.detail, "previous_hash": previous or ""}
        self._tokens.rotate(record.token_id, digest(secret), detail)

    def _credentials(self, device_id: str, scope: str, refresh_secret: str,
                     confirmation: str | None) -> DeviceCredentials:
        now = self._wall()
        claims = {"sub": device_id, "scope": scope, "iat": int(now),
                  "exp": int(now) + ACCESS_TTL_S, "jti": secrets.token_hex(8)}
        return DeviceCredentials(device_id, jwt.encode(claims, self._key), ACCESS_TTL_S,
                                 f"ttr_{device_id}_{refresh_secret}", scope, confirmation)

    # every request of a device -------------------------------------------------------------
    def verify_access(self, token: str) -> Principal:
        try:
            claims = jwt.decode(token, self._key, self._wall())
        except InvalidToken as exc:
            slug = "token-expired" if str(exc) == "expired" else "unauthorized"
            raise AuthFailure(slug, f"device access token: {exc}") from None
        device_id = str(claims.get("sub", ""))
        return self._tokens.principal_of(device_id, str(claims.get("scope", "read")))


def new_signing_key() -> bytes:
    return secrets.token_bytes(32)


def encode_key(key: bytes) -> str:
    return base64.b64encode(key).decode()


def decode_key(text: str) -> bytes:
    return base64.b64decode(text)
