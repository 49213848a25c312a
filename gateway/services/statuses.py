"""pain.002 → payment statuses.

A status report names the file it answers (OrgnlMsgId) and, at block and
transaction level, the blocks (OrgnlPmtInfId) and payments (OrgnlEndToEndId).
The most specific status wins: a transaction's own status, else its block's,
else the group's (``PART`` at group level says nothing about a payment by
itself).  Only payments the gateway sent to *this* bank are touched.

A group ``RJCT`` with reason ``DUPL`` for a file the gateway delivered is the
bank recognising a re-send of a file it already has (the gateway re-sends after
a crash between sending and recording): the first delivery stands, nothing is
rejected.

A report about a file the gateway never sent (held for review, cancelled, or due
and never tried: ``outbox.never_sent``) cannot be about that file, whatever MsgId
it names: the payments keep their status (a held one waits for the operator, a
queued one for its delivery) and the mismatch is an open exception
(``unexpected_report``) naming the report and the file, for the operator to look
into before deciding the file.  The report itself stays stored, as everything a
bank sends.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.domain.reasons import describe
from gateway.domain.status import StatusReason, StatusReport
from gateway.persistence.payment_models import (
    MessageStatus,
    OutgoingMessage,
    Payment,
    PaymentStatus,
)
from gateway.persistence.repositories.exceptions import Exceptions
from gateway.persistence.repositories.outbox import never_sent
from gateway.services import lifecycle

Clock = Callable[[], datetime]
log = logging.getLogger(__name__)
UNEXPECTED_REPORT, UNSENT_FILE = "unexpected_report", "status.unsent_file"
UNSENT_STATES = {MessageStatus.HELD: "held for review", MessageStatus.CANCELLED: "cancelled by the operator",
                 MessageStatus.PENDING: "waiting in the outbox, never tried"}

STATUS_BY_CODE: dict[str, PaymentStatus | None] = {
    "RCVD": None,                       # received: nothing new beyond 'sent'
    "PDNG": PaymentStatus.PENDING,
    "ACTC": PaymentStatus.ACCEPTED,     # technical validation passed
    "ACCP": PaymentStatus.ACCEPTED,     # customer profile accepted
    "ACSP": PaymentStatus.ACCEPTED,     # settlement in process
    "ACWC": PaymentStatus.ACCEPTED,     # accepted with change
    "ACWP": PaymentStatus.ACCEPTED,     # accepted without posting
    "ACFC": PaymentStatus.ACCEPTED,     # accepted, funds checked
    "ACSC": PaymentStatus.BOOKED,       # settlement completed on the debtor's account
    "ACCC": PaymentStatus.BOOKED,       # settlement completed on the creditor's account
    "RJCT": PaymentStatus.REJECTED,
    "PART": None,                       # group/block level only: the transactions say which
}
DUPLICATE = frozenset({"DUPL", "AM05"})
"""A group rejection with one of these about a file the gateway sent: the bank already has it
(DUPL, duplicate payment; AM05, duplication: banks use either)."""


def apply(session: Session, clock: Clock, bank_id: str, report: StatusReport) -> int:
    """Apply the report to the payments it answers; the number of payments that changed."""
    payments = _payments_of(session, bank_id, report.original_message_id)
    if not payments:
        return 0
    sent = session.get(OutgoingMessage, payments[0].outgoing_message_id)  # MsgIds are unique per bank: one file
    if never_sent(sent):
        _about_an_unsent_file(session, clock, bank_id, report, sent, len(payments))
        return 0
    if _is_our_duplicate(sent, report):
        return 0
    blocks = {b.original_payment_information_id: b for b in report.payment_informations}
    transactions = {t.original_end_to_end_id: t for b in report.payment_informations for t in b.transactions
                    if t.original_end_to_end_id}
    source = f"pain.002 {report.message_id} from {bank_id}"
    changed = 0
    for payment in payments:
        status, reasons = _most_specific(payment, report, blocks, transactions)
        target = STATUS_BY_CODE.get(status or "")
        if target is None:
            continue
        code, text = _reason(reasons)
        changed += lifecycle.move(session, clock, payment, target, source=source, reason_code=code, reason_text=text)
    return changed


def files_answered(session: Session, bank_id: str, report: StatusReport) -> set[str]:
    """The bank's file (outbox row id) the report answers, by its MsgId (unique per bank)."""
    row_id = session.scalar(select(OutgoingMessage.id).where(OutgoingMessage.bank_id == bank_id,
                                                             OutgoingMessage.message_id == report.original_message_id))
    return {row_id} if row_id is not None else set()


def _payments_of(session: Session, bank_id: str, message_id: str) -> list[Payment]:
    """The payments of the file this bank knows by ``message_id``: the file by (bank, MsgId), its
    payments by their file (a payment's bank and MsgId are its file's)."""
    sent = select(OutgoingMessage.id).where(OutgoingMessage.bank_id == bank_id,
                                            OutgoingMessage.message_id == message_id).scalar_subquery()
    query = select(Payment).where(Payment.outgoing_message_id == sent)
    return list(session.scalars(query.order_by(Payment.id)))


def _about_an_unsent_file(session: Session, clock: Clock, bank_id: str, report: StatusReport, sent: OutgoingMessage,
                          payments: int) -> None:
    """Make the mismatch visible instead of applying it: a warning in the log and one open exception
    per report and file (the same report read again opens none)."""
    state = UNSENT_STATES.get(sent.status, sent.status.value)
    reason = (f"pain.002 {report.message_id} from {bank_id} reports on {report.original_message_id}, a file the "
              f"gateway never sent ({state}): not applied, its {payments} payment(s) keep their status")
    log.warning("%s (file %s)", reason, sent.id)
    Exceptions(session, clock).open(UNEXPECTED_REPORT, reason, details={
        "rule": UNSENT_FILE, "bank": bank_id, "report": report.message_id, "group_status": report.group_status,
        "message_id": report.original_message_id, "file": sent.id, "file_status": sent.status.value,
        "payments": payments})


def _is_our_duplicate(sent: OutgoingMessage, report: StatusReport) -> bool:
    if report.group_status != "RJCT" or not any(r.code in DUPLICATE for r in report.group_reasons):
        return False
    # MsgIds are unique per bank, so the bank already has *our* file: delivered, or being re-sent
    # after a crash (still pending while the re-send's outcome is recorded).
    return sent.status in (MessageStatus.DELIVERED, MessageStatus.PENDING)


def _most_specific(payment: Payment, report: StatusReport, blocks, transactions):
    transaction = transactions.get(payment.end_to_end_id)
    if transaction is not None and transaction.status:
        return transaction.status, transaction.reasons
    block = blocks.get(payment.payment_information_id)
    if block is not None and block.status and block.status != "PART":
        return block.status, block.reasons
    if report.group_status and report.group_status != "PART":
        return report.group_status, report.group_reasons
    return None, ()


def _reason(reasons: tuple[StatusReason, ...]) -> tuple[str | None, str | None]:
    if not reasons:
        return None, None
    first = reasons[0]
    code = first.code or first.proprietary
    return code, " ".join(first.additional_info) or describe(code)


