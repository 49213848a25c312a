"""The audit log, and the base every repository shares (session, clock, audit)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.persistence.errors import NotFound
from gateway.persistence.models import (
    AccountHolder,
    AuditEvent,
    BankAccount,
    Consent,
    OAuthClient,
    Token,
)
from gateway.persistence.prepared import PreparedInsert, connection_of
from gateway.persistence.types import utcnow

Clock = Callable[[], datetime]
SYSTEM = "system"
_ACTOR = re.compile(r"system|(client|holder|operator):\S{1,180}")
_SUBJECTS: dict[type, tuple[str, str]] = {OAuthClient: ("client", "client_id"), AccountHolder: ("holder", "id"),
                                          BankAccount: ("bank_account", "id"), Consent: ("consent", "id"),
                                          Token: ("token", "id")}
_INSERT = PreparedInsert(AuditEvent.__table__, ["at", "actor", "action", "subject_type", "subject_id", "reason",
                                                 "details"])


class Repository:
    def __init__(self, session: Session, clock: Clock = utcnow) -> None:
        self.session = session
        self.clock = clock

    def audit(self, actor: str, action: str, subject: Any, reason: str | None = None, **details: Any) -> None:
        """Record a state change of ``subject`` (a model instance, or a ``(type, id)`` pair)."""
        subject_type, subject_id = subject if isinstance(subject, tuple) else _subject(subject)
        AuditLog(self.session, self.clock).append(actor=actor, action=action, subject_type=subject_type,
                                                  subject_id=subject_id, reason=reason, details=details or None)


class AuditLog(Repository):
    """Append and read; there is deliberately no update or delete (the database refuses them too)."""

    def append(self, *, actor: str, action: str, subject_type: str, subject_id: str, reason: str | None = None,
               details: dict[str, Any] | None = None) -> AuditEvent:
        if not _ACTOR.fullmatch(actor):
            raise ValueError(f"actor {actor!r} is not 'system' or '<client|holder|operator>:<id>'")
        event = AuditEvent(at=self.clock(), actor=actor, action=action, subject_type=subject_type,
                           subject_id=subject_id, reason=reason, details=details)
        self.session.add(event)  # written with the change it records, at the transaction's flush
        return event

    def append_many(self, events: list[dict[str, Any]]) -> None:
        """Many events in one prepared INSERT (a bulk payout's payments); same checks as ``append``.
        Each event gives actor, action, subject_type and subject_id; reason and details are optional."""
        for event in events:
            if not _ACTOR.fullmatch(event["actor"]):
                raise ValueError(f"actor {event['actor']!r} is not 'system' or '<client|holder|operator>:<id>'")
        if events:
            at = self.clock()
            _INSERT.execute(connection_of(self.session), [{"at": at, "reason": None, "details": None, **e} for e in events])

    def entries(self, *, subject_type: str | None = None, subject_id: str | None = None,
                action: str | None = None, limit: int = 1000) -> list[AuditEvent]:
        """Oldest first, optionally for one subject or action."""
        query = select(AuditEvent).order_by(AuditEvent.id).limit(limit)
        for column, value in ((AuditEvent.subject_type, subject_type), (AuditEvent.subject_id, subject_id),
                              (AuditEvent.action, action)):
            if value is not None:
                query = query.where(column == value)
        return list(self.session.scalars(query))


def found(row: Any, kind: str, key: str) -> Any:
    """``row``, or NotFound with the stable code ``<kind>_not_found``."""
    if row is None:
        raise NotFound(f"no {kind.replace('_', ' ')} {key!r}", code=f"{kind}_not_found")
    return row


def _subject(subject: Any) -> tuple[str, str]:
    kind, attribute = _SUBJECTS[type(subject)]
    return kind, getattr(subject, attribute)
