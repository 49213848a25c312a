"""``POST /ledger/camt.053``: a wallet's day as a bank statement.

A wallet provider posts one wallet account's day (the same JSON as ``gateway build
--type camt.053`` takes: account, currency, date, opening balance, bookings) and gets
back an XSD-valid camt.053 whose balances add up, so a bank or an ERP reads the wallet
as it reads a bank.  Or it posts ``{"from_payments": true, "account_iban", "date",
"opening_balance"}`` and the bookings are the operations that passed through the gateway
on that account, booked by the bank that day.  ``?version=02`` writes camt.053.001.02 instead of .08.  Nothing is
stored; the ``wallet`` scope is required.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask import Blueprint, Response

from gateway.api import query as params
from gateway.api.bodies import json_body
from gateway.consent import storage
from gateway.consent.models import WALLET_SCOPE
from gateway.consent.protect import current_token, require_oauth
from gateway.domain.codec import from_data
from gateway.domain.errors import GatewayError, InvalidInput
from gateway.domain.findings import Finding
from gateway.domain.ledger import Ledger, statement_from_ledger
from gateway.iso20022 import build
from gateway.services.ledger import ledger_from_payments

bp = Blueprint("ledger", __name__)
FROM_PAYMENTS = {"from_payments", "account_iban", "date", "opening_balance", "sequence_number"}
VERSIONS = {"02": "camt.053.001.02", "08": "camt.053.001.08"}


@bp.post("/ledger/camt.053")
@require_oauth(WALLET_SCOPE)
def ledger_statement():
    version = params.single("version") or "08"
    if version not in VERSIONS:
        raise GatewayError(f"version must be one of {', '.join(VERSIONS)}, not {version!r}", code="invalid_parameter")
    body = json_body()
    if isinstance(body, dict) and body.get("from_payments") is True:
        ledger = _from_payments(body)
    else:
        ledger = from_data(Ledger, body)
    report = statement_from_ledger(ledger)
    return Response(build(report, VERSIONS[version]), mimetype="application/xml", status=200)


def _from_payments(body: dict) -> Ledger:
    """``{"from_payments": true, "account_iban", "date", "opening_balance"[, "sequence_number"]}``:
    the day's bookings are the client's payments the banks booked on that account that day."""
    unknown = sorted(set(body) - FROM_PAYMENTS)
    missing = sorted({"account_iban", "date", "opening_balance"} - set(body))
    problems = [Finding(rule="ledger.field", reason="FF01", message=f"unknown field {k}", location=(k,))
                for k in unknown]
    problems += [Finding(rule="ledger.field", reason="FF01", message=f"{k} is required", location=(k,))
                 for k in missing]
    try:
        day = date.fromisoformat(str(body.get("date")))
        opening = Decimal(str(body.get("opening_balance")))
        if not opening.is_finite() or isinstance(body.get("opening_balance"), float):
            raise InvalidOperation
    except (ValueError, InvalidOperation):
        problems.append(Finding(rule="ledger.field", reason="FF01", location=("date",),
                                message="date must be YYYY-MM-DD and opening_balance a decimal string"))
    if problems:
        raise InvalidInput("the ledger request cannot be used", problems, code="invalid_json")
    return ledger_from_payments(storage.session(), client_id=current_token().row.client_id,
                                iban=str(body["account_iban"]), day=day, opening_balance=opening,
                                sequence_number=body.get("sequence_number"))
