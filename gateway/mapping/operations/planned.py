"""A payment an operation asks for, before it is grouped into a pain.001 batch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gateway.domain.payments import CreditTransfer
from gateway.mapping.operations.endpoints import Endpoint

Location = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a planned payment came from in the request, so that a refusal after
    planning (a SEPA bank and a dollar amount) still names the field the caller sent.

    ``payment`` is the payment's own object (``()`` for a single operation,
    ``("payments", 3)`` in a bulk payout); ``debtor`` and ``creditor`` are where each
    account was named: a counterparty object of the request (``("merchant",)``;
    ``creditor_given`` then says its ``bic`` and ``account_id`` sit below it), the
    field that picked a consent account (``("debtor_iban",)``), or the wallet
    provider's configuration (``("wallet", "settlement")``)."""

    payment: Location = ()
    debtor: Location = ("debtor",)
    creditor: Location = ("creditor",)
    creditor_given: bool = True

    def field(self, name: str) -> Location:
        """A field of the payment's own object: amount, currency, charge_bearer..."""
        return self.payment + (name,)

    def creditor_field(self, name: str) -> Location:
        """Where the creditor's ``name`` (bic, iban, account_id) was given, or where the creditor was named."""
        return self.creditor + (name,) if self.creditor_given else self.creditor


@dataclass(frozen=True, slots=True)
class PlannedPayment:
    """One credit transfer with what decides its payment information block.

    The block-level codes (service level, local instrument, category purpose) are
    here rather than on ``transfer`` because they are the grouping key: payments
    that differ in them cannot share a PmtInf."""

    debtor: Endpoint
    transfer: CreditTransfer
    requested_execution_date: date
    service_level: str | None = None
    local_instrument: str | None = None
    category_purpose: str | None = None
    origin: Origin = Origin()
