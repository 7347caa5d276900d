"""Database URLs: the default location and redaction of secrets for messages and logs."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, quote_plus

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from terminal.core.errors import PersistenceError

DB_FILE_NAME = "terminal.db"


def default_url(data_dir: Path) -> str:
    """The SQLite file `terminal.db` in the user's data directory."""
    path = Path(data_dir).expanduser().resolve() / DB_FILE_NAME
    return URL.create("sqlite", database=str(path)).render_as_string(hide_password=False)


# PostgreSQL URLs without a driver get the driver this terminal ships (psycopg 3);
# "postgres://" is the spelling Heroku and many tools print
_DRIVER_FOR_SCHEME = {"postgres": "postgresql+psycopg", "postgresql": "postgresql+psycopg"}


_SECRET_PARAMS = ("password", "passwd", "pwd", "passfile", "sslpassword")


def parse_url(url: str | URL) -> URL:
    if isinstance(url, str):
        scheme, sep, rest = url.partition("://")
        if sep and scheme in _DRIVER_FOR_SCHEME:
            url = f"{_DRIVER_FOR_SCHEME[scheme]}://{rest}"
        authority = rest.split("/", 1)[0]
        if authority.count("@") > 1:
            # "user:p@ss@host": where the password ends is ambiguous; never echo any of it
            raise PersistenceError("the database URL has more than one '@' before the host: "
                                   "percent-encode special characters in the password "
                                   "(@ as %40, : as %3A, / as %2F)")
    try:
        return make_url(url)
    except (ArgumentError, ValueError):
        # the text may hold a password in a shape we cannot parse: never echo it
        raise PersistenceError(
            "the database URL is not a valid SQLAlchemy URL "
            "(expected dialect+driver://user:password@host:port/database)") from None


def redact(url: URL) -> str:
    """The URL as text with the password (also one given as a query parameter) as ***."""
    hidden = {k: "***" for k in url.query if k.lower() in _SECRET_PARAMS}
    return url.update_query_dict(hidden).render_as_string(hide_password=True) if hidden \
        else url.render_as_string(hide_password=True)


def scrub(text: str, url: URL) -> str:
    """Remove the URL's password from text (a driver error message may quote it back).

    Only whole occurrences are replaced: a short password must not blank out the letters
    of ordinary words, which would garble the message and betray the password as well.
    """
    secrets = [str(url.password)] if url.password else []
    for key, value in url.query.items():
        if key.lower() in _SECRET_PARAMS:
            secrets.extend([value] if isinstance(value, str) else list(value))
    for password in secrets:
        for form in {str(password), quote_plus(str(password)), quote(str(password), safe="")}:
            pattern = rf"(?<![A-Za-z0-9]){re.escape(form)}(?![A-Za-z0-9])"
            text = re.sub(pattern, "***", text)
    return text


def sqlite_file(url: URL) -> Path | None:
    """The database file of a SQLite URL; None for other dialects and in-memory databases."""
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)
