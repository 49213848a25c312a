"""An operator's decision on a file the risk rules held: release it (its payments are queued
for delivery) or reject it (its payments are rejected, nothing is sent).  A held file is
decided whole, as it was requested: one operation, one decision."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from gateway.persistence.errors import ConsentNotActive
from gateway.persistence.payment_models import OutgoingMessage, PaymentStatus
from gateway.persistence.repositories import Consents
from gateway.persistence.repositories.outbox import Outbox
from gateway.persistence.repositories.payments import Payments
from gateway.services import lifecycle

Clock = Callable[[], datetime]


def release(session: Session, clock: Clock, payment_id: str, *, operator: str, reason: str) -> OutgoingMessage:
    return _decide(session, clock, payment_id, operator=operator, reason=reason, release=True)


def reject(session: Session, clock: Clock, payment_id: str, *, operator: str, reason: str) -> OutgoingMessage:
    return _decide(session, clock, payment_id, operator=operator, reason=reason, release=False)


def _decide(session: Session, clock: Clock, payment_id: str, *, operator: str, reason: str,
            release: bool) -> OutgoingMessage:
    actor = f"operator:{operator}"
    payment = Payments(session, clock).get(payment_id)
    outbox = Outbox(session, clock)
    message = outbox.get(payment.outgoing_message_id)
    if release and payment.consent_id is not None:
        consent = Consents(session, clock).get(payment.consent_id)
        if not consent.is_active(clock()):  # no operator approves for a holder who withdrew
            raise ConsentNotActive(f"the holder's consent {consent.id} is {consent.status.value} (or expired): "
                                   "the payment cannot be released; reject it", code="consent_not_active")
    (outbox.release if release else outbox.cancel)(message, actor=actor, reason=reason)
    for each in Payments(session, clock).of_message(message.id):
        if release:
            lifecycle.move(session, clock, each, PaymentStatus.QUEUED, source=f"released by {actor}", actor=actor,
                           reason_text=None)
        else:
            lifecycle.move(session, clock, each, PaymentStatus.REJECTED, source=f"rejected by {actor}", actor=actor,
                           reason_text=reason)
    return message
