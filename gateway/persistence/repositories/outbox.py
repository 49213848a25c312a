"""The transactional outbox: messages waiting to be delivered to a bank.

A message is inserted in the same transaction as the payments it carries.  A
worker *claims* due messages for a lease (``claimed_until``), delivers them
outside any transaction, then records the outcome.  The claim is a conditional
UPDATE checked by its row count, so two workers (processes, machines) never
both claim one message, on SQLite (one writer at a time) as on PostgreSQL
(where candidates are also read ``FOR UPDATE SKIP LOCKED`` so workers do not
queue behind each other).

If a worker dies after the bank took the file but before recording it, the
lease runs out and another worker sends the same bytes again: same MsgId, so
the bank answers "duplicate", which is recorded as delivered.  Nothing is ever
sent as a second payment.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select, update

from gateway.persistence.errors import InvalidTransition
from gateway.persistence.models import new_id
from gateway.persistence.payment_models import (
    DeliveryAttempt,
    MessageStatus,
    OutgoingMessage,
)
from gateway.persistence.prepared import NewRow, PreparedInsert, connection_of
from gateway.persistence.repositories.audit import AuditLog, Repository, found

LEASE = timedelta(seconds=600)
"""Longer than a claimed batch can take to send (CLAIM_BATCH files, each at most its connector's timeout)."""
CLAIM_BATCH = 10
FIRST_RETRY = timedelta(seconds=5)
MAX_RETRY = timedelta(minutes=15)


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s ... capped at 15 min: a bank that is down is asked less and less often."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), MAX_RETRY)


def never_sent(row: OutgoingMessage) -> bool:
    """Whether this file certainly never left the gateway, so that nothing a bank says about its
    MsgId can be about it: held for review, cancelled, or due but never claimed by a worker nor
    tried.  A claim without an attempt is a worker that may have died after the bank took the
    file (see the module's docstring), so it counts as possibly sent.  A bank-api bank may have
    fetched a due file without acknowledging it: its own messages deliver the file first (see
    ``services.delivery.acknowledge_answered``)."""
    if row.status in (MessageStatus.HELD, MessageStatus.CANCELLED):
        return True
    return row.status == MessageStatus.PENDING and row.attempts == 0 and row.claimed_until is None


_INSERT = PreparedInsert(OutgoingMessage.__table__, [c.key for c in OutgoingMessage.__table__.columns])


class Outbox(Repository):
    def add(self, *, client_id: str, bank_id: str, message_type: str, message_id: str, body: bytes, sha256: str,
            held: list[str] | None, actor: str) -> NewRow:
        """Insert a message to send (one prepared INSERT, with its audit event: this runs on every
        accepted operation).  The row comes back as a ``NewRow``, for the answer."""
        now = self.clock()
        status = MessageStatus.HELD if held else MessageStatus.PENDING
        row = NewRow(id=new_id(), client_id=client_id, bank_id=bank_id, message_type=message_type,
                     message_id=message_id, body=body, sha256=sha256, status=status, hold_reasons=held or None,
                     attempts=0, next_attempt_at=now, claimed_until=None, claimed_by=None, last_error=None,
                     bank_reference=None, created_at=now, delivered_at=None, version=1)
        self.session.flush()  # what the ORM holds (a consent's use and its audit) goes in first, in order
        _INSERT.execute(connection_of(self.session), [vars(row)])
        AuditLog(self.session, self.clock).append_many([{
            "actor": actor, "action": f"message.{status.value}", "subject_type": "message", "subject_id": row.id,
            "reason": "; ".join(held or []) or None,
            "details": {"bank": bank_id, "message_id": message_id, "message_type": message_type}}])
        return row

    def get(self, row_id: str) -> OutgoingMessage:
        return found(self.find(row_id), "message", row_id)

    def find(self, row_id: str) -> OutgoingMessage | None:
        return self.session.get(OutgoingMessage, row_id)

    def claim_due(self, worker: str, *, limit: int = 10, bank_ids: list[str] | None = None) -> list[OutgoingMessage]:
        """Claim up to ``limit`` due messages for this worker; the caller commits before delivering."""
        now = self.clock()
        query = (select(OutgoingMessage.id)
                 .where(OutgoingMessage.status == MessageStatus.PENDING, OutgoingMessage.next_attempt_at <= now,
                        or_(OutgoingMessage.claimed_until.is_(None), OutgoingMessage.claimed_until < now))
                 .order_by(OutgoingMessage.next_attempt_at, OutgoingMessage.id).limit(limit))
        if bank_ids is not None:
            query = query.where(OutgoingMessage.bank_id.in_(bank_ids))
        if self.session.bind.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        claimed = []
        for row_id in list(self.session.scalars(query)):
            result = self.session.execute(
                update(OutgoingMessage)
                .where(OutgoingMessage.id == row_id, OutgoingMessage.status == MessageStatus.PENDING,
                       or_(OutgoingMessage.claimed_until.is_(None), OutgoingMessage.claimed_until < now))
                .values(claimed_until=now + LEASE, claimed_by=worker, version=OutgoingMessage.version + 1)
                .execution_options(synchronize_session=False))
            if result.rowcount == 1:
                claimed.append(row_id)
        self.session.flush()
        rows = [self.session.get(OutgoingMessage, row_id, populate_existing=True) for row_id in claimed]
        return [row for row in rows if row is not None]

    def record(self, row: OutgoingMessage, *, worker: str, outcome: str, detail: str | None = None,
               bank_reference: str | None = None) -> bool:
        """Store one attempt's outcome: delivered/duplicate → delivered; refused → refused; else retry
        later.  False if the message was decided already (the attempt is then history only)."""
        now = self.clock()
        row.attempts += 1
        if row.claimed_by == worker:  # a claim another worker took over (lease run out) stays its own
            row.claimed_until = row.claimed_by = None
        self.session.add(DeliveryAttempt(outgoing_message_id=row.id, at=now, worker=worker, outcome=outcome,
                                         detail=detail))
        if row.status != MessageStatus.PENDING:
            return False  # decided already (delivered by another worker's attempt): history only
        if outcome in ("delivered", "duplicate"):
            row.status, row.delivered_at, row.last_error = MessageStatus.DELIVERED, now, None
            row.bank_reference = bank_reference or row.bank_reference
        elif outcome == "refused":
            row.status, row.last_error = MessageStatus.REFUSED, detail
        else:
            row.next_attempt_at, row.last_error = now + backoff(row.attempts), detail
        self.session.flush()
        if row.status != MessageStatus.PENDING:
            self.audit("system", f"message.{row.status.value}", ("message", row.id), detail, worker=worker,
                       outcome=outcome, attempts=row.attempts)
        return True

    def unclaim(self, row_id: str, *, worker: str) -> None:
        """Give back a claim without an attempt (its bank turned out to be down this pass)."""
        self.session.execute(update(OutgoingMessage)
                             .where(OutgoingMessage.id == row_id, OutgoingMessage.claimed_by == worker)
                             .values(claimed_until=None, claimed_by=None, version=OutgoingMessage.version + 1)
                             .execution_options(synchronize_session=False))

    def release(self, row: OutgoingMessage, *, actor: str, reason: str) -> None:
        self._decide(row, MessageStatus.PENDING, actor=actor, reason=reason)

    def cancel(self, row: OutgoingMessage, *, actor: str, reason: str) -> None:
        self._decide(row, MessageStatus.CANCELLED, actor=actor, reason=reason)

    def attempts(self, row_id: str) -> list[DeliveryAttempt]:
        query = select(DeliveryAttempt).where(DeliveryAttempt.outgoing_message_id == row_id)
        return list(self.session.scalars(query.order_by(DeliveryAttempt.id)))

    def pending_for_bank(self, bank_id: str, *, limit: int = 100) -> list[OutgoingMessage]:
        """For banks that fetch their files (bank-api): what is waiting for them, oldest first."""
        query = (select(OutgoingMessage)
                 .where(OutgoingMessage.bank_id == bank_id, OutgoingMessage.status == MessageStatus.PENDING)
                 .order_by(OutgoingMessage.created_at, OutgoingMessage.id).limit(limit))
        return list(self.session.scalars(query))

    def _decide(self, row: OutgoingMessage, status: MessageStatus, *, actor: str, reason: str) -> None:
        if row.status != MessageStatus.HELD:
            raise InvalidTransition(f"message {row.id} is {row.status.value}, not held", code="not_held")
        row.status, row.next_attempt_at = status, self.clock()
        self.session.flush()
        self.audit(actor, f"message.{status.value}", ("message", row.id), reason)

