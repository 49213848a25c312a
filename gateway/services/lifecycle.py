"""Every payment status change goes through here: the history event, the audit event and the
webhook deliveries that report it are written in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from gateway.persistence.payment_models import Payment, PaymentStatus
from gateway.persistence.repositories.payments import Payments
from gateway.persistence.repositories.webhooks import Webhooks

STATUS_CHANGED = "payment.status_changed"


def move(session: Session, clock: Callable[[], datetime], payment: Payment, status: PaymentStatus | str, *,
         source: str, reason_code: str | None = None, reason_text: str | None = None, actor: str = "system") -> bool:
    """Apply ``status`` if the lifecycle allows it (see repositories.payments); True if it changed."""
    changed = Payments(session, clock).move(payment, PaymentStatus(status), source=source, actor=actor,
                                            reason_code=reason_code, reason_text=reason_text)
    if changed:
        Webhooks(session, clock).enqueue(payment.client_id, STATUS_CHANGED, {
            "type": STATUS_CHANGED, "payment_id": payment.id, "end_to_end_id": payment.end_to_end_id,
            "status": payment.status.value, "reason": _reason(payment), "at": clock().isoformat(), "source": source})
    return changed


def _reason(payment: Payment) -> dict | None:
    if payment.reason_code is None and payment.reason_text is None:
        return None
    return {"code": payment.reason_code, "text": payment.reason_text}
