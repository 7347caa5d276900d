"""Fixtures: every persistence test runs against SQLite and PostgreSQL.

PostgreSQL comes from TT_TEST_PG_URL (a SQLAlchemy URL of a role that may create databases),
or else from a throwaway server started here for the session: initdb into a temp dir, then
pg_ctl on 127.0.0.1 and a free port, stopped and deleted at the end. Each test gets a fresh
database. Without server binaries the tests fail and say how to install them, unless
TT_SKIP_POSTGRES=1, which skips the PostgreSQL half.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import URL, make_url

from terminal.persistence import Database, default_url

# Widgets draw offscreen: the tests run on machines with no display
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

PG_URL_ENV = "TT_TEST_PG_URL"
SKIP_ENV = "TT_SKIP_POSTGRES"
INSTALL_HINT = "run `tests/tools/postgres.sh install`"
PG_ROLE = "tt"


@dataclass(frozen=True)
class PgServer:
    """A PostgreSQL server the tests may create and drop databases on."""

    url: URL  # connects to a maintenance database

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(host=self.url.host, port=self.url.port, user=self.url.username,
                               password=self.url.password, dbname=self.url.database or "postgres",
                               autocommit=True, connect_timeout=10)

    def create_database(self) -> str:
        name = f"tt_test_{uuid.uuid4().hex[:12]}"
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url.set(database=name).render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        name = make_url(url).database
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def find_bindir() -> Path | None:
    candidates: list[str] = []
    if shutil.which("pg_config"):
        done = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        if done.returncode == 0:
            candidates.append(done.stdout.strip())
    versions = [p for p in Path("/usr/lib/postgresql").glob("*/bin") if p.parent.name.isdigit()]
    candidates += [str(p) for p in sorted(versions, key=lambda p: int(p.parent.name), reverse=True)]
    for candidate in candidates:
        path = Path(candidate)
        if (path / "initdb").is_file() and (path / "pg_ctl").is_file():
            return path
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(cmd: list[str], what: str) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        pytest.fail(f"{what} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}",
                    pytrace=False)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    given = os.environ.get(PG_URL_ENV)
    if given:
        yield PgServer(make_url(given))
        return
    bindir = find_bindir()
    if bindir is None:
        if os.environ.get(SKIP_ENV) == "1":
            pytest.skip(f"{SKIP_ENV}=1 and no PostgreSQL server binaries ({INSTALL_HINT})")
        pytest.fail(f"PostgreSQL server binaries (initdb, pg_ctl) were not found: {INSTALL_HINT}, "
                    f"or set {PG_URL_ENV} to a server, or {SKIP_ENV}=1 to skip these tests",
                    pytrace=False)
    yield from _throwaway_server(bindir)


def _throwaway_server(bindir: Path) -> Iterator[PgServer]:
    as_root = os.geteuid() == 0
    prefix: list[str] = []
    owner: pwd.struct_passwd | None = None
    if as_root:  # postgres refuses to run as root
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.fail("running as root needs a `postgres` user to run the server: "
                        f"{INSTALL_HINT}", pytrace=False)
        prefix = ["runuser", "-u", "postgres", "--"]
    # /tmp, not pytest's tmp dirs: those are private to root and postgres could not enter
    base = Path(tempfile.mkdtemp(prefix="tt-pg-", dir="/tmp" if as_root else None))
    password = secrets.token_urlsafe(18)
    pwfile = base / "pwfile"
    pwfile.write_text(password + "\n")
    pwfile.chmod(0o600)
    if owner is not None:
        for path in (base, pwfile):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    data = base / "data"
    pg_ctl = [*prefix, str(bindir / "pg_ctl"), "-D", str(data)]
    started = False
    try:
        _run([*prefix, str(bindir / "initdb"), "-D", str(data), "-U", PG_ROLE,
              f"--pwfile={pwfile}", "--auth=scram-sha-256", "--encoding=UTF8", "--no-locale",
              "--no-sync", "--no-instructions"], "initdb")
        for _attempt in range(3):  # the free port may be taken before the server binds it
            port = _free_port()
            options = (f"-h 127.0.0.1 -p {port} -k {base} -c fsync=off "
                       "-c synchronous_commit=off -c full_page_writes=off")
            done = subprocess.run([*pg_ctl, "-l", str(base / "server.log"), "-w", "-t", "60",
                                   "-o", options, "start"], capture_output=True, text=True)
            if done.returncode == 0:
                started = True
                break
        if not started:
            log = (base / "server.log").read_text(errors="replace")[-3000:]
            pytest.fail(f"pg_ctl start failed:\n{done.stdout}\n{done.stderr}\n{log}",
                        pytrace=False)
        yield PgServer(URL.create("postgresql+psycopg", username=PG_ROLE, password=password,
                                  host="127.0.0.1", port=port, database="postgres"))
    finally:
        if (data / "postmaster.pid").exists():  # also after a start that timed out
            subprocess.run([*pg_ctl, "-m", "immediate", "-w", "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database, SQLite file or fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield default_url(tmp_path / "data")
        return
    server: PgServer = request.getfixturevalue("pg_server")
    url = server.create_database()
    try:
        yield url
    finally:
        server.drop_database(url)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """A migrated, empty database."""
    database = Database.open(db_url)
    database.migrate()
    try:
        yield database
    finally:
        database.close()
