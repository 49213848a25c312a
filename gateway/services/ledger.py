"""A wallet account's day from the operations that passed through the gateway.

The wallet provider need not keep the bookings itself: every entry the bank booked that day
on one of the provider's own accounts and that reconciliation linked to one of its payments is
a booking of the day, as the bank booked it — debits for payments out, credits for payments in
(top-ups into the collection account) and for returns.  The provider gives the opening balance; the
closing balance and the summary follow from the bookings (gateway.domain.ledger)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.domain.errors import InvalidInput
from gateway.domain.findings import Finding
from gateway.domain.ledger import Booking, Ledger
from gateway.domain.money import amount_text
from gateway.domain.parties import Account, Party
from gateway.domain.payments import Remittance
from gateway.domain.statements import EntryTransaction
from gateway.persistence.payment_models import (
    ClientAccount,
    Payment,
    StoredEntry,
)


def ledger_from_payments(session: Session, *, client_id: str, iban: str, day: date, opening_balance: Decimal,
                         sequence_number: int | None = None) -> Ledger:
    account = session.scalar(select(ClientAccount).where(ClientAccount.client_id == client_id,
                                                         ClientAccount.iban == iban))
    if account is None:
        raise InvalidInput(f"{iban} is not one of this wallet provider's own accounts", [Finding(
            rule="ledger.account", reason="AC01", message="not one of the wallet provider's accounts",
            location=("account_iban",), value=iban)], code="invalid_json")
    # What the bank booked on the account that day for this client's payments, as it booked it: a
    # payment out is a debit, its return days later a credit, a top-up in a credit.
    query = (select(StoredEntry, Payment).join(Payment, Payment.id == StoredEntry.payment_id)
             .where(StoredEntry.account_iban == iban, StoredEntry.booking_date == day, Payment.client_id == client_id)
             .order_by(StoredEntry.booking_date, StoredEntry.id))
    bookings = tuple(_booking(entry, payment) for entry, payment in session.execute(query))
    return Ledger(account=Account(iban=iban, currency=account.currency, owner=Party(name=account.name)),
                  currency=account.currency, date=day, opening_balance=opening_balance, bookings=bookings,
                  sequence_number=sequence_number)


def _booking(entry: StoredEntry, payment: Payment) -> Booking:
    other = payment.creditor if entry.credit_debit == "DBIT" else payment.debtor
    party, account = Party(name=other.get("name")), Account(iban=other.get("iban"))
    counterparty = (EntryTransaction(creditor=party, creditor_account=account) if entry.credit_debit == "DBIT"
                    else EntryTransaction(debtor=party, debtor_account=account))
    if payment.remittance:
        counterparty = replace(counterparty, remittance=Remittance(unstructured=(payment.remittance,)))
    return Booking(amount=Decimal(amount_text(entry.amount, entry.currency)), credit_debit=entry.credit_debit,
                   end_to_end_id=payment.end_to_end_id, reference=entry.id, counterparty=counterparty,
                   additional_info=f"return {entry.return_reason}" if entry.match_role == "return" else None)
