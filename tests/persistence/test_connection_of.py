"""connection_of: a session's connection, remembered for its transaction and only for it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gateway.persistence.prepared import connection_of


def test_one_transaction_one_connection_and_a_new_one_after_commit_or_rollback(db):
    with Session(db.engine) as session:
        first = connection_of(session)
        assert connection_of(session) is first is session.connection()
        session.commit()
        second = connection_of(session)
        assert second is not first and not second.closed
        assert second is session.connection()  # the session's own, in its new transaction
        session.rollback()
        third = connection_of(session)
        assert third is not second and third is session.connection()
