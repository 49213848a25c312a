"""Wallet operations and payments:

* ``POST /operations/{operation}`` (pay, transfer, top-up, withdraw, bulk-payout): JSON in,
  payments out (201).  Operations that debit the holder's bank account need a token bound
  to an authorised ``payments`` consent; the others debit the wallet provider's own
  settlement account and need the ``wallet`` scope (client credentials).
* ``GET /payments/{id}``: one payment with its history; ``GET /payments``: the client's.

Every POST that moves money needs an ``Idempotency-Key`` (see :mod:`gateway.api.idempotency`).
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, current_app, url_for

from gateway.api import query
from gateway.api.bodies import json_body
from gateway.api.idempotency import idempotent
from gateway.consent import storage
from gateway.consent.models import WALLET_SCOPE
from gateway.consent.protect import current_consent, current_token, require_oauth
from gateway.domain.money import amount_text
from gateway.mapping.operations import OPERATIONS
from gateway.mapping.operations.catalog import default_catalog
from gateway.mapping.operations.sources import ConsentAccount
from gateway.persistence.payment_models import Payment, PaymentStatus
from gateway.persistence.prepared import NewRow
from gateway.persistence.repositories.payments import Payments
from gateway.services.operations import initial_source, initiate

RUNTIME = "gateway.runtime"
PAYMENT_SCOPES = (WALLET_SCOPE, "payments")

bp = Blueprint("payments", __name__)


def _client_id() -> str:
    return current_token().row.client_id


def needs_consent(operation: str) -> bool:
    """Whether the operation debits a holder's account (its mapping says ``debtor: {consent: ...}``)."""
    return isinstance(default_catalog().spec(operation).debtor, ConsentAccount)


def _operation_view(operation: str):
    def view():
        def run() -> tuple[int, dict]:
            initiated = initiate(storage.session(), storage.clock(), current_app.extensions[RUNTIME],
                                 client_id=_client_id(), consent=current_consent(), operation=operation,
                                 body=json_body())
            return 201, {"operation": operation, "payments": [new_payment_json(p) for p in initiated.payments]}

        body, status, headers = idempotent(_client_id(), run)
        if len(body["payments"]) == 1:  # one payment made: its address (a bulk payout lists them)
            headers["Location"] = url_for("payments.get_payment", payment_id=body["payments"][0]["id"])
        return body, status, headers

    view.__name__ = f"operation_{operation.replace('-', '_')}"
    if needs_consent(operation):
        return require_oauth("payments", consent_kind="payments")(view)
    return require_oauth(WALLET_SCOPE)(view)


for _operation in OPERATIONS:
    bp.add_url_rule(f"/operations/{_operation}", view_func=_operation_view(_operation), methods=["POST"])


@bp.get("/payments/<payment_id>")
@require_oauth(PAYMENT_SCOPES)
def get_payment(payment_id: str):
    repo = Payments(storage.session(), storage.clock())
    return payment_json(repo.get_for_client(_client_id(), payment_id, consent_id=_consent_id()), repo)


@bp.get("/payments")
@require_oauth(PAYMENT_SCOPES)
def list_payments():
    repo = Payments(storage.session(), storage.clock())
    limit = query.limit(50, 500)
    status = query.choice("status", tuple(s.value for s in PaymentStatus))
    rows = repo.list_for_client(_client_id(), status=status, limit=limit + 1, after=_after(),
                                consent_id=_consent_id())
    page = rows[:limit]
    histories = repo.histories([p.id for p in page])
    last = page[-1] if len(rows) > limit and page else None
    return {"payments": [payment_json(p, history=histories.get(p.id, [])) for p in page],
            "next": query.encode_cursor(last.created_at.isoformat(), last.id) if last else None}


def _consent_id() -> str | None:
    """A token bound to a holder's consent sees the payments made under that consent only; the
    wallet's own token (scope ``wallet``) sees all the client's payments."""
    return current_token().row.consent_id


def _after() -> tuple[datetime, str] | None:
    """The (created_at, id) the previous page ended at: the list's own sort key, so no payment is
    skipped or shown twice (ids are random and do not follow the creation order)."""
    cursor = query.decode_cursor("after", 2)
    if cursor is None:
        return None
    try:
        created = datetime.fromisoformat(cursor[0])
    except ValueError:
        created = None
    if created is None or created.tzinfo is None:
        raise query.InvalidParameter("after must be the `next` of a previous page")
    return created, cursor[1]


def new_payment_json(payment: NewRow) -> dict:
    """A payment this request created: its history is its first event (no need to read it back)."""
    return payment_json(payment, history=[Payments.first_event(payment, initial_source(payment.reason_text,
                                                                                       payment.bank_id))])


def payment_json(payment: Payment | NewRow, repo: Payments | None = None, *, history: list | None = None) -> dict:
    """The payment resource (schemas/operations/payment.json); the history from ``repo`` or given."""
    body = {
        "id": payment.id,
        "operation": payment.operation,
        "status": payment.status.value,
        "reason": ({"code": payment.reason_code, "text": payment.reason_text}
                   if payment.reason_code or payment.reason_text else None),
        "amount": amount_text(payment.amount, payment.currency),
        "currency": payment.currency,
        "end_to_end_id": payment.end_to_end_id,
        "message_id": payment.message_id,
        "payment_information_id": payment.payment_information_id,
        "debtor": payment.debtor,
        "creditor": payment.creditor,
        "remittance": payment.remittance,
        "requested_execution_date": payment.requested_execution_date.isoformat(),
        "bank": payment.bank_id,
        "created_at": payment.created_at.isoformat(),
        "updated_at": payment.updated_at.isoformat(),
    }
    if repo is not None or history is not None:
        events = history if history is not None else repo.history(payment.id)
        body["history"] = [{"at": e.at.isoformat(), "status": e.status,
                            "reason": ({"code": e.reason_code, "text": e.reason_text}
                                       if e.reason_code or e.reason_text else None),
                            "source": e.source} for e in events]
    return body

