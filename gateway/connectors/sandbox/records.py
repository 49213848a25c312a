"""What the sandbox bank keeps, as read back from its state file.

Frozen on purpose: a record is a snapshot inside one transaction; changes go
through the store, so two processes never disagree about a balance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from gateway.domain.payments import Remittance

PENDING, BOOKED, REJECTED = "pending", "booked", "rejected"
"""A payment's life at the bank: accepted and waiting for its execution date, booked, or rejected."""


@dataclass(frozen=True, slots=True)
class AccountState:
    iban: str
    currency: str
    balance: Decimal
    """Booked balance now (every booking so far)."""
    closed: bool
    name: str | None
    owner: str | None
    bic: str | None
    statement_balance: Decimal
    """Closing booked balance of the last business day the bank has closed (the next OPBD)."""
    statement_sequence: int
    """ElctrncSeqNb of the last camt.053 issued for the account (0: none yet)."""
    last_statement_date: date | None


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    """One credit transfer of a received pain.001, with what the bank needs to book and report it."""

    id: int
    message_id: str
    message: str
    """The pain.001 version it came in (the pain.002's OrgnlMsgNmId)."""
    payment_information_id: str
    end_to_end_id: str
    instruction_id: str | None
    uetr: str | None
    amount: Decimal
    currency: str
    execution_date: date
    debtor_iban: str | None
    debtor_name: str | None
    debtor_bic: str | None
    creditor_iban: str | None
    creditor_name: str | None
    creditor_bic: str | None
    remittance: Remittance | None
    status: str
    reason: str | None


@dataclass(frozen=True, slots=True)
class BookingRecord:
    id: int
    reference: str
    """AcctSvcrRef: the bank's own reference of the booking."""
    iban: str
    booking_date: date
    credit_debit: str
    amount: Decimal
    currency: str
    payment_id: int


@dataclass(frozen=True, slots=True)
class MailboxMessage:
    """A message the bank has written for its customer; ``id`` is the message's own MsgId."""

    id: str
    family: str
    """pain.002, camt.054 or camt.053."""
    message: str
    """Full version, e.g. camt.053.001.08."""
    iban: str | None
    bank_date: date
    created_at: datetime
    body: bytes
    taken_at: datetime | None


@dataclass(frozen=True, slots=True)
class FileRecord:
    """A pain.001 the bank has received, by MsgId: its duplicate check."""

    message_id: str
    reference: str
    """The bank's id for the delivery (Submission.reference)."""
    sha256: str
    received_on: date
    group_status: str
    refused: bool
    """Refused as a whole (unreadable, invalid): nothing of it was taken for processing."""
