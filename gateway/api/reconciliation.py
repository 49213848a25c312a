"""``GET /reconciliation/exceptions``: what did not reconcile, for the calling wallet provider —
entries nobody sent on its own accounts, its payments never booked, returns, amount mismatches,
statement integrity findings on its accounts — each with its reason.  The wallet's own token
(scope ``wallet``): a token bound to one holder's consent does not see the others'.  ``?open=false`` includes
resolved ones."""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy import or_, select

from gateway.api import query as params
from gateway.consent import storage
from gateway.consent.models import WALLET_SCOPE
from gateway.consent.protect import current_token, require_oauth
from gateway.persistence.payment_models import (
    ClientAccount,
    Payment,
    ReconciliationException,
)

bp = Blueprint("reconciliation", __name__)


@bp.get("/reconciliation/exceptions")
@require_oauth(WALLET_SCOPE)
def exceptions():
    client_id = current_token().row.client_id
    own_accounts = select(ClientAccount.iban).where(ClientAccount.client_id == client_id)
    own_payments = select(Payment.id).where(Payment.client_id == client_id)
    query = select(ReconciliationException).where(or_(ReconciliationException.payment_id.in_(own_payments),
                                                      ReconciliationException.account_iban.in_(own_accounts)))
    if params.choice("open", ("true", "false")) != "false":
        query = query.where(ReconciliationException.resolved_at.is_(None))
    rows = storage.session().scalars(query.order_by(ReconciliationException.created_at).limit(1000))
    return {"exceptions": [exception_json(r) for r in rows]}


def exception_json(row: ReconciliationException) -> dict:
    return {"id": row.id, "kind": row.kind, "account_iban": row.account_iban, "payment_id": row.payment_id,
            "entry_id": row.entry_id, "reason": row.reason, "details": row.details,
            "created_at": row.created_at.isoformat(),
            "resolved_at": row.resolved_at.isoformat() if row.resolved_at else None}
