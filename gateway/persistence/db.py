"""The database handle: one Engine and one sessionmaker per process.

``Database.transaction()`` is the unit of work: everything done with the session
it yields commits together or not at all, which is how a state change and its
audit event stay inseparable.  Repositories never commit; the caller (a service,
one request) owns the transaction.

SQLite gets three pragmas on every new connection: ``foreign_keys=ON`` (SQLite
ignores foreign keys otherwise), ``journal_mode=WAL`` (readers do not block the
writer, which matters with several gunicorn workers) and ``busy_timeout`` (a
writer waits for the lock instead of failing at once).  The driver's default
transaction handling is kept: a transaction starts at the first write, so plain
reads never hold the write lock; lost updates are prevented by the version
columns on consents, codes and tokens, which turn a stale write into
``ConcurrentUpdate`` on both backends.  So does a PostgreSQL deadlock or serialization
failure: the transaction lost a race, and running it again from a fresh read is right.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from gateway.persistence.errors import ConcurrentUpdate

SQLITE_BUSY_TIMEOUT_MS = 5000
TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})
"""PostgreSQL's deadlock_detected and serialization_failure: the transaction lost a race and is
to be run again from a fresh read, like a failed version check (``ConcurrentUpdate``)."""
PING_AFTER_IDLE_SECONDS = 5.0
"""A pooled PostgreSQL connection that sat unused this long is pinged before it is handed out."""
_RETURNED_AT = "gateway.returned_at"


def create_database_url_for_sqlite(path: str | Path) -> str:
    """``sqlite+pysqlite:////absolute/path`` for a database file."""
    return URL.create("sqlite+pysqlite", database=str(Path(path).resolve())).render_as_string()


def ensure_sqlite_directory(url: str | URL) -> None:
    """Create the folder of a SQLite file (``var/`` on a fresh checkout); no-op for other URLs."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


class Database:
    """An Engine plus a sessionmaker; create one per process and share it."""

    def __init__(self, url: str | URL, *, ping_after_idle_seconds: float = PING_AFTER_IDLE_SECONDS,
                 **engine_options: Any) -> None:
        self.url = make_url(url)
        ensure_sqlite_directory(self.url)
        self.engine: Engine = create_engine(self.url, **engine_options)
        if self.url.get_backend_name() == "postgresql":
            _ping_when_idle(self.engine, ping_after_idle_seconds)
        if self.url.get_backend_name() == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        # Objects stay readable after commit, so a service can return what it stored.
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits when the block ends and rolls back if it raises."""
        with self._sessions() as session:
            try:
                yield session
                session.commit()
            except StaleDataError as exc:
                session.rollback()
                raise ConcurrentUpdate("the record was changed by another transaction; retry") from exc
            except DBAPIError as exc:
                session.rollback()
                if getattr(exc.orig, "sqlstate", None) in TRANSIENT_SQLSTATES:
                    raise ConcurrentUpdate(f"the transaction collided with another ({exc.orig.sqlstate}); "
                                           "retry") from exc
                raise
            except BaseException:
                session.rollback()
                raise

    # The same unit of work under the name most SQLAlchemy code expects.
    session = transaction

    def dispose(self) -> None:
        """Close pooled connections (tests, and before a process forks)."""
        self.engine.dispose()


def insert_for(session: Session):
    """The dialect's ``insert`` (with ``on_conflict_do_nothing``: both databases have it) for this
    session's database."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def _ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """SQLAlchemy's ``pool_pre_ping`` for connections that sat in the pool, not for one that
    came back from a request a moment ago.

    Why: a connection the server or a firewall dropped while it was idle must not fail the
    next request, and a ping finds it; but the ping is a round trip, and a round trip costs
    about as much CPU as an INSERT on each side (bench.operations: one in six of an accepted
    ``pay``'s).  A connection the server drops while it is busy fails its statement either
    way, and SQLAlchemy then replaces every connection the pool held before that moment."""

    @event.listens_for(engine, "connect")
    def fresh(_dbapi_connection: Any, record: Any) -> None:
        record.info.pop(_RETURNED_AT, None)

    @event.listens_for(engine, "checkin")
    def returned(_dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned_at = record.info.get(_RETURNED_AT)
        if returned_at is None or time.monotonic() - returned_at < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(f"the pooled connection is gone: {exc}") from exc  # the pool reconnects


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()
