"""The sandbox bank's outbound messages as canonical documents, ready for ``gateway.iso20022.build``.

    status_report     pain.002 per received file: group, block and transaction status
    file_rejection    pain.002 refusing a whole file (unreadable, XSD or control figures wrong)
    late_rejection    pain.002 for future-dated payments that fail on their execution date
    notification      camt.054 per booking (DBIT for the debtor, CRDT for a creditor held here)
    statement         camt.053 per account and business day, through the gateway's own ledger model

Statements go through :func:`gateway.domain.ledger.statement_from_ledger` so that
OPBD + entries = CLBD and TxsSummry are computed by the same code that builds
a wallet's statements; the bank only supplies the opening balance and the day's
bookings.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from gateway.connectors.sandbox.decisions import Outcome
from gateway.connectors.sandbox.records import (
    AccountState,
    BookingRecord,
    PaymentRecord,
)
from gateway.domain.ledger import Booking, Ledger, statement_from_ledger
from gateway.domain.money import Money
from gateway.domain.parties import Account, Agent, Party
from gateway.domain.statements import (
    BankTransactionCode,
    Entry,
    EntryTransaction,
    Report,
    ReportKind,
    Statement,
)
from gateway.domain.status import (
    PaymentInformationStatus,
    StatusReason,
    StatusReport,
    TransactionStatus,
)

ACCP, PART, RJCT = "ACCP", "PART", "RJCT"
ADDITIONAL_INFO_MAX = 105
"""StsRsnInf/AddtlInf is Max105Text, repeatable, in pain.002.001.03 and .12."""
ADDITIONAL_INFO_LINES = 4
"""A long explanation (an XSD message with its XPath) is split over this many AddtlInf at most."""


def reason(code: str, detail: str | None = None) -> StatusReason:
    text = detail or ""
    lines = tuple(text[i:i + ADDITIONAL_INFO_MAX]
                  for i in range(0, min(len(text), ADDITIONAL_INFO_MAX * ADDITIONAL_INFO_LINES), ADDITIONAL_INFO_MAX))
    return StatusReason(code=code, additional_info=lines)


def combined(statuses: Sequence[str]) -> str:
    """Group or block status from its transactions' (ACCP/RJCT): all accepted, all rejected, or PART."""
    if all(s == ACCP for s in statuses):
        return ACCP
    if all(s == RJCT for s in statuses):
        return RJCT
    return PART


def _transaction_status(payment: PaymentRecord, outcome: Outcome) -> TransactionStatus:
    return TransactionStatus(
        original_end_to_end_id=payment.end_to_end_id, status=ACCP if outcome.accepted else RJCT,
        reasons=() if outcome.accepted else (reason(outcome.reason or "NARR", outcome.detail),),
        original_instruction_id=payment.instruction_id, original_uetr=payment.uetr,
        original_amount=Money(payment.amount, payment.currency))


def _blocks(decided: Sequence[tuple[PaymentRecord, Outcome]], *, with_status: bool
            ) -> tuple[PaymentInformationStatus, ...]:
    order: list[str] = []
    by_block: dict[str, list[tuple[PaymentRecord, Outcome]]] = {}
    for payment, outcome in decided:
        if payment.payment_information_id not in by_block:
            order.append(payment.payment_information_id)
        by_block.setdefault(payment.payment_information_id, []).append((payment, outcome))
    blocks = []
    for block_id in order:
        items = by_block[block_id]
        transactions = tuple(_transaction_status(p, o) for p, o in items)
        blocks.append(PaymentInformationStatus(
            original_payment_information_id=block_id,
            status=combined([t.status or RJCT for t in transactions]) if with_status else None,
            original_number_of_transactions=len(items) if with_status else None,
            original_control_sum=sum((p.amount for p, _ in items), Decimal(0)) if with_status else None,
            transactions=transactions))
    return tuple(blocks)


def status_report(*, message_id: str, created_at: datetime, original_message_id: str, original_message: str,
                  decided: Sequence[tuple[PaymentRecord, Outcome]]) -> StatusReport:
    """The pain.002 answering a file the bank took: every transaction with its status and reason."""
    return StatusReport(
        message_id=message_id, creation_date_time=created_at, original_message_id=original_message_id,
        original_message_name_id=original_message,
        group_status=combined([ACCP if o.accepted else RJCT for _, o in decided]),
        original_number_of_transactions=len(decided),
        original_control_sum=sum((p.amount for p, _ in decided), Decimal(0)),
        payment_informations=_blocks(decided, with_status=True))


