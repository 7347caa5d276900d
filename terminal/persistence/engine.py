"""Engine creation: driver options per dialect and the SQLite connection settings."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.pool import StaticPool

from terminal.model.numbers import plain
from terminal.persistence.urls import sqlite_file

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
CONNECT_TIMEOUT_S = 10


def create(url: URL) -> Engine:
    kwargs: dict[str, Any] = {
        "json_serializer": _json_dumps,
        "json_deserializer": orjson.loads,
    }
    backend = url.get_backend_name()
    if backend == "sqlite":
        # used from the event loop thread and from a worker thread doing bulk inserts
        kwargs["connect_args"] = {"check_same_thread": False,
                                  "timeout": BUSY_TIMEOUT_MS / 1000}
        if sqlite_file(url) is None:
            kwargs["poolclass"] = StaticPool  # one shared in-memory database, not one per thread
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine, wal=sqlite_file(url) is not None)
        return engine
    if backend == "postgresql":
        kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_S}
    kwargs["pool_pre_ping"] = True  # a server may drop idle connections of a long-running app
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin: pysqlite
        # otherwise starts them lazily before the first DML only, and DDL runs outside.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if wal:
                mode = cursor.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    log.warning("SQLite refused WAL journal mode (got %s); "
                                "is the database on a network drive?", mode)
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return plain(value)
    return str(value)


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value, default=_json_default, option=orjson.OPT_NON_STR_KEYS).decode()
