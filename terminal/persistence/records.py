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