def file_rejection(*, message_id: str, created_at: datetime, original_message_id: str, original_message: str,
                   reasons: Sequence[StatusReason]) -> StatusReport:
    """The pain.002 refusing a whole file: group RJCT with the reasons, nothing per transaction."""
    return StatusReport(message_id=message_id, creation_date_time=created_at,
                        original_message_id=original_message_id, original_message_name_id=original_message,
                        group_status=RJCT, group_reasons=tuple(reasons))


def late_rejection(*, message_id: str, created_at: datetime, original_message_id: str, original_message: str,
                   rejected: Sequence[tuple[PaymentRecord, Outcome]]) -> StatusReport:
    """A second pain.002 for payments accepted earlier that could not book on their execution date;
    transaction level only (no group status: the file's other payments keep theirs)."""
    return StatusReport(message_id=message_id, creation_date_time=created_at,
                        original_message_id=original_message_id, original_message_name_id=original_message,
                        payment_informations=_blocks(rejected, with_status=False))


def account_of(account: AccountState) -> Account:
    return Account(iban=account.iban, currency=account.currency, name=account.name,
                   owner=Party(name=account.owner) if account.owner else None,
                   servicer=Agent(bic=account.bic) if account.bic else None)


def bank_transaction_code(payment: PaymentRecord, credit_debit: str) -> BankTransactionCode:
    """PMNT / ICDT (issued) or RCDT (received) / ESCT for euro, DMCT within a country, XBCT across borders."""
    family = "RCDT" if credit_debit == "CRDT" else "ICDT"
    if payment.currency == "EUR":
        sub_family = "ESCT"
    elif payment.debtor_iban and payment.creditor_iban and payment.debtor_iban[:2] == payment.creditor_iban[:2]:
        sub_family = "DMCT"
    else:
        sub_family = "XBCT"
    return BankTransactionCode(domain="PMNT", family=family, sub_family=sub_family)


def transaction_details(payment: PaymentRecord, booking: BookingRecord) -> EntryTransaction:
    """TxDtls: the references the customer reconciles on (EndToEndId, MsgId, PmtInfId) and both parties."""
    return EntryTransaction(
        message_id=payment.message_id, account_servicer_reference=booking.reference,
        payment_information_id=payment.payment_information_id, instruction_id=payment.instruction_id,
        end_to_end_id=payment.end_to_end_id, uetr=payment.uetr, amount=Money(booking.amount, booking.currency),
        credit_debit=booking.credit_debit,
        debtor=Party(name=payment.debtor_name) if payment.debtor_name else None,
        debtor_account=Account(iban=payment.debtor_iban) if payment.debtor_iban else None,
        creditor=Party(name=payment.creditor_name) if payment.creditor_name else None,
        creditor_account=Account(iban=payment.creditor_iban) if payment.creditor_iban else None,
        debtor_agent=Agent(bic=payment.debtor_bic) if payment.debtor_bic else None,
        creditor_agent=Agent(bic=payment.creditor_bic) if payment.creditor_bic else None,
        remittance=payment.remittance)


def notification(*, message_id: str, created_at: datetime, account: AccountState, booking: BookingRecord,
                 payment: PaymentRecord) -> Report:
    """camt.054 for one booking: one Ntfctn for the account, one booked entry."""
    entry = Entry(amount=Money(booking.amount, booking.currency), credit_debit=booking.credit_debit, status="BOOK",
                  booking_date=booking.booking_date, value_date=booking.booking_date,
                  account_servicer_reference=booking.reference,
                  bank_transaction_code=bank_transaction_code(payment, booking.credit_debit),
                  transactions=(transaction_details(payment, booking),))
    block = Statement(identification=message_id, account=account_of(account), creation_date_time=created_at,
                      entries=(entry,))
    return Report(kind=ReportKind.NOTIFICATION, message_id=message_id, creation_date_time=created_at,
                  statements=(block,))


def statement(*, message_id: str, created_at: datetime, account: AccountState, day: date, opening: Decimal,
              sequence: int, entries: Sequence[tuple[BookingRecord, PaymentRecord]]) -> Report:
    """camt.053 for one account and business day; balances and TxsSummry come from the ledger model."""
    bookings = tuple(
        Booking(amount=booking.amount, credit_debit=booking.credit_debit, end_to_end_id=payment.end_to_end_id,
                reference=booking.reference, value_date=booking.booking_date,
                bank_transaction_code=bank_transaction_code(payment, booking.credit_debit),
                counterparty=transaction_details(payment, booking))
        for booking, payment in entries)
    return statement_from_ledger(Ledger(account=account_of(account), currency=account.currency, date=day,
                                        opening_balance=opening, bookings=bookings, message_id=message_id,
                                        sequence_number=sequence, created_at=created_at))
