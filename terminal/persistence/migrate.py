"""Alembic, driven from code: the scripts live in the package, no alembic.ini is needed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from terminal.core.errors import PersistenceError
from terminal.persistence.schema import metadata

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    # configparser interpolation: a '%' in the install path must be doubled
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    head = script_directory().get_current_head()
    assert head is not None
    return head


def current_revisions(conn: Connection) -> tuple[str, ...]:
    return tuple(MigrationContext.configure(conn).get_current_heads())


def check_known(conn: Connection, url_text: str) -> None:
    """Refuse a database migrated by a newer version of the app."""
    known = {script.revision for script in script_directory().walk_revisions()}
    unknown = [rev for rev in current_revisions(conn) if rev not in known]
    if unknown:
        raise PersistenceError(
            f"the database {url_text} has schema revision {', '.join(unknown)}, which this "
            f"version of Trading Terminal does not know (newest known: {head_revision()}). "
            "It was written by a newer version: upgrade the app, or open another database.")


def upgrade(conn: Connection) -> None:
    command.upgrade(alembic_config(conn), "head")


def differences(conn: Connection) -> list[Any]:
    """What autogenerate would change to make the database match the models."""
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))
