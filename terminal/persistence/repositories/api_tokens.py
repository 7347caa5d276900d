"""API tokens and device credentials: created, listed, revoked, their use recorded."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Row, insert, select, update

from terminal.persistence.gateway import Gateway
from terminal.persistence.records import ApiTokenRecord
from terminal.persistence.schema import ApiTokenRow, table

TABLE = table(ApiTokenRow)


class ApiTokenRepository:
    def __init__(self, gateway: Gateway) -> None:
        self._gw = gateway

    def add(self, record: ApiTokenRecord) -> None:
        with self._gw.begin(f"storing API token {record.token_id}") as conn:
            conn.execute(insert(TABLE), _to_row(record))

    def get(self, token_id: str) -> ApiTokenRecord | None:
        query = select(TABLE).where(TABLE.c.token_id == token_id)
        with self._gw.read(f"reading API token {token_id}") as conn:
            row = conn.execute(query).first()
        return None if row is None else _from_row(row)

    def list(self, kind: str | None = None) -> list[ApiTokenRecord]:
        """Every credential (revoked and expired ones too), oldest first."""
        query = select(TABLE).order_by(TABLE.c.created_ns, TABLE.c.token_id)
        if kind is not None:
            query = query.where(TABLE.c.kind == kind)
        with self._gw.read("listing API tokens") as conn:
            return [_from_row(r) for r in conn.execute(query)]

    def revoke(self, token_id: str, ts_ns: int) -> bool:
        """Revoke a token; False when there is no such token or it was already revoked."""
        query = (update(TABLE).where(TABLE.c.token_id == token_id,
                                     TABLE.c.revoked_ns.is_(None))
                 .values(revoked_ns=ts_ns))
        with self._gw.begin(f"revoking API token {token_id}") as conn:
            return bool(conn.execute(query).rowcount)

    def update_secret(self, token_id: str, secret_hash: str, detail: dict[str, object]) -> bool:
        """Replace a live credential's secret hash (a rotated refresh token) and detail."""
        query = (update(TABLE).where(TABLE.c.token_id == token_id, TABLE.c.revoked_ns.is_(None))
                 .values(secret_hash=secret_hash, detail=dict(detail)))
        with self._gw.begin(f"rotating the credential of {token_id}") as conn:
            return bool(conn.execute(query).rowcount)

    def record_use(self, uses: Iterable[tuple[str, int, int]]) -> None:
        """(token id, last used ns, requests since the last call) for each used token."""
        with self._gw.begin("recording API token use") as conn:
            for token_id, last_ns, count in uses:
                conn.execute(update(TABLE).where(TABLE.c.token_id == token_id).values(
                    last_used_ns=last_ns, uses=TABLE.c.uses + count))


def _to_row(record: ApiTokenRecord) -> dict[str, object]:
    return {"token_id": record.token_id, "name": record.name, "kind": record.kind,
            "scopes": ",".join(record.scopes), "secret_hash": record.secret_hash,
            "created_ns": record.created_ns, "expires_ns": record.expires_ns,
            "revoked_ns": record.revoked_ns, "last_used_ns": record.last_used_ns,
            "uses": record.uses, "detail": dict(record.detail)}


def _from_row(row: Row[object]) -> ApiTokenRecord:
    return ApiTokenRecord(row.token_id, row.name, row.kind,
                          tuple(s for s in row.scopes.split(",") if s), row.secret_hash,
                          row.created_ns, row.expires_ns, row.revoked_ns, row.last_used_ns,
                          int(row.uses), dict(row.detail or {}))
