"""Deliver what the outbox holds: claim (one short transaction), send (no transaction open
while the bank is called), record (another short transaction).

Outcomes of one attempt:

* delivered, or a duplicate of a file this gateway sent (the bank already had
  the MsgId: an earlier attempt reached it but was not recorded) → the
  message is delivered, its payments are ``sent``;
* ``BankUnavailable`` or an unexpected error → recorded, retried with backoff;
* ``DeliveryRefused`` / ``NotSupported`` → the message is refused and its
  payments ``rejected`` with the bank's words (its pain.002, if it sends one,
  adds the ISO reason).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from gateway.connectors.base import (
    BankUnavailable,
    DeliveryRefused,
    NotSupported,
    OutgoingFile,
    Submission,
)
from gateway.connectors.base import InboundMessage as Incoming
from gateway.persistence.db import Database
from gateway.persistence.errors import ConcurrentUpdate, NotFound
from gateway.persistence.payment_models import (
    MessageStatus,
    OutgoingMessage,
    PaymentStatus,
)
from gateway.persistence.repositories.inbound import InboundMessages, external_id
from gateway.persistence.repositories.outbox import CLAIM_BATCH, Outbox
from gateway.persistence.repositories.payments import Payments
from gateway.services import lifecycle
from gateway.services.runtime import Runtime

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
RECORD_ATTEMPTS = 3


@dataclass
class DispatchReport:
    delivered: int = 0
    retried: int = 0
    refused: int = 0
    answers: list[str] = field(default_factory=list)
    """Stored rows (``inbound_messages``) of what banks answered synchronously, to interpret."""

    @property
    def attempted(self) -> int:
        return self.delivered + self.retried + self.refused


def dispatch(database: Database, runtime: Runtime, *, worker: str, clock: Clock,
             limit: int = CLAIM_BATCH) -> DispatchReport:
    """Claim up to ``limit`` due files (few: the lease must outlast sending all of them) and send
    them.  After a bank turns out to be down, its other claimed files are given back untried, so
    one pass never waits out the same dead bank's timeout twice."""
    report = DispatchReport()
    with database.transaction() as session:
        claimed = [(row.id, row.bank_id, OutgoingFile(row.message_id, row.message_type, row.body))
                   for row in Outbox(session, clock).claim_due(worker, limit=limit, bank_ids=runtime.push_banks())]
    down: set[str] = set()
    for row_id, bank_id, outgoing in claimed:
        if bank_id in down:
            with database.transaction() as session:
                Outbox(session, clock).unclaim(row_id, worker=worker)
            continue
        outcome, detail, submission = _send(runtime, bank_id, outgoing)
        if outcome == "unavailable":
            down.add(bank_id)
        report.answers += _record(database, clock, row_id, worker=worker, outcome=outcome, detail=detail,
                                  bank_reference=submission.reference if submission else None,
                                  answers=submission.immediate if submission else ())
        if outcome in ("delivered", "duplicate"):
            report.delivered += 1
        elif outcome == "refused":
            report.refused += 1
        else:
            report.retried += 1
    return report


