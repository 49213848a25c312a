"""What banks send back: collected by the worker, or posted by a bank (bank-api), stored raw,
then interpreted.

Two transactions per message, on purpose: the first stores the bytes (unique per
bank and message id, so collecting twice stores once), the second interprets
them.  If interpreting fails or the process dies in between, the stored row is
still unprocessed and ``interpret_pending`` takes it up again; the bank is only
told it may forget the message (``acknowledge``) after the first commit.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from gateway.connectors.base import InboundMessage as Incoming
from gateway.domain.errors import GatewayError, InvalidInput
from gateway.domain.returns import PaymentReturn
from gateway.domain.statements import Report
from gateway.domain.status import StatusReport
from gateway.iso20022 import parse, validate
from gateway.iso20022.parse import Parsed
from gateway.persistence.db import Database
from gateway.persistence.errors import ConcurrentUpdate
from gateway.persistence.payment_models import InboundMessage
from gateway.persistence.repositories.inbound import InboundMessages, external_id
from gateway.routing import Router
from gateway.services import delivery, reports, returns, statuses
from gateway.services.runtime import Runtime

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
FAMILIES = ("pain.002", "camt.052", "camt.053", "camt.054", "pacs.004")
ATTEMPTS = 3
DEFERRED = "deferred"


@dataclass
class Interpreted:
    outcome: str
    """processed | invalid | ignored, or deferred (not stored: the row waits for the next pass)"""
    family: str | None = None
    findings: tuple = ()


def collect(database: Database, runtime: Runtime, bank_id: str, *, clock: Clock) -> int:
    """Fetch what the bank has for us, store it, interpret it; the number of new messages."""
    connector = runtime.connector(bank_id)
    messages = list(connector.collect())
    new = store_and_interpret(database, bank_id, messages, clock=clock, router=runtime.router)
    connector.acknowledge([m.id for m in messages])
    return new


def store_and_interpret(database: Database, bank_id: str, messages: Iterable[Incoming], *, clock: Clock,
                        router: Router | None = None) -> int:
    new_rows = []
    for message in messages:
        with database.transaction() as session:
            row, is_new = InboundMessages(session, clock).store(bank_id=bank_id,
                                                                external_id=external_id(message.id, message.body),
                                                                body=message.body)
            if is_new:
                new_rows.append(row.id)
    for row_id in new_rows:
        interpret_stored(database, row_id, clock=clock, router=router)
    return len(new_rows)


def receive(session: Session, clock: Clock, bank_id: str, body: bytes, *,
            router: Router | None = None) -> tuple[InboundMessage, Interpreted]:
    """A message a bank posts itself (bank-api): validated on arrival like any file (XSD and
    rules; an invalid one is refused with its findings and not stored), then stored and applied
    in the caller's transaction.  Posting the same bytes again is answered with the first outcome."""
    report = validate(body, today=clock().date())
    if report.family is not None and report.family not in FAMILIES:
        raise InvalidInput(f"a bank posts {', '.join(FAMILIES)}, not {report.family}", report.findings,
                           code="unexpected_message")
    if not report.valid:
        raise InvalidInput(f"the message has {len(report.errors)} error(s) and was not accepted", report.findings,
                           code="invalid_message")
    row, is_new = InboundMessages(session, clock).store(bank_id=bank_id, external_id=hashlib.sha256(body).hexdigest(),
                                                        body=body)
    if not is_new:
        return row, Interpreted(row.outcome or "processed", row.family)
    return row, interpret(session, clock, row, router=router, from_the_bank=True, parsed=report.parsed)


def interpret_pending(database: Database, *, clock: Clock, limit: int = 100, router: Router | None = None) -> int:
    """Interpret rows a crash (or a deferral, see ``interpret_stored``) left unprocessed; the
    number interpreted now."""
    with database.transaction() as session:
        pending = [row.id for row in InboundMessages(session, clock).unprocessed(limit=limit)]
    return sum(interpret_stored(database, row_id, clock=clock, router=router).outcome != DEFERRED for row_id in pending)


