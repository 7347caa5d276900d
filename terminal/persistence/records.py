"""Value types that only the persistence layer produces."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    ts: int
    actor: str
    action: str
    subject: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ApiTokenRecord:
    """A stored API credential. `secret_hash` is the SHA-256 hex of the secret; the secret
    itself is never stored."""

    token_id: str
    name: str
    kind: str  # "token" (scripts, tools) or "device" (a paired phone)
    scopes: tuple[str, ...]
    secret_hash: str
    created_ns: int
    expires_ns: int | None = None
    revoked_ns: int | None = None
    last_used_ns: int | None = None
    uses: int = 0
    detail: dict[str, Any] = field(default_factory=dict)
