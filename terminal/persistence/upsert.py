"""INSERT ... ON CONFLICT for the two supported dialects, and a driver-level executemany."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.dml import Insert

from terminal.core.errors import PersistenceError


def _insert(dialect: str, table: Table) -> sqlite.Insert | postgresql.Insert:
    if dialect == "sqlite":
        return sqlite.insert(table)
    if dialect == "postgresql":
        return postgresql.insert(table)
    raise PersistenceError(f"the {dialect} dialect is not supported (use sqlite or postgresql)")


@lru_cache(maxsize=64)
def upsert(dialect: str, table: Table) -> Insert:
    """Insert, or on a primary key conflict replace every non-key column."""
    stmt = _insert(dialect, table)
    keys = [c.name for c in table.primary_key.columns]
    values = {c.name: stmt.excluded[c.name] for c in table.columns if not c.primary_key}
    return stmt.on_conflict_do_update(index_elements=keys, set_=values)


@lru_cache(maxsize=64)
def insert_ignore(dialect: str, table: Table) -> Insert:
    """Insert, or do nothing if the primary key exists. The result's rowcount tells which."""
    stmt = _insert(dialect, table)
    keys = [c.name for c in table.primary_key.columns]
    # psycopg's rowcount for an INSERT is only kept when asked for
    return stmt.on_conflict_do_nothing(index_elements=keys).execution_options(
        preserve_rowcount=True)


class BulkInsert:
    """A Core insert compiled once per dialect and run through the driver's executemany.

    Connection.execute() with a list of dicts costs about twice the insert itself in
    per-row parameter handling. Rows given here must be tuples in table column order and
    must hold values the driver takes as they are (no column type with a bind processor).
    """

    def __init__(self, table: Table, statement: Insert) -> None:
        self._columns = [c.name for c in table.columns]
        self._statement = statement
        self._compiled: dict[str, tuple[str, bool]] = {}

    def execute(self, conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
        sql, positional = self._compile(conn.dialect)
        if positional:
            conn.exec_driver_sql(sql, list(rows))
        else:
            names = self._columns
            conn.exec_driver_sql(sql, [dict(zip(names, row, strict=True)) for row in rows])

    def _compile(self, dialect: Dialect) -> tuple[str, bool]:
        cached = self._compiled.get(dialect.name)
        if cached is None:
            compiled = self._statement.compile(dialect=dialect)
            positional = compiled.positiontup is not None
            if positional and list(compiled.positiontup or ()) != self._columns:
                raise PersistenceError(  # a programming error: fail loudly, never misalign
                    f"bulk insert parameters {compiled.positiontup} are not in column order")
            if not positional and set(compiled.params) != set(self._columns):
                raise PersistenceError(f"bulk insert parameters {sorted(compiled.params)} "
                                       f"do not match columns {self._columns}")
            cached = (str(compiled), positional)
            self._compiled[dialect.name] = cached
        return cached
