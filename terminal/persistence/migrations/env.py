"""Alembic environment.

The app passes its open connection in `config.attributes["connection"]` (see migrate.py).
For development (`alembic -c terminal/persistence/migrations/alembic.ini -x url=... revision
--autogenerate -m "..."`) a URL is taken from `-x url=` instead.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection
from sqlalchemy.engine import make_url

from terminal.persistence.engine import create
from terminal.persistence.schema import metadata

config = context.config


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        # SQLite cannot ALTER most things: later migrations copy-and-move tables instead
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    given = config.attributes.get("connection")
    if given is not None:
        run(given)
        return
    url = context.get_x_argument(as_dictionary=True).get("url")
    url = url or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("pass the database with -x url=sqlite:///path/to/terminal.db")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create(make_url(url))
    try:
        with engine.begin() as connection:
            run(connection)
    finally:
        engine.dispose()


main()
