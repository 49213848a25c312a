"""A wallet's day of bookings → a statement whose balances add up.

Wallet providers keep ledgers, not camt.053 files; this turns "opening balance
plus these bookings" into the canonical statement, computing the closing
balance and the transaction summary so that the numbers cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time
from decimal import Decimal

from gateway.domain.errors import InvalidInput
from gateway.domain.findings import Finding
from gateway.domain.money import Money
from gateway.domain.parties import Account
from gateway.domain.statements import (
    Balance,
    BankTransactionCode,
    Entry,
    EntryTransaction,
    Report,
    ReportKind,
    Statement,
    TransactionsSummary,
)


@dataclass(frozen=True, slots=True)
class Booking:
    amount: Decimal
    credit_debit: str
    end_to_end_id: str | None = None
    reference: str | None = None
    value_date: date | None = None
    bank_transaction_code: BankTransactionCode | None = None
    counterparty: EntryTransaction | None = None
    """Parties, accounts and remittance of the counterparty, as in a statement entry."""
    additional_info: str | None = None


@dataclass(frozen=True, slots=True)
class Ledger:
    account: Account
    currency: str
    date: date
    opening_balance: Decimal
    bookings: tuple[Booking, ...] = ()
    message_id: str | None = None
    sequence_number: int | None = None
    created_at: datetime | None = None


def statement_from_ledger(ledger: Ledger) -> Report:
    for index, booking in enumerate(ledger.bookings):
        if booking.credit_debit not in ("CRDT", "DBIT") or booking.amount <= 0:
            raise InvalidInput("a booking needs a positive amount and credit_debit CRDT or DBIT", [Finding(
                rule="ledger.booking", message="amount must be positive, credit_debit CRDT or DBIT",
                location=("bookings", index), value=f"{booking.amount} {booking.credit_debit}")])
    credits = [b.amount for b in ledger.bookings if b.credit_debit == "CRDT"]
    debits = [b.amount for b in ledger.bookings if b.credit_debit == "DBIT"]
    closing = ledger.opening_balance + sum(credits, Decimal(0)) - sum(debits, Decimal(0))
    day = ledger.date
    stamp = ledger.created_at or datetime.combine(day, time(23, 59, 59))
    ident = ledger.message_id or f"STMT-{day.isoformat()}-{ledger.sequence_number or 1}"

    def balance(code: str, value: Decimal) -> Balance:
        side = "CRDT" if value >= 0 else "DBIT"
        return Balance(type=code, amount=Money(abs(value), ledger.currency), credit_debit=side, date=day)

    entries = tuple(
        Entry(amount=Money(b.amount, ledger.currency), credit_debit=b.credit_debit, status="BOOK",
              booking_date=day, value_date=b.value_date or day, account_servicer_reference=b.reference,
              bank_transaction_code=b.bank_transaction_code or _default_code(b.credit_debit),
              additional_info=b.additional_info,
              transactions=(_details(b),) if (b.end_to_end_id or b.counterparty) else ())
        for b in ledger.bookings)
    net = sum(credits, Decimal(0)) - sum(debits, Decimal(0))
    summary = TransactionsSummary(
        number_of_entries=len(entries), sum=sum(credits, Decimal(0)) + sum(debits, Decimal(0)),
        net_amount=abs(net), net_credit_debit="CRDT" if net >= 0 else "DBIT",
        credit_entries=len(credits), credit_sum=sum(credits, Decimal(0)),
        debit_entries=len(debits), debit_sum=sum(debits, Decimal(0)))
    statement = Statement(
        identification=ident, account=ledger.account, creation_date_time=stamp,
        electronic_sequence_number=ledger.sequence_number,
        from_date_time=datetime.combine(day, time.min), to_date_time=datetime.combine(day, time(23, 59, 59)),
        balances=(balance("OPBD", ledger.opening_balance), balance("CLBD", closing)),
        summary=summary, entries=entries)
    return Report(kind=ReportKind.STATEMENT, message_id=ident, creation_date_time=stamp, statements=(statement,))


def _default_code(credit_debit: str) -> BankTransactionCode:
    """BkTxCd is mandatory in an entry: payments, received or issued credit transfer, other."""
    return BankTransactionCode(domain="PMNT", family="RCDT" if credit_debit == "CRDT" else "ICDT", sub_family="OTHR")


def _details(booking: Booking) -> EntryTransaction:
    base = booking.counterparty or EntryTransaction()
    return replace(base, end_to_end_id=booking.end_to_end_id or base.end_to_end_id,
                   account_servicer_reference=booking.reference or base.account_servicer_reference)
