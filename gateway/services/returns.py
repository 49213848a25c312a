"""pacs.004 → returned payments.

A return names the original file (OrgnlGrpInf/OrgnlMsgId, per transaction or
for the whole message) and the original EndToEndId; the payment is found by
both, among the payments sent to this bank, and becomes ``returned`` with the
return reason.  A camt.054 or camt.053 entry carrying the same return is the
same fact seen again: the lifecycle ignores the second sighting.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.domain.reasons import describe
from gateway.domain.returns import PaymentReturn, ReturnedTransaction
from gateway.persistence.payment_models import Payment, PaymentStatus
from gateway.services import lifecycle

Clock = Callable[[], datetime]
log = logging.getLogger(__name__)


def apply(session: Session, clock: Clock, bank_id: str, document: PaymentReturn) -> int:
    changed = 0
    for returned in document.transactions:
        found = _payments_of(session, bank_id, document, returned)
        if len(found) != 1:  # none, or an EndToEndId two clients used and no MsgId to tell them apart
            if returned.original_end_to_end_id:
                log.warning("return %s of %s from %s matches %d payments; left to reconciliation",
                            returned.return_id, returned.original_end_to_end_id, bank_id, len(found))
            continue
        code = returned.reason_code
        changed += lifecycle.move(session, clock, found[0], PaymentStatus.RETURNED,
                                  source=f"pacs.004 {document.message_id} from {bank_id}",
                                  reason_code=code, reason_text=describe(code))
    return changed


def files_returned(session: Session, bank_id: str, document: PaymentReturn) -> set[str]:
    """The bank's files (outbox row ids) of the payments this return names, found as ``apply`` finds
    them: a bank that returns a payment has its file."""
    files = set()
    for returned in document.transactions:
        found = _payments_of(session, bank_id, document, returned)
        if len(found) == 1:
            files.add(found[0].outgoing_message_id)
    return files


def _payments_of(session: Session, bank_id: str, document: PaymentReturn,
                 returned: ReturnedTransaction) -> list[Payment]:
    """The payments a returned transaction names, among those sent to this bank: by the original
    EndToEndId, and by the original MsgId where it is given.  At most two are read: a second one
    is enough to know the match is not unique."""
    if not returned.original_end_to_end_id:
        return []
    message_id = returned.original_message_id or document.original_message_id
    query = select(Payment).where(Payment.bank_id == bank_id, Payment.end_to_end_id == returned.original_end_to_end_id)
    if message_id:
        query = query.where(Payment.message_id == message_id)
    return list(session.scalars(query.limit(2)))
