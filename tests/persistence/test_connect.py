"""Connection failures give a PersistenceError that never shows the password."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from terminal.core.errors import PersistenceError
from terminal.persistence import Database

SECRET = "s3cr3t-Pa55word"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once the socket is closed


def _failing_url(db_url: str, tmp_path: Path) -> str:
    """A URL that cannot be opened, for the same dialect as db_url."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        blocker = tmp_path / "a-file"
        blocker.write_text("not a folder")
        return f"sqlite:///{blocker}/terminal.db"
    # an unknown role, with a password, on the real server: rejected whatever its auth method
    return url.set(username="tt_no_such_role", password=SECRET).render_as_string(
        hide_password=False)


def test_open_failure_is_a_persistence_error_without_the_password(
        db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    bad = _failing_url(db_url, tmp_path)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(PersistenceError) as excinfo:
        Database.open(bad)
    message = str(excinfo.value)
    assert SECRET not in message
    assert SECRET not in repr(excinfo.value)
    assert SECRET not in caplog.text
    if "@" in bad:
        assert "***" in message  # the redacted URL names the target
    chained = excinfo.value.__cause__ or excinfo.value.__context__
    assert chained is None or excinfo.value.__suppress_context__


def test_unreachable_postgres_with_a_password(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://trader:{SECRET}@127.0.0.1:{_closed_port()}/terminal"
    with pytest.raises(PersistenceError) as excinfo:
        Database.open(url)
    assert SECRET not in str(excinfo.value)
    assert "trader:***@127.0.0.1" in str(excinfo.value)


def test_a_password_with_special_characters_is_redacted() -> None:
    secret = "p@ss:w/rd%"
    quoted = "p%40ss%3Aw%2Frd%25"
    url = f"postgresql+psycopg://trader:{quoted}@127.0.0.1:{_closed_port()}/terminal"
    with pytest.raises(PersistenceError) as excinfo:
        Database.open(url)
    assert secret not in str(excinfo.value)
    assert quoted not in str(excinfo.value)


def test_garbage_url_is_not_echoed() -> None:
    with pytest.raises(PersistenceError) as excinfo:
        Database.open(f"not a url {SECRET}")
    assert SECRET not in str(excinfo.value)


def test_unsupported_dialect_is_refused() -> None:
    with pytest.raises(PersistenceError, match="only SQLite and PostgreSQL"):
        Database.open(f"mysql://root:{SECRET}@localhost/db")


def test_repr_and_url_hide_the_password(db_url: str) -> None:
    password = make_url(db_url).password
    with Database.open(db_url) as db:
        shown = f"{db!r} {db.url}"
    if password:
        assert str(password) not in shown
        assert "***" in shown


def test_a_short_password_does_not_garble_the_message() -> None:
    from sqlalchemy.engine import make_url

    from terminal.persistence.urls import scrub

    url = make_url("postgresql+psycopg://tt:p@127.0.0.1:1/db")
    text = 'connection to server at "127.0.0.1", port 1 failed: password=p accepting TCP/IP'
    assert scrub(text, url) == ('connection to server at "127.0.0.1", port 1 failed: '
                                'password=*** accepting TCP/IP')


def test_postgres_urls_without_a_driver_use_psycopg() -> None:
    from terminal.persistence.urls import parse_url

    for text in ("postgres://u:pw@127.0.0.1/db", "postgresql://u:pw@127.0.0.1/db"):
        assert parse_url(text).drivername == "postgresql+psycopg"
    assert parse_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"


def test_a_password_in_the_query_string_is_never_shown(tmp_path: Path) -> None:
    import subprocess
    import sys

    for url in ("postgresql+psycopg://trader@127.0.0.1:1/db?password=S3cr3tPW",
                "postgresql+psycopg:///db?host=127.0.0.1&port=1&password=S3cr3tPW",
                "postgresql://trader:S3cr3t@PW@127.0.0.1:1/db"):
        result = subprocess.run([sys.executable, "-m", "terminal", "--headless", "--data-dir",
                                 str(tmp_path), "--db-url", url, "--duration", "1"],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 2
        output = result.stdout + result.stderr
        assert "S3cr3t" not in output and "PW@" not in output
        assert "error:" in output