def _record(database: Database, clock: Clock, row_id: str, *, worker: str, outcome: str, detail: str | None,
            bank_reference: str | None, answers: Sequence[Incoming] = ()) -> list[str]:
    """The attempt, its payments' new status and what the bank answered at once, in one
    transaction: a crash after it leaves the answers stored (``interpret_pending`` reads them),
    never a delivered file whose only pain.002 was lost.  Returns the answers' new rows.

    The bank may already have answered (its pain.002 collected and applied by another worker)
    while this one was sending, so a payment can change under the transaction: it is recorded
    again from a fresh read, as an unrecorded send would otherwise be re-sent when its lease ends.
    An outcome that comes after the message was decided (another worker's attempt, after this
    one's lease ran out) is history only: it does not move the payments."""
    for attempt in range(1, RECORD_ATTEMPTS + 1):
        try:
            with database.transaction() as session:
                row = Outbox(session, clock).get(row_id)
                if Outbox(session, clock).record(row, worker=worker, outcome=outcome, detail=detail,
                                                 bank_reference=bank_reference):
                    _update_payments(session, clock, row, outcome, detail)
                stored = [InboundMessages(session, clock).store(bank_id=row.bank_id,
                                                                external_id=external_id(answer.id, answer.body),
                                                                body=answer.body) for answer in answers]
                return [stored_row.id for stored_row, is_new in stored if is_new]
        except ConcurrentUpdate:
            if attempt == RECORD_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def acknowledge(session, clock: Clock, *, bank_id: str, row_id: str, client_id: str) -> OutgoingMessage:
    """A bank that fetches its files (bank-api) confirms it has one: delivered, its payments sent.
    Acknowledging again changes nothing; another bank's file is 'not found'."""
    outbox = Outbox(session, clock)
    row = outbox.find(row_id)
    if row is None or row.bank_id != bank_id or row.status in (MessageStatus.HELD, MessageStatus.CANCELLED):
        raise NotFound(f"no file {row_id!r} for this bank", code="file_not_found")
    if row.status == MessageStatus.PENDING:
        _taken_by_bank(session, clock, row, worker=f"bank:{client_id}", detail="fetched and acknowledged")
    return row


def acknowledge_answered(session, clock: Clock, *, bank_id: str, file_ids: Iterable[str], answer: str) -> int:
    """A bank that fetches its files (bank-api) answered some before acknowledging them (``answer``
    names its message: a pain.002 about a file, a camt.05x booking or a pacs.004 returning one of a
    file's payments).  The answer shows it has them, so each of its own files still waiting is
    delivered (its payments ``sent``, the delivery audited) before the answer applies, exactly as
    if acknowledged; the number delivered now.  Files of other banks, and files not waiting (held,
    cancelled, delivered already), are left as they are."""
    delivered = 0
    outbox = Outbox(session, clock)
    for row_id in sorted(set(file_ids)):  # in id order: two answers at once lock files in one order
        row = outbox.find(row_id)
        if row is None or row.bank_id != bank_id or row.status != MessageStatus.PENDING:
            continue
        _taken_by_bank(session, clock, row, worker=f"bank:{bank_id}",
                       detail=f"answered by the bank's {answer} before its ack")
        delivered += 1
    return delivered


def _taken_by_bank(session, clock: Clock, row: OutgoingMessage, *, worker: str, detail: str) -> None:
    if Outbox(session, clock).record(row, worker=worker[:64], outcome="delivered", detail=detail):
        _update_payments(session, clock, row, "delivered", None)


def _send(runtime: Runtime, bank_id: str, outgoing: OutgoingFile) -> tuple[str, str | None, Submission | None]:
    try:
        submission = runtime.connector(bank_id).submit(outgoing)
    except BankUnavailable as exc:
        return "unavailable", exc.message, None
    except (DeliveryRefused, NotSupported) as exc:
        return "refused", exc.message, None
    except Exception as exc:  # a connector bug or an unforeseen network error: retry, and say so in the log
        log.exception("delivering %s to %s failed unexpectedly", outgoing.message_id, bank_id)
        return "error", f"{type(exc).__name__}: {exc}", None
    if submission.duplicate:
        return "duplicate", submission.detail or "the bank already had this MsgId", submission
    return "delivered", submission.detail or None, submission


def _update_payments(session, clock: Clock, row: OutgoingMessage, outcome: str, detail: str | None) -> None:
    if outcome not in ("delivered", "duplicate", "refused"):
        return
    for payment in Payments(session, clock).of_message(row.id):
        if outcome == "refused":
            lifecycle.move(session, clock, payment, PaymentStatus.REJECTED, source=f"refused by {row.bank_id}",
                           reason_text=detail)
        else:
            lifecycle.move(session, clock, payment, PaymentStatus.SENT, source=f"delivered to {row.bank_id}"
                           + (" (the bank already had it)" if outcome == "duplicate" else ""))
