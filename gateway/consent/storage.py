"""One database session per request, committed at the end of a successful request.

Why here and not in each view: a consent transition, the tokens it revokes and
the audit events that record both must be written together or not at all, so
the unit of work is the request.  Views and authlib's callbacks call
:func:`session` and get the same session for the whole request.

When is a request "successful"?  When no exception escaped the view: an error
handler marks the request failed (``mark_failed``) and the session rolls back.
An OAuth error that authlib *returns* (``invalid_grant`` for a reused refresh
token or code) is not an exception: the repositories' security reactions
(revoking the token family) are committed with it, which is the point.

A commit that fails on a version check (two concurrent refreshes of one token)
becomes the caller's ``on_commit_error`` response (409 ``concurrent_update``).

Reads that change nothing (the resource protector's token lookup on a read-only call,
``GET /consents/{id}``) need no transaction at all: :func:`read` runs one statement on the
*read connection*, which never begins, commits or rolls back anything, so every statement
sees what is committed at that moment.  On PostgreSQL it comes from a second engine in
autocommit mode without a pre-ping, so a read is one round trip instead of four (ping,
BEGIN, SELECT, COMMIT); on SQLite the driver opens no transaction for a SELECT anyway, so
it is a connection of the main engine.  Each worker thread keeps its read connection from
one request to the next (no pool checkout and reset per call); one found dead (a database
restart) fails once, is replaced, and the read is retried.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from flask import Flask, Response, current_app, g
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from gateway.domain.errors import GatewayError
from gateway.persistence.db import Database
from gateway.persistence.errors import ConcurrentUpdate
from gateway.persistence.types import utcnow

T = TypeVar("T")
DATABASE = "gateway.database"
READER = "gateway.reader"
READ_CONNECTIONS = "gateway.read_connections"
CLOCK = "gateway.clock"


def read_engine(database: Database) -> Engine:
    """The engine of the read connections (see the module docstring); dispose it with the database."""
    if database.dialect == "postgresql":
        return create_engine(database.url, isolation_level="AUTOCOMMIT", pool_pre_ping=False)
    return database.engine


def install(app: Flask, database: Database, *, on_commit_error: Callable[[GatewayError], Response]) -> None:
    app.extensions[DATABASE] = database
    app.extensions[READER] = read_engine(database)
    app.extensions[READ_CONNECTIONS] = threading.local()
    app.extensions.setdefault(CLOCK, utcnow)

    @app.after_request
    def _finish(response: Response) -> Response:
        _end_reads()
        current = g.pop("db_session", None)
        if current is None:
            return response
        try:
            if g.get("request_failed"):
                current.rollback()
            else:
                try:
                    current.commit()
                except (StaleDataError, IntegrityError):  # a version check or a unique key lost a race
                    current.rollback()
                    return on_commit_error(ConcurrentUpdate("the record was changed by another request; retry"))
                except GatewayError as exc:
                    current.rollback()
                    return on_commit_error(exc)
        finally:
            current.close()
        return response

    @app.teardown_request
    def _teardown(_exc: BaseException | None) -> None:
        _end_reads()
        current = g.pop("db_session", None)  # after_request did not run (an unhandled error)
        if current is not None:
            current.rollback()
            current.close()


def mark_failed() -> None:
    """Called by the error handlers: this request's writes must not be committed."""
    g.request_failed = True


def database() -> Database:
    return current_app.extensions[DATABASE]


def dispose(app: Flask) -> None:
    """Close the app's connections: this thread's read connection, then both engines' pools
    (tests, shutdown)."""
    local = app.extensions[READ_CONNECTIONS]
    connection = getattr(local, "connection", None)
    if connection is not None:
        local.connection = None
        connection.close()
    database = app.extensions[DATABASE]
    reader = app.extensions[READER]
    if reader is not database.engine:
        reader.dispose()
    database.dispose()


def read(use: Callable[[Connection], T]) -> T:
    """``use(connection)`` with this thread's read connection (no transaction); a connection found
    dead is replaced and ``use`` called once more.  Never for anything that writes."""
    g.gateway_read = True
    try:
        return use(_reader())
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        _forget_reader()
        return use(_reader())


def _reader() -> Connection:
    local = current_app.extensions[READ_CONNECTIONS]
    connection = getattr(local, "connection", None)
    if connection is None or connection.closed or connection.invalidated:
        connection = local.connection = current_app.extensions[READER].connect()
    return connection


def _end_reads() -> None:
    """After a request that read: end whatever SQLAlchemy may have begun on the read connection (a
    no-op for the prepared reads, which run on the DBAPI connection; nothing is ever open in the
    database), or drop a connection that fails even that."""
    if not g.pop("gateway_read", False):
        return
    connection = getattr(current_app.extensions[READ_CONNECTIONS], "connection", None)
    if connection is not None:
        try:
            connection.rollback()
        except DBAPIError:
            _forget_reader()


def _forget_reader() -> None:
    local = current_app.extensions[READ_CONNECTIONS]
    connection, local.connection = getattr(local, "connection", None), None
    if connection is not None:
        try:
            connection.close()
        except DBAPIError:
            pass


def session() -> Session:
    """The request's session (opened on first use)."""
    current = g.get("db_session")
    if current is None:
        current = g.db_session = Session(database().engine, expire_on_commit=False)
    return current


def clock() -> Callable[[], datetime]:
    """The clock repositories use; tests replace ``app.extensions[CLOCK]`` to move time."""
    return current_app.extensions[CLOCK]


def now() -> datetime:
    return clock()()
