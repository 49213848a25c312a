"""What reconciliation concludes: matches, and exceptions a person has to look at.

Both are plain records the services store as they are; every exception says in
plain words what is wrong, names the payment and/or entry it is about, and
carries an ISO 20022 code where the bank gave one (a return reason).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from gateway.domain.money import Money


class MatchMethod(str, Enum):
    END_TO_END_ID = "end_to_end_id"
    """The entry repeats the payment's EndToEndId."""
    AMOUNT_DATE_COUNTERPARTY = "amount_date_counterparty"
    """No EndToEndId: same amount, booked within the window, same counterparty, and
    no other payment or entry fits either way."""


class MatchRole(str, Enum):
    BOOKING = "booking"
    """The debit that executes the payment."""
    RETURN = "return"
    """The credit that brings it back (RtrInf, RRTN or a reversal)."""
    RECEIPT = "receipt"
    """The credit on the payee's account, when the payee is an account the bank
    also reports (a transfer between two of the holder's own accounts)."""


class ExceptionKind(str, Enum):
    UNMATCHED_ENTRY = "unmatched_entry"
    """Booked, but nobody sent it: a debit the gateway did not send, an unexpected credit."""
    PAYMENT_NOT_BOOKED = "payment_not_booked"
    """Sent and not rejected, its booking window over, and no entry books it."""
    RETURNED = "returned"
    """The payment was matched and then came back; ``reason_code`` is the return reason."""
    AMOUNT_MISMATCH = "amount_mismatch"
    """The EndToEndId links entry and payment, the amounts differ."""
    DUPLICATE_BOOKING = "duplicate_booking"
    """A second entry books (or returns) a payment already booked (or returned)."""
    AMBIGUOUS_MATCH = "ambiguous_match"
    """Several payments fit one entry, or several entries one payment; no guess is made.
    ``candidates`` names the other side."""
    BOOKED_DESPITE_REJECTION = "booked_despite_rejection"
    """The bank rejected the payment, yet an entry books it."""
    CONFLICTING_ENTRY = "conflicting_entry"
    """Two reports give the same entry key with different content."""


@dataclass(frozen=True, slots=True)
class Match:
    payment_id: str
    entry_key: str
    method: MatchMethod
    role: MatchRole = MatchRole.BOOKING


@dataclass(frozen=True, slots=True)
class ReconException:
    kind: ExceptionKind
    reason: str
    """Plain words: what is wrong, with the amounts, dates and ids involved."""
    payment_id: str | None = None
    entry_key: str | None = None
    amount: Money | None = None
    """The booked amount when an entry is concerned, else the payment's."""
    expected_amount: Money | None = None
    """The payment's amount where it differs from ``amount``."""
    reason_code: str | None = None
    """An ISO 20022 code where the bank gave one: the return reason (AC04, MD07...)."""
    candidates: tuple[str, ...] = ()
    """The other side of an ambiguity or duplicate: payment ids for an entry,
    entry keys for a payment."""


@dataclass(frozen=True, slots=True)
class Reconciliation:
    matches: tuple[Match, ...] = ()
    exceptions: tuple[ReconException, ...] = ()

    def of_kind(self, kind: ExceptionKind) -> tuple[ReconException, ...]:
        return tuple(x for x in self.exceptions if x.kind is kind)

    def match_for(self, payment_id: str, role: MatchRole = MatchRole.BOOKING) -> Match | None:
        return next((m for m in self.matches if m.payment_id == payment_id and m.role is role), None)
