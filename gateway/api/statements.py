"""The account-information side: what the banks' camt.053 statements say about an account the
holder shared under an ``accounts`` consent.

* ``GET /accounts/{id}/transactions?from=YYYY-MM-DD&to=YYYY-MM-DD&limit=N&after=CURSOR``:
  booked entries of end-of-day statements, oldest first by booking date (else value date;
  entries with neither come last and only without date filters), paginated by an opaque cursor;
* ``GET /accounts/{id}/balances``: the closing balance of the latest statement.

Only accounts the token's consent covers are visible; any other id is 404.  The
consent's ``permissions`` decide what is shown: ``transactions`` and ``balances``.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint
from sqlalchemy import select, tuple_

from gateway.api import query as params
from gateway.consent import storage
from gateway.consent.errors import InsufficientScope
from gateway.consent.protect import current_consent, require_oauth
from gateway.domain.errors import GatewayError
from gateway.domain.money import amount_text
from gateway.persistence.errors import NotFound
from gateway.persistence.models import BankAccount
from gateway.persistence.payment_models import UNDATED, StoredEntry, StoredStatement

bp = Blueprint("statements", __name__)
MAX_PAGE = 500
_BEFORE_UNDATED = UNDATED - timedelta(days=1)
"""The last day a date filter can reach: entries with neither date are only listed without one."""


def _account(account_id: str, permission: str) -> BankAccount:
    consent = current_consent()
    account = next((a for a in consent.accounts if a.id == account_id), None)
    if account is None:
        raise NotFound(f"no account {account_id!r} under this consent", code="account_not_found")
    if consent.permissions and permission not in consent.permissions:
        raise InsufficientScope(f"the consent does not grant {permission!r}")
    return account


@bp.get("/accounts/<account_id>/transactions")
@require_oauth("accounts", consent_kind="accounts")
def transactions(account_id: str):
    account = _account(account_id, "transactions")
    first, last = _date("from"), _date("to")
    if first and last and first > last:
        raise GatewayError(f"from ({first}) is after to ({last})", code="invalid_parameter")
    limit = params.limit(100, MAX_PAGE)
    query = (select(StoredEntry, StoredStatement.statement_id)
             .join(StoredStatement, StoredStatement.id == StoredEntry.statement_id)
             .where(StoredEntry.account_iban == account.iban, StoredStatement.kind == "statement")
             .order_by(StoredEntry.day, StoredEntry.id))
    if first or last:
        query = query.where(StoredEntry.day.between(first or date.min, min(last or UNDATED, _BEFORE_UNDATED)))
    after = params.decode_cursor("after", 2)
    if after:
        day, entry_id = after
        after_day = _parse_day(day, "after") if day else UNDATED
        query = query.where(tuple_(StoredEntry.day, StoredEntry.id) > tuple_(after_day, entry_id))
    rows = storage.session().execute(query.limit(limit + 1)).all()
    page = rows[:limit]
    cursor = None
    if len(rows) > limit:
        last_entry = page[-1][0]
        cursor = params.encode_cursor("" if last_entry.day == UNDATED else last_entry.day.isoformat(), last_entry.id)
    return {"account": {"id": account.id, "iban": account.iban, "currency": account.currency},
            "transactions": [_entry_json(entry, statement_id) for entry, statement_id in page], "next": cursor}


@bp.get("/accounts/<account_id>/balances")
@require_oauth("accounts", consent_kind="accounts")
def balances(account_id: str):
    account = _account(account_id, "balances")
    latest = storage.session().scalar(
        select(StoredStatement).where(StoredStatement.account_iban == account.iban,
                                      StoredStatement.kind == "statement")
        .order_by(StoredStatement.to_date.desc().nulls_last(),
                  StoredStatement.sequence_number.desc().nulls_last()).limit(1))
    balance = None
    if latest is not None and latest.closing is not None:
        balance = {"type": "CLBD", "amount": amount_text(abs(latest.closing), latest.currency or ""), "currency": latest.currency,
                   "credit_debit": "CRDT" if latest.closing >= 0 else "DBIT",
                   "date": latest.to_date.isoformat() if latest.to_date else None,
                   "statement_id": latest.statement_id}
    return {"account": {"id": account.id, "iban": account.iban, "currency": account.currency},
            "balances": [balance] if balance else []}


def _entry_json(entry: StoredEntry, statement_id: str) -> dict:
    return {"id": entry.id, "amount": amount_text(entry.amount, entry.currency), "currency": entry.currency, "credit_debit": entry.credit_debit,
            "booking_date": entry.booking_date.isoformat() if entry.booking_date else None,
            "value_date": entry.value_date.isoformat() if entry.value_date else None,
            "end_to_end_id": entry.end_to_end_id, "counterparty": {"name": entry.counterparty_name,
                                                                    "iban": entry.counterparty_iban},
            "return_reason": entry.return_reason, "payment_id": entry.payment_id, "statement_id": statement_id}


def _date(name: str) -> date | None:
    text = params.single(name)
    return _parse_day(text, name) if text else None


def _parse_day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise GatewayError(f"{name} must be a date like 2026-11-23, not {text!r}", code="invalid_parameter") from None
