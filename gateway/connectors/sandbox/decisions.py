"""Whether the sandbox bank accepts one credit transfer, and if not, which reason it gives.

Reason codes are ISO 20022 ExternalStatusReason1Code values (external code
sets, ``StsRsnInf/Rsn/Cd``), the ones real banks and mock-bank send:

    AC01  IncorrectAccountNumber   the debtor account is not one this bank holds
    AC04  ClosedAccountNumber      the debtor account, or a creditor account held here, is closed
    AM03  NotAllowedCurrency       the amount is in a currency the account (or the bank) does not hold
    AM04  InsufficientFunds        the debtor's booked balance does not cover the amount

The funds check is made when the payment books (at once for a payment due
today, on its execution date for a future-dated one), against the balance at
that moment: within one file a payment that would overdraw is rejected and a
later, smaller one that still fits is accepted, as mock-bank does.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

from gateway.connectors.sandbox.records import AccountState

AC01, AC04, AM03, AM04 = "AC01", "AC04", "AM03", "AM04"


@dataclass(frozen=True, slots=True)
class Outcome:
    accepted: bool
    reason: str | None = None
    detail: str | None = None
    """Why, in words (the pain.002's AddtlInf, at most 105 characters)."""


ACCEPTED = Outcome(True)


def decide(*, amount: Decimal, currency: str, debtor_iban: str | None, debtor: AccountState | None,
           creditor: AccountState | None, currencies: Collection[str], check_funds: bool) -> Outcome:
    """The bank's verdict on one payment; ``creditor`` is the creditor account if this bank holds it."""
    if debtor is None:
        shown = debtor_iban or "an account without IBAN"
        return Outcome(False, AC01, f"debtor account {shown} is not held at this bank")
    if debtor.closed:
        return Outcome(False, AC04, f"debtor account {debtor.iban} is closed")
    if currencies and currency not in currencies:
        return Outcome(False, AM03, f"this bank does not process {currency}")
    if currency != debtor.currency:
        return Outcome(False, AM03, f"debtor account {debtor.iban} is held in {debtor.currency}, not {currency}")
    if creditor is not None and creditor.closed:
        return Outcome(False, AC04, f"creditor account {creditor.iban} is closed")
    if creditor is not None and creditor.currency != currency:
        return Outcome(False, AM03, f"creditor account {creditor.iban} is held in {creditor.currency}, not {currency}")
    if check_funds and amount > debtor.balance:
        return Outcome(False, AM04, f"balance {debtor.balance} {debtor.currency} does not cover {amount} {currency}")
    return ACCEPTED
