"""Connections and transactions, with every database error turned into a PersistenceError.

Code outside this package must never need to import SQLAlchemy to handle a failure.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine
from sqlalchemy.engine import URL
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
    StatementError,
)

from terminal.core.errors import PersistenceError
from terminal.persistence.urls import redact, scrub

SUPPORTED_BACKENDS = ("sqlite", "postgresql")


class Gateway:
    """The engine plus the URL it came from, handing out translated connections."""

    def __init__(self, engine: Engine, url: URL) -> None:
        self.engine = engine
        self.url = url

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def redacted_url(self) -> str:
        return redact(self.url)

    @contextmanager
    def begin(self, what: str, *, durable: bool = False) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back if it raises.

        `durable` makes the commit survive a power cut, not only a crash of the app: SQLite
        runs with synchronous=NORMAL for speed, which is raised to FULL for this commit.
        """
        with self.translate(what), self.engine.connect() as conn:
            if not (durable and self.dialect == "sqlite"):
                with conn.begin():
                    yield conn
                return
            raw = conn.connection.driver_connection
            assert raw is not None
            raw.execute("PRAGMA synchronous=FULL")
            try:
                with conn.begin():
                    yield conn
            finally:
                raw.execute("PRAGMA synchronous=NORMAL")

    @contextmanager
    def read(self, what: str) -> Iterator[Connection]:
        with self.translate(what), self.engine.connect() as conn:
            yield conn

    @contextmanager
    def translate(self, what: str) -> Iterator[None]:
        try:
            yield
        except StatementError as exc:
            if isinstance(exc.orig, PersistenceError):  # raised by our own column types
                raise exc.orig from None
            raise self.error(what, exc) from _cause(exc)
        except SQLAlchemyError as exc:
            raise self.error(what, exc) from _cause(exc)
        except sqlite3.Error as exc:  # from the raw PRAGMA calls, which bypass SQLAlchemy
            raise self.error(what, exc) from None

    def error(self, what: str, exc: BaseException) -> PersistenceError:
        detail = exc.orig if isinstance(exc, DBAPIError) else exc
        text = " ".join(str(detail).split()) or type(detail).__name__
        where = "" if self.redacted_url in what else f" ({self.redacted_url})"
        return PersistenceError(f"{what} failed{where}: {scrub(text, self.url)}")


def _cause(exc: SQLAlchemyError) -> BaseException | None:
    """Chain statement errors for debugging. Drop connection errors: their driver text, and so
    the traceback a log handler prints, may quote the connection string."""
    if isinstance(exc, (OperationalError, InterfaceError, DisconnectionError)):
        return None
    return exc
