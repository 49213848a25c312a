"""pytest plugin: a real, throwaway PostgreSQL server for the storage tests.

Why a real server: the gateway promises the same code on SQLite and PostgreSQL,
and the differences that bite (types, triggers, transactional DDL, constraint
names, concurrency) only show on the real thing.

How: the Debian server binaries (``initdb``, ``pg_ctl``; on PATH or in
``/usr/lib/postgresql/<version>/bin``) create a cluster in a temporary folder,
``pg_ctl`` starts it on a free port on 127.0.0.1 with its socket in that folder
(fsync off: the data is thrown away), and the folder is removed at the end of
the session.  PostgreSQL refuses to run as root, so as root both commands run
through ``runuser -u postgres --`` and the folder belongs to ``postgres``.  The
server starts once per session, and only if a test asks for it.

Missing binaries fail the tests that need them (never a skip) with the package
to install.

Fixtures:

* ``postgres_server`` (session): the running ``PostgresServer``.
* ``postgres_url`` (session): ``postgresql+psycopg://`` URL of an empty database.
* ``database_url`` (per test, over ``sqlite`` and ``postgresql``): a fresh
  database migrated to head.  PostgreSQL databases are cloned from a template
  migrated once per session (``CREATE DATABASE ... TEMPLATE``, ~30 ms); SQLite
  files are copied from a migrated file.
* ``blank_database_url`` (per test, both backends): a fresh, empty database, for
  the migration tests.
"""

from __future__ import annotations

import atexit
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

BACKENDS = ["sqlite", "postgresql"]
INSTALL_HINT = ("PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in /usr/lib/postgresql/*/bin; "
                "the storage tests run on a real server: install it with `apt-get install postgresql` "
                "(Debian/Ubuntu; `dnf install postgresql-server` on Fedora, `brew install postgresql` on macOS)")
USER = "gateway"
DEBIAN_ROOT = Path("/usr/lib/postgresql")
START_TIMEOUT_SECONDS = 60


def find_bin_dir() -> Path:
    """The folder holding initdb and pg_ctl: PATH first, then Debian's newest version."""
    candidates = [Path(found).resolve().parent for found in [shutil.which("pg_ctl")] if found]
    candidates += sorted(DEBIAN_ROOT.glob("*/bin"), key=_version, reverse=True)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    pytest.fail(INSTALL_HINT, pytrace=False)


def _version(folder: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in folder.parent.name.split(".") if part.isdigit())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _postgres_account() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        pytest.fail("running as root, the PostgreSQL server needs the 'postgres' user to run as; "
                    "`apt-get install postgresql` creates it", pytrace=False)


class PostgresServer:
    """One cluster in a temporary folder, reachable on 127.0.0.1 with trust authentication."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.as_root = os.geteuid() == 0
        owner = _postgres_account() if self.as_root else None
        self.base = Path(tempfile.mkdtemp(prefix="gateway-pg-"))
        if owner:
            os.chown(self.base, owner.pw_uid, owner.pw_gid)
        self.data, self.log = self.base / "data", self.base / "server.log"
        self.port = 0
        self._names = itertools.count(1)
        self._admin = None

    def start(self) -> None:
        self._run("initdb", "-D", self.data, "-U", USER, "--auth=trust", "-E", "UTF8", "--locale=C",
                  "--no-sync", "--no-instructions")
        for attempt in range(3):  # another process may take the free port before the server binds it
            self.port = _free_port()
            # No fsync: the data is thrown away at the end.
            options = (f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off"
                       " -c full_page_writes=off")
            if self._run("pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", START_TIMEOUT_SECONDS,
                         "-o", options, "start", check=attempt == 2).returncode == 0:
                break

    def stop(self) -> None:
        """Idempotent: also registered with atexit in case the session ends abnormally."""
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop", check=False)
        shutil.rmtree(self.base, ignore_errors=True)

    def url(self, database: str, *, unix_socket: bool = False) -> str:
        """Over TCP on 127.0.0.1, or over the server's Unix-domain socket (how a database on the
        same host is reached: a round trip costs about a third less CPU on both sides)."""
        if unix_socket:
            return f"postgresql+psycopg://{USER}@/{database}?host={self.base}&port={self.port}"
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None, *, template: str | None = None) -> str:
        name = name or f"test_{next(self._names)}"
        self._execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return name

    def drop_database(self, name: str) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _execute(self, sql: str) -> None:
        import psycopg

        if self._admin is None:
            self._admin = psycopg.connect(host="127.0.0.1", port=self.port, user=USER, dbname="postgres",
                                          autocommit=True)
        self._admin.execute(sql)

    def _run(self, program: str, *args: object, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bin_dir / program), *map(str, args)]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if check and done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            pytest.fail(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}{log}",
                        pytrace=False)
        return done


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer(find_bin_dir())
    atexit.register(server.stop)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    return postgres_server.url(postgres_server.create_database("gateway"))


@pytest.fixture(scope="session")
def _postgres_template(postgres_server: PostgresServer) -> str:
    from gateway.persistence.migrate import upgrade

    name = postgres_server.create_database("gateway_template")
    upgrade(postgres_server.url(name))
    return name


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from gateway.persistence.db import create_database_url_for_sqlite
    from gateway.persistence.migrate import upgrade

    path = tmp_path_factory.mktemp("sqlite-template") / "gateway.db"
    upgrade(create_database_url_for_sqlite(path))
    return path


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database, migrated to head, on each backend in turn."""
    yield from _fresh_database(request, tmp_path, migrated=True)


@pytest.fixture(params=BACKENDS)
def blank_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database (no tables), on each backend in turn."""
    yield from _fresh_database(request, tmp_path, migrated=False)


def _fresh_database(request: pytest.FixtureRequest, tmp_path: Path, *, migrated: bool) -> Iterator[str]:
    from gateway.persistence.db import create_database_url_for_sqlite

    if request.param == "sqlite":
        path = tmp_path / "gateway.db"
        if migrated:
            shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        yield create_database_url_for_sqlite(path)
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = server.create_database(template=request.getfixturevalue("_postgres_template") if migrated else None)
    yield server.url(name)
    server.drop_database(name)
