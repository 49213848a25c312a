"""What the gateway sent: one credit transfer as reconciliation needs to see it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gateway.domain.money import Money
from gateway.domain.reconciliation.errors import ReconciliationInputError

STATUSES = frozenset({"sent", "accepted", "pending", "booked", "rejected", "returned"})
"""The payment lifecycle as the gateway stores it."""

AWAITING_BOOKING = frozenset({"sent", "accepted", "pending"})
"""Statuses whose payment should turn up as a booking once its execution date has
passed.  ``sent`` is included: a bank that never answers with a pain.002 but never
books either (mock-bank's ``silent`` books; a lost file does not) must be noticed."""


@dataclass(frozen=True, slots=True)
class SentPayment:
    """A credit transfer the gateway sent to a bank.

    ``booked_entry_key`` / ``returned_entry_key`` are the keys of the entries an
    earlier reconciliation matched as this payment's booking and its return.  They
    make reconciliation incremental: the same entry seen again (a camt.054 and then
    the camt.053 that repeats it, or a statement read twice) is matched again
    quietly, while a *different* entry booking the payment is a duplicate.  The
    status alone cannot tell those apart: ``booked`` may come from a pain.002
    (ACSC) before any statement showed the money leave.
    """

    payment_id: str
    end_to_end_id: str
    amount: Money
    requested_execution_date: date
    status: str
    debtor_iban: str | None = None
    creditor_iban: str | None = None
    creditor_name: str | None = None
    message_id: str | None = None
    """The pain.001 MsgId; banks repeat it in TxDtls/Refs/MsgId, which tells apart
    two payments that (in different files) carried the same EndToEndId."""
    booked_entry_key: str | None = None
    returned_entry_key: str | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ReconciliationInputError(
                f"payment {self.payment_id}: status {self.status!r} is not one of {', '.join(sorted(STATUSES))}",
                code="invalid_payment_status")
