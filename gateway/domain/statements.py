"""Account reports: statements (camt.053), notifications (camt.054), intraday reports (camt.052).

One ``Report`` model serves all three: they share their shape, and reconciliation
should not care which one told it about an entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from gateway.domain.money import Money
from gateway.domain.parties import Account, Agent, Party
from gateway.domain.payments import Remittance


class ReportKind(str, Enum):
    STATEMENT = "statement"          # camt.053 BkToCstmrStmt/Stmt
    NOTIFICATION = "notification"    # camt.054 BkToCstmrDbtCdtNtfctn/Ntfctn
    REPORT = "report"                # camt.052 BkToCstmrAcctRpt/Rpt


@dataclass(frozen=True, slots=True)
class BankTransactionCode:
    domain: str | None = None
    family: str | None = None
    sub_family: str | None = None
    proprietary: str | None = None
    proprietary_issuer: str | None = None


@dataclass(frozen=True, slots=True)
class Balance:
    type: str
    """OPBD, CLBD, ITBD, CLAV, FWAV, PRCD..."""
    amount: Money
    credit_debit: str
    """CRDT or DBIT."""
    date: date | None = None
    date_time: datetime | None = None

    @property
    def signed(self) -> Decimal:
        return self.amount.value if self.credit_debit == "CRDT" else -self.amount.value


@dataclass(frozen=True, slots=True)
class ReturnInfo:
    reason: str | None = None
    proprietary_reason: str | None = None
    additional_info: tuple[str, ...] = ()
    original_bank_transaction_code: BankTransactionCode | None = None


@dataclass(frozen=True, slots=True)
class EntryTransaction:
    """One TxDtls: a payment inside a (possibly batch-booked) entry."""

    message_id: str | None = None
    account_servicer_reference: str | None = None
    payment_information_id: str | None = None
    instruction_id: str | None = None
    end_to_end_id: str | None = None
    uetr: str | None = None
    amount: Money | None = None
    credit_debit: str | None = None
    bank_transaction_code: BankTransactionCode | None = None
    debtor: Party | None = None
    debtor_account: Account | None = None
    ultimate_debtor: Party | None = None
    creditor: Party | None = None
    creditor_account: Account | None = None
    ultimate_creditor: Party | None = None
    debtor_agent: Agent | None = None
    creditor_agent: Agent | None = None
    purpose: str | None = None
    remittance: Remittance | None = None
    return_info: ReturnInfo | None = None
    additional_info: str | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    amount: Money
    credit_debit: str
    status: str
    """BOOK, PDNG, INFO."""
    booking_date: date | None = None
    value_date: date | None = None
    entry_reference: str | None = None
    reversal: bool | None = None
    booking_date_time: datetime | None = None
    value_date_time: datetime | None = None
    account_servicer_reference: str | None = None
    bank_transaction_code: BankTransactionCode | None = None
    additional_info: str | None = None
    transactions: tuple[EntryTransaction, ...] = ()

    @property
    def signed(self) -> Decimal:
        return self.amount.value if self.credit_debit == "CRDT" else -self.amount.value

    @property
    def end_to_end_ids(self) -> tuple[str, ...]:
        return tuple(t.end_to_end_id for t in self.transactions if t.end_to_end_id)


@dataclass(frozen=True, slots=True)
class TransactionsSummary:
    number_of_entries: int | None = None
    sum: Decimal | None = None
    net_amount: Decimal | None = None
    net_credit_debit: str | None = None
    credit_entries: int | None = None
    credit_sum: Decimal | None = None
    debit_entries: int | None = None
    debit_sum: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Statement:
    """One Stmt / Ntfctn / Rpt block: an account's balances and entries."""

    identification: str
    account: Account
    creation_date_time: datetime | None = None
    electronic_sequence_number: int | None = None
    legal_sequence_number: int | None = None
    from_date_time: datetime | None = None
    to_date_time: datetime | None = None
    balances: tuple[Balance, ...] = ()
    summary: TransactionsSummary | None = None
    entries: tuple[Entry, ...] = ()
    additional_info: str | None = None

    def balance(self, type_code: str) -> Balance | None:
        return next((b for b in self.balances if b.type == type_code), None)


@dataclass(frozen=True, slots=True)
class Report:
    """A camt.052/053/054 document."""

    kind: ReportKind
    message_id: str
    creation_date_time: datetime
    statements: tuple[Statement, ...] = ()
    additional_info: str | None = None
