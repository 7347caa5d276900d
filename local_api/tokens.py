"""API tokens: created and shown once, stored as a SHA-256 hash, scoped, expiring, revocable.

A token reads `tt_<id>_<secret>`. The id is public (lists, logs, metrics name it); the secret
is 256 random bits and only its hash is stored. Scopes rank read < trade < admin: a token
holds every scope up to its highest.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from terminal.persistence.records import ApiTokenRecord

SCOPES = ("read", "trade", "admin")
KINDS = ("token", "device")
TOKEN_TEXT = re.compile(r"^tt_([0-9a-f]{12})_([A-Za-z0-9_\-]{43})$")
NAME = re.compile(r"^[\w .@:+\-]{1,64}$")
NS = 1_000_000_000
MAX_EXPIRY_S = 3650 * 86400


class TokenStore(Protocol):
    def add(self, record: ApiTokenRecord) -> None: ...
    def get(self, token_id: str) -> ApiTokenRecord | None: ...
    def list(self, kind: str | None = None) -> builtins.list[ApiTokenRecord]: ...
    def revoke(self, token_id: str, ts_ns: int) -> bool: ...
    def record_use(self, uses: builtins.list[tuple[str, int, int]]) -> None: ...
    def update_secret(self, token_id: str, secret_hash: str,
                      detail: dict[str, object]) -> bool: ...


class AuthFailure(Exception):
    """Why a token was refused: `slug` is the problem type (unauthorized, token-revoked...)."""

    def __init__(self, slug: str, detail: str) -> None:
        super().__init__(detail)
        self.slug = slug
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Principal:
    token_id: str
    name: str
    kind: str
    scope: str  # the highest scope held

    def allows(self, needed: str) -> bool:
        return SCOPES.index(self.scope) >= SCOPES.index(needed)


def highest_scope(scopes: Sequence[str]) -> str:
    known = [s for s in scopes if s in SCOPES]
    if not known:
        raise ValueError(f"no known scope in {list(scopes)} (use {', '.join(SCOPES)})")
    return max(known, key=SCOPES.index)


def parse_duration(text: str) -> int:
    """'30d', '12h', '15m', '90s' or a number of seconds: seconds."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhdw]?)\s*", text)
    if not match or int(match.group(1)) <= 0:
        raise ValueError(f"expiry {text!r}: use a positive number with s, m, h, d or w "
                         "(e.g. 30d)")
    unit = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[match.group(2)]
    seconds = int(match.group(1)) * unit
    if seconds > MAX_EXPIRY_S:
        raise ValueError(f"expiry {text!r}: at most 10 years (3650d)")
    return seconds


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenService:
    def __init__(self, store: TokenStore, cache_s: float = 1.0,
                 wall_ns: Callable[[], int] = time.time_ns,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self._cache_s = cache_s
        self._wall_ns = wall_ns
        self._monotonic = monotonic
        self._cache: dict[str, tuple[ApiTokenRecord | None, float]] = {}
        self._uses: dict[str, list[int]] = {}  # token id -> [last used ns, count]
        self._revoke_listeners: list[Callable[[str], object]] = []

    def on_revoke(self, listener: Callable[[str], object]) -> None:
        """Called with the token id after a revocation through this service (streams close)."""
        self._revoke_listeners.append(listener)

    def create(self, name: str, scope: str, expires_in_s: int | None = None,
               kind: str = "token", detail: dict[str, object] | None = None,
               ) -> tuple[str, ApiTokenRecord]:
        """Store a new token; returns its text (shown once, never stored) and its record."""
        if not NAME.fullmatch(name):
            raise ValueError(f"name {name!r}: 1 to 64 letters, digits, spaces or . @ : + - _")
        if scope not in SCOPES:
            raise ValueError(f"scope {scope!r}: use one of {', '.join(SCOPES)}")
        if kind not in KINDS:
            raise ValueError(f"kind {kind!r}: use one of {', '.join(KINDS)}")
        if expires_in_s is not None and not 0 < expires_in_s <= MAX_EXPIRY_S:
            raise ValueError("the expiry must be in the future and at most 10 years away")
        token_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        now = self._wall_ns()
        record = ApiTokenRecord(
            token_id=token_id, name=name, kind=kind,
            scopes=tuple(SCOPES[:SCOPES.index(scope) + 1]), secret_hash=digest(secret),
            created_ns=now, expires_ns=None if expires_in_s is None else
            now + expires_in_s * NS, detail=dict(detail or {}))
        self._store.add(record)
        return f"tt_{token_id}_{secret}", record

    def list(self, kind: str | None = None) -> builtins.list[ApiTokenRecord]:
        self.flush_usage()
        return self._store.list(kind)

    def get(self, token_id: str) -> ApiTokenRecord | None:
        return self._store.get(token_id)

    def revoke(self, token_id: str) -> bool:
        done = self._store.revoke(token_id, self._wall_ns())
        self._cache.pop(token_id, None)
        if done:
            for listener in self._revoke_listeners:
                listener(token_id)
        return done

    def rotate(self, token_id: str, secret_hash: str, detail: dict[str, object]) -> None:
        """Replace a credential's secret (a device's refresh token)."""
        if not self._store.update_secret(token_id, secret_hash, detail):
            raise AuthFailure("token-revoked", f"credential {token_id} is revoked")
        self._cache.pop(token_id, None)

    def principal_of(self, token_id: str, scope: str) -> Principal:
        """The principal of a credential proven some other way (a device's signed access
        token), if it is still active; its scope is at most what the credential holds."""
        record = self._lookup(token_id)
        if record is None:
            raise AuthFailure("unauthorized", "unknown device")
        if record.revoked_ns is not None:
            raise AuthFailure("token-revoked", f"device {token_id} was revoked")
        held = highest_scope(record.scopes)
        granted = scope if scope in SCOPES and SCOPES.index(scope) <= SCOPES.index(held) \
            else held
        self._used(token_id)
        return Principal(token_id, record.name, record.kind, granted)

    def _used(self, token_id: str) -> None:
        now = self._wall_ns()
        use = self._uses.get(token_id)
        if use is None:
            self._uses[token_id] = [now, 1]
        else:
            use[0] = now
            use[1] += 1

    def verify(self, text: str) -> Principal:
        """The principal of a token text, or AuthFailure saying why not."""
        match = TOKEN_TEXT.fullmatch(text)
        if match is None:
            raise AuthFailure("unauthorized", "the bearer value is not a terminal API token")
        token_id, secret = match.groups()
        record = self._lookup(token_id)
        if record is None or not hmac.compare_digest(record.secret_hash, digest(secret)):
            raise AuthFailure("unauthorized", "unknown token")
        now = self._wall_ns()
        if record.revoked_ns is not None:
            raise AuthFailure("token-revoked", f"token {token_id} was revoked")
        if record.expires_ns is not None and now >= record.expires_ns:
            raise AuthFailure("token-expired", f"token {token_id} has expired")
        if record.kind != "token":
            raise AuthFailure("unauthorized", "unknown token")
        self._used(token_id)
        return Principal(token_id, record.name, record.kind, highest_scope(record.scopes))

    def _lookup(self, token_id: str) -> ApiTokenRecord | None:
        now = self._monotonic()
        cached = self._cache.get(token_id)
        if cached is not None and now - cached[1] < self._cache_s:
            return cached[0]
        record = self._store.get(token_id)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[token_id] = (record, now)
        return record

    def pending_uses(self, token_id: str) -> tuple[int | None, int]:
        use = self._uses.get(token_id)
        return (None, 0) if use is None else (use[0], use[1])

    def flush_usage(self) -> None:
        """Write the last-used times and counts gathered since the last flush."""
        if not self._uses:
            return
        uses, self._uses = self._uses, {}
        self._store.record_use([(tid, last, count) for tid, (last, count) in uses.items()])
