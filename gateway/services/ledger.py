"""A wallet account's day from the operations that passed through the gateway.

The wallet provider need not keep the bookings itself: every payment the gateway made
from (or into) one of the provider's own accounts, booked by the bank on that day, is a
booking of the day — debits for payments out of the account, credits for payments into
it (top-ups into the collection account).  The provider gives the opening balance; the
closing balance and the summary follow from the bookings (gateway.domain.ledger)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gateway.domain.errors import InvalidInput
from gateway.domain.findings import Finding
from gateway.domain.money import amount_text
from gateway.domain.ledger import Booking, Ledger
from gateway.domain.parties import Account, Party
from gateway.domain.payments import Remittance
from gateway.domain.statements import EntryTransaction
from gateway.persistence.payment_models import (
    ClientAccount,
    Payment,
    PaymentStatus,
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
    booked_on_day = select(StoredEntry.payment_id).where(StoredEntry.booking_date == day,
                                                         StoredEntry.payment_id.is_not(None))
    query = (select(Payment).where(Payment.client_id == client_id, Payment.status.in_(
        [PaymentStatus.BOOKED, PaymentStatus.RETURNED]), or_(Payment.debtor_iban == iban, Payment.creditor_iban == iban),
        Payment.id.in_(booked_on_day)).order_by(Payment.created_at, Payment.id))
    bookings = tuple(_booking(p, iban) for p in session.scalars(query))
    return Ledger(account=Account(iban=iban, currency=account.currency, owner=Party(name=account.name)),
                  currency=account.currency, date=day, opening_balance=opening_balance, bookings=bookings,
                  sequence_number=sequence_number)


def _booking(payment: Payment, iban: str) -> Booking:
    outgoing = payment.debtor_iban == iban
    other = payment.creditor if outgoing else payment.debtor
    party = Party(name=other.get("name"))
    account = Account(iban=other.get("iban"))
    counterparty = (EntryTransaction(creditor=party, creditor_account=account) if outgoing
                    else EntryTransaction(debtor=party, debtor_account=account))
    if payment.remittance:
        counterparty = replace(counterparty, remittance=Remittance(unstructured=(payment.remittance,)))
    return Booking(amount=Decimal(amount_text(payment.amount, payment.currency)), credit_debit="DBIT" if outgoing else "CRDT",
                   end_to_end_id=payment.end_to_end_id, reference=payment.id, counterparty=counterparty)
