"""Matching what was sent with what the bank booked.

``reconcile`` is a pure function: the same payments and entries give the same
matches and exceptions, so a service may run it again over a statement it has
already seen and store the outcome idempotently (keyed by payment, entry and kind).

The rules, in order:

1. Entries repeated under one ``entry_key`` (a camt.054 and the camt.053 that
   repeats it) count once; the same key with different content is a
   ``conflicting_entry`` and the first one is used.
2. **EndToEndId**, exact, never ``NOTPROVIDED``.  A debit books the payment, a
   credit with return information returns it, a plain credit on the payee's own
   account is its receipt.  Payments sharing the EndToEndId are narrowed to the
   entry's account (debtor IBAN) and then to the entry's Refs/MsgId; if more than
   one is left, that is an ``ambiguous_match``.  When several entries book one
   payment, the one an earlier run matched (``booked_entry_key``) stays the
   booking, else the first with the right amount, else the first; the others
   are ``duplicate_booking``.
3. **Amount, date and counterparty** for debits with no usable EndToEndId: the
   same amount and currency, booked (else valued) from the requested execution
   date to ``booking_window`` business days after it, the same counterparty IBAN
   (or, without one, the same name; see ``names``), from the payment's debtor
   account.  Only a pair that fits nobody else either way is matched; everything
   else that fits is an ``ambiguous_match`` that names the candidates.  An entry
   that carries a real EndToEndId of its own is never matched this way: it
   names another payment, and pairing it by amount would contradict the bank.
4. Entries left over are ``unmatched_entry``.  Payments still awaiting their
   booking (sent, accepted, pending) whose window ended on or before
   ``booked_through`` are ``payment_not_booked``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from gateway.domain.money import Money
from gateway.domain.reconciliation.booked import NOT_PROVIDED, BookedEntry
from gateway.domain.reconciliation.calendar import WEEKDAYS, BankCalendar
from gateway.domain.reconciliation.errors import ReconciliationInputError
from gateway.domain.reconciliation.names import normalise_iban, same_name
from gateway.domain.reconciliation.outcome import (
    ExceptionKind,
    Match,
    MatchMethod,
    MatchRole,
    Reconciliation,
    ReconException,
)
from gateway.domain.reconciliation.sent import AWAITING_BOOKING, SentPayment

DEFAULT_BOOKING_WINDOW = 2
_ONE_DAY = timedelta(days=1)
"""Business days after the requested execution date a booking may still come: a
file received after the bank's cutoff books the next business day, and a
requested date on a weekend rolls to Monday before the window is counted."""

_Outcome = Match | ReconException


@dataclass(frozen=True, slots=True)
class _Link:
    payment: SentPayment
    role: MatchRole


def reconcile(sent: Sequence[SentPayment], entries: Sequence[BookedEntry], *,
              booked_through: date | None = None, booking_window: int = DEFAULT_BOOKING_WINDOW,
              calendar: BankCalendar = WEEKDAYS) -> Reconciliation:
    """Match ``sent`` payments with booked ``entries`` and say what does not fit.

    Every reason is a function of the payment and entry it names only (never of
    ``booked_through``), so the same exception raised again by a later run reads
    the same and a store can recognise it.

    ``booked_through`` is the last day the entries are complete for (the day of
    the newest end-of-day statement held); without it no payment is reported as
    not booked, since an absent booking may simply not be reported yet.
    """
    if booking_window < 0:
        raise ReconciliationInputError(f"booking window must be 0 or more business days, got {booking_window}",
                                       code="invalid_window")
    ids = [p.payment_id for p in sent]
    if len(set(ids)) != len(ids):
        twice = sorted({i for i in ids if ids.count(i) > 1})
        raise ReconciliationInputError(f"payment ids given more than once: {', '.join(twice)}",
                                       code="duplicate_payment_id")
    return _Run(sent, booking_window, calendar).run(entries, booked_through)


SETTLED = ("booked", "returned")
BOOKABLE = AWAITING_BOOKING | frozenset(SETTLED)
"""What an open debit may book by amount, date and counterparty (never a rejected payment)."""


@dataclass(frozen=True, slots=True)
class Relevant:
    """The sent payments a reconciliation of some entries can use, so that a store loads those and
    not an account's whole history (which grows without end; the entries of a statement do not),
    nor every payment in flight for every camt.054 (a bulk payout puts thousands in flight, and
    its bank answers each booking with a notification):

    * any payment whose EndToEndId an entry carries, whatever its status (a booking, a duplicate,
      a return, a booking despite a rejection);
    * with ``all_awaiting`` (an end-of-day statement: ``booked_through`` is given), every payment
      still awaiting booking, to be reported as not booked once its window has passed;
    * the payments an open debit (an entry without an EndToEndId) may book by amount, date and
      counterparty: awaiting booking, booked or returned (a pain.002 or pacs.004 may have said so
      first), executed on or after ``since``, for one of ``amounts``.  ``since`` is None when
      there is no such entry.
    """

    end_to_end_ids: frozenset[str]
    all_awaiting: bool
    since: date | None
    amounts: frozenset[Money]

    def wanted(self, payment: SentPayment) -> bool:
        if payment.end_to_end_id.strip() in self.end_to_end_ids:
            return True
        if self.all_awaiting and payment.status in AWAITING_BOOKING:
            return True
        return (self.since is not None and payment.status in BOOKABLE
                and payment.requested_execution_date >= self.since and payment.amount in self.amounts)


def relevant_payments(entries: Sequence[BookedEntry], *, booked_through: date | None = None,
                      booking_window: int = DEFAULT_BOOKING_WINDOW, calendar: BankCalendar = WEEKDAYS) -> Relevant:
    """What ``reconcile(sent, entries, booked_through=...)`` needs of ``sent`` (see :class:`Relevant`);
    with the same arguments, reconciling only the wanted payments gives the same result."""
    e2e = frozenset(e2e for e2e in (entry.usable_end_to_end_id for entry in entries) if e2e)
    open_debits = [entry for entry in entries if entry.day is not None and _open_debit(entry)]
    if not open_debits:
        return Relevant(e2e, booked_through is not None, None, frozenset())
    first = earliest = min(entry.day for entry in open_debits)
    # _fits: first <= day <= business_days_after(first, window); walk back while that still holds.
    while calendar.business_days_after(earliest - _ONE_DAY, booking_window) >= first:
        earliest -= _ONE_DAY
    return Relevant(e2e, booked_through is not None, earliest, frozenset(entry.amount for entry in open_debits))


class _Run:
    """One reconciliation: the bookkeeping of who is matched so far."""

    def __init__(self, sent: Sequence[SentPayment], window: int, calendar: BankCalendar) -> None:
        self.sent = sent
        self.window = window
        self.calendar = calendar
        self.by_e2e: dict[str, list[SentPayment]] = defaultdict(list)
        for payment in sent:
            e2e = payment.end_to_end_id.strip()
            if e2e and e2e.upper() != NOT_PROVIDED:
                self.by_e2e[e2e].append(payment)
        self.results: dict[int, list[_Outcome]] = defaultdict(list)
        self.booked: set[str] = set()
        """Payments whose booking this run found."""
        self.returned: set[str] = set()
        """Payments whose return this run found: money left and came back, so not 'not booked'."""
        self.in_doubt: set[str] = set()
        """Payments named in an ambiguity: perhaps booked, nobody can say which."""

    def run(self, entries: Sequence[BookedEntry], booked_through: date | None) -> Reconciliation:
        unique, conflicts = _distinct(entries)
        self._by_end_to_end_id(unique)
        self._by_amount_date_counterparty(unique)
        matches: list[Match] = []
        exceptions: list[ReconException] = list(conflicts)
        for i, entry in enumerate(unique):
            outcomes = self.results.get(i) or [_unmatched(entry, self.by_e2e)]
            matches += [o for o in outcomes if isinstance(o, Match)]
            exceptions += [o for o in outcomes if isinstance(o, ReconException)]
        if booked_through is not None:
            exceptions += self._not_booked(booked_through)
        return Reconciliation(matches=tuple(matches), exceptions=tuple(exceptions))

    # -- 2. EndToEndId -------------------------------------------------------------

    def _by_end_to_end_id(self, entries: list[BookedEntry]) -> None:
        groups: dict[tuple[str, MatchRole], list[int]] = defaultdict(list)
        links: dict[int, _Link] = {}
        for i, entry in enumerate(entries):
            e2e = entry.usable_end_to_end_id
            role = _role(entry)
            if e2e is None or role is None or e2e not in self.by_e2e:
                continue
            candidates = _narrow(self.by_e2e[e2e], entry, role)
            if len(candidates) > 1:
                self.in_doubt.update(p.payment_id for p in candidates)
                self.results[i].append(ReconException(
                    kind=ExceptionKind.AMBIGUOUS_MATCH, entry_key=entry.entry_key, amount=entry.amount,
                    candidates=tuple(p.payment_id for p in candidates),
                    reason=(f"{_describe_entry(entry)} carries EndToEndId {e2e!r}, which "
                            f"{len(candidates)} payments sent from this account share "
                            f"({', '.join(p.payment_id for p in candidates)}); nothing tells them apart")))
            elif candidates:
                links[i] = _Link(candidates[0], role)
                groups[(candidates[0].payment_id, role)].append(i)
        for indexes in groups.values():
            link = links[indexes[0]]
            primary = _primary(link, [entries[i] for i in indexes])
            for i in indexes:
                if entries[i].entry_key == primary:
                    self._link(i, entries[i], link, MatchMethod.END_TO_END_ID)
                else:
                    self.results[i].append(_duplicate(entries[i], link, primary))

    def _link(self, i: int, entry: BookedEntry, link: _Link, method: MatchMethod) -> None:
        payment = link.payment
        self.results[i].append(Match(payment.payment_id, entry.entry_key, method, link.role))
        if link.role is MatchRole.BOOKING:
            self.booked.add(payment.payment_id)
        if link.role is MatchRole.RETURN:
            self.returned.add(payment.payment_id)
            self.results[i].append(_returned(entry, payment))
            return
        if entry.amount is not None and entry.amount != payment.amount:
            self.results[i].append(ReconException(
                kind=ExceptionKind.AMOUNT_MISMATCH, payment_id=payment.payment_id, entry_key=entry.entry_key,
                amount=entry.amount, expected_amount=payment.amount,
                reason=(f"{_describe_entry(entry)} {_verb(link.role)} {_describe_payment(payment)} by its "
                        f"EndToEndId, but for {entry.amount}, not {payment.amount}"
                        + _difference(entry.amount, payment.amount))))
        if link.role is MatchRole.BOOKING and payment.status == "rejected":
            self.results[i].append(ReconException(
                kind=ExceptionKind.BOOKED_DESPITE_REJECTION, payment_id=payment.payment_id,
                entry_key=entry.entry_key, amount=entry.amount,
                reason=(f"the bank rejected {_describe_payment(payment)}, yet "
                        f"{_describe_entry(entry)} books it")))

    # -- 3. amount, date and counterparty ---------------------------------------

    def _by_amount_date_counterparty(self, entries: list[BookedEntry]) -> None:
        open_payments = [p for p in self.sent
                         if p.status != "rejected" and p.booked_entry_key is None
                         and p.payment_id not in self.booked and p.payment_id not in self.in_doubt]
        fits: dict[int, list[SentPayment]] = {}
        fitted_by: dict[str, list[int]] = defaultdict(list)
        for i, entry in enumerate(entries):
            if i in self.results or not _open_debit(entry):
                continue
            found = [p for p in open_payments if self._fits(entry, p)]
            if found:
                fits[i] = found
                for p in found:
                    fitted_by[p.payment_id].append(i)
        for i, found in fits.items():
            entry = entries[i]
            if len(found) == 1 and fitted_by[found[0].payment_id] == [i]:
                self._link(i, entry, _Link(found[0], MatchRole.BOOKING), MatchMethod.AMOUNT_DATE_COUNTERPARTY)
                continue
            self.in_doubt.update(p.payment_id for p in found)
            if len(found) > 1:
                why = (f"{len(found)} payments fit it equally (same amount, counterparty and "
                       f"booking window): {', '.join(p.payment_id for p in found)}")
            else:
                others = [entries[k].entry_key for k in fitted_by[found[0].payment_id] if k != i]
                why = (f"it fits {_describe_payment(found[0])}, but so do entries {', '.join(others)}; "
                       f"one of them may book it twice")
            self.results[i].append(ReconException(
                kind=ExceptionKind.AMBIGUOUS_MATCH, entry_key=entry.entry_key, amount=entry.amount,
                candidates=tuple(p.payment_id for p in found),
                reason=f"{_describe_entry(entry)} has no EndToEndId and {why}; nothing tells them apart"))

    def _fits(self, entry: BookedEntry, payment: SentPayment) -> bool:
        debtor = normalise_iban(payment.debtor_iban)
        if debtor is not None and debtor != entry.account_id:
            return False
        if entry.amount != payment.amount or entry.day is None:
            return False
        first = payment.requested_execution_date
        if not first <= entry.day <= self.calendar.business_days_after(first, self.window):
            return False
        creditor = normalise_iban(payment.creditor_iban)
        counterparty = normalise_iban(entry.counterparty_iban)
        if counterparty is not None and creditor is not None:
            return counterparty == creditor
        return same_name(entry.counterparty_name, payment.creditor_name)

    # -- 4. what is left -------------------------------------------------------------

    def _not_booked(self, booked_through: date) -> list[ReconException]:
        out = []
        for payment in self.sent:
            if (payment.status not in AWAITING_BOOKING or payment.booked_entry_key is not None
                    or payment.returned_entry_key is not None
                    or payment.payment_id in self.booked | self.returned | self.in_doubt):
                continue
            due = self.calendar.business_days_after(payment.requested_execution_date, self.window)
            if due > booked_through:
                continue
            out.append(ReconException(
                kind=ExceptionKind.PAYMENT_NOT_BOOKED, payment_id=payment.payment_id, amount=payment.amount,
                reason=(f"{_describe_payment(payment)} (status {payment.status}) was to be executed on "
                        f"{payment.requested_execution_date} and booked by {due}, but no entry books it")))
        return out


# -- helpers ------------------------------------------------------------------------


def _distinct(entries: Sequence[BookedEntry]) -> tuple[list[BookedEntry], list[ReconException]]:
    """One entry per key; a key reported twice with different content is a conflict."""
    seen: dict[str, BookedEntry] = {}
    unique: list[BookedEntry] = []
    conflicts: list[ReconException] = []
    for entry in entries:
        first = seen.get(entry.entry_key)
        if first is None:
            seen[entry.entry_key] = entry
            unique.append(entry)
        elif _substance(first) != _substance(entry):
            conflicts.append(ReconException(
                kind=ExceptionKind.CONFLICTING_ENTRY, entry_key=entry.entry_key, amount=entry.amount,
                expected_amount=first.amount,
                reason=(f"entry {entry.entry_key} is reported twice with different content: in "
                        f"{first.statement_id} as {_movement(first)}, in {entry.statement_id} as "
                        f"{_movement(entry)}; the first is reconciled")))
    return unique, conflicts


def _substance(entry: BookedEntry) -> tuple:
    """What must agree when two reports show one booking (the statement id may not)."""
    return (entry.amount, entry.credit_debit, entry.booking_date, entry.value_date,
            entry.usable_end_to_end_id, entry.is_return)


def _role(entry: BookedEntry) -> MatchRole | None:
    if entry.credit_debit == "DBIT":
        return None if entry.is_return else MatchRole.BOOKING
    if entry.credit_debit == "CRDT":
        return MatchRole.RETURN if entry.is_return else MatchRole.RECEIPT
    return None


def _narrow(payments: list[SentPayment], entry: BookedEntry, role: MatchRole) -> list[SentPayment]:
    """The payments sharing an EndToEndId that this entry can be about."""
    if role is MatchRole.RECEIPT:
        found = [p for p in payments if normalise_iban(p.creditor_iban) == entry.account_id]
    else:
        found = [p for p in payments if normalise_iban(p.debtor_iban) in (None, entry.account_id)]
    if len(found) > 1 and entry.message_id:
        by_message = [p for p in found if p.message_id == entry.message_id]
        found = by_message or found
    return found


def _primary(link: _Link, entries: list[BookedEntry]) -> str | None:
    """The key of the entry that stays the match among several for one payment and role."""
    payment = link.payment
    earlier = {MatchRole.BOOKING: payment.booked_entry_key,
               MatchRole.RETURN: payment.returned_entry_key}.get(link.role)
    if earlier is not None:
        return earlier if any(e.entry_key == earlier for e in entries) else None
    exact = next((e for e in entries if e.amount == payment.amount), entries[0])
    return exact.entry_key


def _duplicate(entry: BookedEntry, link: _Link, primary: str | None) -> ReconException:
    payment = link.payment
    earlier = primary or (payment.booked_entry_key if link.role is MatchRole.BOOKING
                          else payment.returned_entry_key)
    done, again = {MatchRole.BOOKING: ("booked", "books"), MatchRole.RETURN: ("returned", "returns"),
                   MatchRole.RECEIPT: ("credited to the payee", "credits")}[link.role]
    return ReconException(
        kind=ExceptionKind.DUPLICATE_BOOKING, payment_id=payment.payment_id, entry_key=entry.entry_key,
        amount=entry.amount, expected_amount=payment.amount, candidates=(earlier,) if earlier else (),
        reason=(f"{_describe_payment(payment)} is already {done} by entry {earlier}; "
                f"{_describe_entry(entry)} {again} it again"))


def _returned(entry: BookedEntry, payment: SentPayment) -> ReconException:
    why = (f"return reason {entry.return_reason}" if entry.return_reason
           else "the bank reversed the booking" if entry.reversal else "no return reason given")
    reason = f"{_describe_payment(payment)} came back: {_describe_entry(entry)}, {why}"
    if entry.amount is not None and entry.amount != payment.amount:
        reason += f"; {entry.amount} came back of {payment.amount} sent" + _difference(entry.amount, payment.amount)
    return ReconException(
        kind=ExceptionKind.RETURNED, payment_id=payment.payment_id, entry_key=entry.entry_key,
        amount=entry.amount, expected_amount=payment.amount, reason_code=entry.return_reason, reason=reason)


def _open_debit(entry: BookedEntry) -> bool:
    return (entry.credit_debit == "DBIT" and not entry.is_return and entry.amount is not None
            and entry.usable_end_to_end_id is None)


def _unmatched(entry: BookedEntry, by_e2e: dict[str, list[SentPayment]]) -> ReconException:
    e2e = entry.usable_end_to_end_id
    if entry.is_return and entry.credit_debit == "CRDT":
        what = (f"no payment the gateway sent has EndToEndId {e2e!r}" if e2e
                else "it carries no EndToEndId to find the payment it returns by")
    elif entry.credit_debit == "CRDT":
        what = "no payment the gateway sent explains this credit"
    else:
        what = "no payment the gateway sent explains this debit"
    owners = by_e2e.get(e2e, []) if e2e else []
    if owners:
        elsewhere = ", ".join(f"{p.payment_id} (debtor {p.debtor_iban}, creditor {p.creditor_iban})" for p in owners)
        what += f"; its EndToEndId {e2e!r} belongs to {elsewhere}, not to a payment of this account"
    return ReconException(kind=ExceptionKind.UNMATCHED_ENTRY, entry_key=entry.entry_key, amount=entry.amount,
                          reason_code=entry.return_reason, reason=f"{_describe_entry(entry)}: {what}")


def _movement(entry: BookedEntry) -> str:
    kind = ("return" if entry.is_return else "credit") if entry.credit_debit == "CRDT" else "debit"
    amount = str(entry.amount) if entry.amount is not None else "an unknown amount"
    when = f" booked {entry.day}" if entry.day else ""
    return f"{kind} of {amount}{when}"


def _describe_entry(entry: BookedEntry) -> str:
    parts = [f"entry {entry.entry_key} ({_movement(entry)}"]
    if entry.counterparty_name or entry.counterparty_iban:
        side = "from" if entry.credit_debit == "CRDT" else "to"
        who = " ".join(x for x in (entry.counterparty_name, entry.counterparty_iban) if x)
        parts.append(f", {side} {who}")
    if entry.end_to_end_id:
        parts.append(f", EndToEndId {entry.end_to_end_id}")
    return "".join(parts) + ")"


def _describe_payment(payment: SentPayment) -> str:
    to = " ".join(x for x in (payment.creditor_name, payment.creditor_iban) if x)
    return (f"payment {payment.payment_id} (EndToEndId {payment.end_to_end_id}, {payment.amount}"
            + (f" to {to}" if to else "") + ")")


def _verb(role: MatchRole) -> str:
    return {MatchRole.BOOKING: "books", MatchRole.RETURN: "returns", MatchRole.RECEIPT: "credits"}[role]


def _difference(booked: Money, expected: Money) -> str:
    if booked.currency != expected.currency:
        return " (another currency)"
    return f" (difference {booked.value - expected.value} {booked.currency})"
