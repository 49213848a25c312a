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
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Flask, Response, current_app, g
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from gateway.domain.errors import GatewayError
from gateway.persistence.db import Database
from gateway.persistence.errors import ConcurrentUpdate
from gateway.persistence.types import utcnow

DATABASE = "gateway.database"
CLOCK = "gateway.clock"


def install(app: Flask, database: Database, *, on_commit_error: Callable[[GatewayError], Response]) -> None:
    app.extensions[DATABASE] = database
    app.extensions.setdefault(CLOCK, utcnow)

    @app.after_request
    def _finish(response: Response) -> Response:
        current = g.pop("db_session", None)
        if current is None:
            return response
        try:
            if g.get("request_failed"):
                current.rollback()
            else:
                try:
                    current.commit()
                except StaleDataError:
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
        current = g.pop("db_session", None)  # after_request did not run (an unhandled error)
        if current is not None:
            current.rollback()
            current.close()


def mark_failed() -> None:
    """Called by the error handlers: this request's writes must not be committed."""
    g.request_failed = True


def database() -> Database:
    return current_app.extensions[DATABASE]


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
