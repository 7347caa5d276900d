"""Account balance snapshots: appended, never updated."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select

from terminal.core.errors import PersistenceError
from terminal.model.numbers import plain
from terminal.model.portfolio import Account
from terminal.persistence.gateway import Gateway
from terminal.persistence.schema import AccountSnapshotRow, table

TABLE = table(AccountSnapshotRow)


class AccountRepository:
    def __init__(self, gateway: Gateway) -> None:
        self._gw = gateway

    def snapshot(self, account: Account) -> None:
        """Append the account's balances as of account.ts_updated."""
        with self._gw.begin(f"storing a snapshot of account {account.account_id}") as conn:
            insert_snapshot(conn, account)

    def latest(self, account_id: str) -> Account | None:
        query = (select(TABLE).where(TABLE.c.account_id == account_id)
                 .order_by(TABLE.c.id.desc()).limit(1))  # the newest written, whatever its ts
        with self._gw.read(f"reading account {account_id}") as conn:
            row = conn.execute(query).one_or_none()
        if row is None:
            return None
        m = row._mapping
        balances = {currency: Decimal(text) for currency, text in m["balances"].items()}
        return Account(m["account_id"], m["currency"], balances, m["ts"])


def insert_snapshot(conn: Connection, account: Account) -> None:
    conn.execute(insert(TABLE), _to_row(account))


def _to_row(account: Account) -> dict[str, Any]:
    balances: dict[str, str] = {}
    for currency, amount in account.balances.items():
        if not isinstance(amount, Decimal) or not amount.is_finite():
            raise PersistenceError(
                f"account {account.account_id}: balance {currency} must be a finite Decimal, "
                f"got {amount!r}")
        balances[currency] = plain(amount)
    return {"account_id": account.account_id, "ts": account.ts_updated,
            "currency": account.currency, "balances": balances}