def interpret_stored(database: Database, row_id: str, *, clock: Clock, router: Router | None = None) -> Interpreted:
    """Interpret one stored message in its own transaction.

    Workers run side by side: two messages about one payment (its pain.002 and its camt.054)
    can be applied at the same moment by two workers, and the payment's version column makes
    the later commit fail (``ConcurrentUpdate``); two messages repeating one booking can both
    insert its entry, and the later insert fails on the unique key (``IntegrityError``).  That
    message is tried again from a fresh read, where it sees the other's work, and after
    :data:`ATTEMPTS` left unprocessed for the next pass.  A database that cannot be reached or
    stays locked (``OperationalError``) says nothing about the message: it waits for the next
    pass too.  Only what the message itself makes fail is recorded as failed: never lost,
    never allowed to abort the worker's pass."""
    collisions: list[IntegrityError] = []
    for _ in range(ATTEMPTS):
        try:
            with database.transaction() as session:
                row = InboundMessages(session, clock).get(row_id, lock=True)  # a worker at it: wait, then look
                if row.processed_at is not None:
                    return Interpreted(row.outcome or "processed", row.family)
                return interpret(session, clock, row, router=router)
        except ConcurrentUpdate:
            continue
        except IntegrityError as exc:
            collisions.append(exc)
            continue
        except OperationalError as exc:
            log.warning("inbound message %s: the database is unavailable (%s); left for the next pass", row_id,
                        exc.orig)
            return Interpreted(DEFERRED)
        except Exception as exc:  # noqa: BLE001 - one bad message must not stop the worker's every pass
            log.exception("inbound message %s could not be applied", row_id)
            return _failed(database, row_id, clock, f"{type(exc).__name__}: {exc}"[:500])
    if len(collisions) == ATTEMPTS:  # every time, from fresh reads: not a race another worker won
        log.error("inbound message %s collides with stored data: %s", row_id, collisions[-1].orig)
        return _failed(database, row_id, clock, f"IntegrityError: {collisions[-1].orig}"[:500])
    log.info("inbound message %s: payments changed under it %d times; left for the next pass", row_id, ATTEMPTS)
    return Interpreted(DEFERRED)


def _failed(database: Database, row_id: str, clock: Clock, error: str) -> Interpreted:
    """Record, in a transaction of its own, that applying the message failed: it is kept (raw, with
    the error) for the operator and not retried on every pass."""
    with database.transaction() as session:
        row = InboundMessages(session, clock).get(row_id, lock=True)
        if row.processed_at is not None:  # another worker applied it meanwhile: its outcome stands
            return Interpreted(row.outcome or "processed", row.family)
        InboundMessages(session, clock).finish(row, outcome="failed", findings=[{"message": error}])
    return Interpreted("failed", None, ({"message": error},))


def interpret(session: Session, clock: Clock, row: InboundMessage, *, router: Router | None = None,
              from_the_bank: bool = False, parsed: Parsed | None = None) -> Interpreted:
    """Read one stored message and apply it (statuses, returns, statements); record the outcome.

    ``router`` (the banks) lets statements be checked against the bank that sends them.
    ``from_the_bank``: the bank posted it itself (bank-api), so a message about a file it has not
    acknowledged yet shows that it has the file (see ``_delivered_by_answer``).
    ``parsed``: the row's body as already read by the validator, not to be read twice."""
    repo = InboundMessages(session, clock)
    try:
        parsed = parsed or parse(row.body)
    except GatewayError as exc:
        findings = [f.to_dict() for f in getattr(exc, "findings", [])] or [{"message": exc.message}]
        repo.finish(row, outcome="invalid", findings=findings)
        return Interpreted("invalid", None, tuple(findings))
    errors = [f for f in parsed.findings if f.is_error]
    family, document = parsed.family, parsed.document
    message_type = str(parsed.message) if parsed.message else None
    message_id = getattr(document, "message_id", None)
    if errors or family not in FAMILIES:
        findings = [f.to_dict() for f in (errors or parsed.findings)]
        if family not in FAMILIES:
            findings.append({"message": f"a bank sends {', '.join(FAMILIES)}, not {family}"})
        repo.finish(row, outcome="invalid", family=family, message_type=message_type, message_id=message_id,
                    findings=findings)
        return Interpreted("invalid", family, tuple(findings))
    if from_the_bank:
        _delivered_by_answer(session, clock, row.bank_id, family, document, message_id)
    if family == "pain.002":
        assert isinstance(document, StatusReport)
        statuses.apply(session, clock, row.bank_id, document)
    elif family == "pacs.004":
        returns.apply(session, clock, row.bank_id, document)
    else:
        assert isinstance(document, Report)
        reports.ingest(session, clock, row, document, router=router)
    warnings = [f.to_dict() for f in parsed.findings]
    repo.finish(row, outcome="processed", family=family, message_type=message_type, message_id=message_id,
                findings=warnings)
    return Interpreted("processed", family, tuple(warnings))


FILES_ANSWERED = {"pain.002": statuses.files_answered, "pacs.004": returns.files_returned}
"""How each family names the files it is about; camt.052/053/054 by the payments they book or return."""


def _delivered_by_answer(session: Session, clock: Clock, bank_id: str, family: str,
                         document: StatusReport | PaymentReturn | Report, message_id: str | None) -> None:
    """A bank that fetches its files (bank-api) may answer one before acknowledging it: a pain.002
    about it, a camt.054 (or .052/.053) booking one of its payments, a pacs.004 returning one.  The
    answer shows the bank has the file, so the file is delivered first, as by its ack (audited, its
    payments ``sent``); the answer then applies as to any delivered file.  Otherwise the payments
    would still be ``queued``, where a booking waits for the camt.053 and a return is lost."""
    files = FILES_ANSWERED.get(family, reports.files_booked)(session, bank_id, document)
    if files:
        delivery.acknowledge_answered(session, clock, bank_id=bank_id, file_ids=files,
                                      answer=f"{family} {message_id or '(no MsgId)'}")
