"""The audit log is append-only: the repository only inserts, and the database
refuses UPDATE and DELETE whoever sends them."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from gateway.persistence.models import AuditEvent
from gateway.persistence.repositories import AuditLog


@pytest.fixture
def event_id(db, clock) -> int:
    with db.transaction() as s:
        event = AuditLog(s, clock).append(actor="holder:alice", action="consent.revoked", subject_type="consent",
                                          subject_id="c1", reason="changed my mind", details={"previous": "authorised"})
        s.flush()  # the id comes from the database
        return event.id


def test_events_are_appended_in_order_with_actor_time_and_reason(db, clock, event_id):
    first_at = clock.now
    clock.advance(seconds=1)
    with db.transaction() as s:
        log = AuditLog(s, clock)
        log.append(actor="system", action="consent.expired", subject_type="consent", subject_id="c2",
                   reason="expiry date passed")
        log.append(actor="client:w1", action="token.revoked", subject_type="token", subject_id="t1", reason="RFC 7009")
    with db.transaction() as s:
        log = AuditLog(s)
        rows = [(e.actor, e.action, e.subject_id, e.reason, e.details) for e in log.entries()]
        assert [e.subject_id for e in log.entries(subject_type="consent")] == ["c1", "c2"]
        assert [e.subject_id for e in log.entries(action="token.revoked")] == ["t1"]
        assert [e.at for e in log.entries()] == [first_at, clock.now, clock.now]
    assert rows == [("holder:alice", "consent.revoked", "c1", "changed my mind", {"previous": "authorised"}),
                    ("system", "consent.expired", "c2", "expiry date passed", None),
                    ("client:w1", "token.revoked", "t1", "RFC 7009", None)]


@pytest.mark.parametrize("actor", ["", "alice", "holder:", "root:x", "holder:a b"])
def test_an_actor_says_what_kind_of_party_acted(db, clock, actor):
    with pytest.raises(ValueError, match="actor"), db.transaction() as s:
        AuditLog(s, clock).append(actor=actor, action="x", subject_type="x", subject_id="x")


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET reason = 'nothing happened'",
                                       "UPDATE audit_events SET actor = 'system' WHERE id = :id",
                                       "DELETE FROM audit_events WHERE id = :id",
                                       "DELETE FROM audit_events"])
def test_the_database_refuses_to_change_or_delete_an_event(db, event_id, statement):
    with pytest.raises(DBAPIError, match="append-only"), db.transaction() as s:
        s.execute(text(statement), {"id": event_id})
    with db.transaction() as s:
        event = s.get(AuditEvent, event_id)
        assert (event.actor, event.reason) == ("holder:alice", "changed my mind")


def test_changing_an_event_through_the_orm_is_refused_too(db, event_id):
    with pytest.raises(DBAPIError, match="append-only"), db.transaction() as s:
        s.get(AuditEvent, event_id).reason = "rewritten history"
    with pytest.raises(DBAPIError, match="append-only"), db.transaction() as s:
        s.delete(s.get(AuditEvent, event_id))


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_refuses_truncate(db, event_id):
    with pytest.raises(DBAPIError, match="append-only"), db.transaction() as s:
        s.execute(text("TRUNCATE audit_events"))
    with db.transaction() as s:
        assert s.get(AuditEvent, event_id) is not None
