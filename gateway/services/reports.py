"""camt.052/053/054 → stored statements and entries, payment bookings and returns, integrity
checks and reconciliation.

* Every statement, notification and report is stored with its entries (an entry
  key seen before, e.g. the camt.053 repeating a camt.054 booking with the same
  AcctSvcrRef, is stored once).
* A notification (camt.054) moves the payments it books to ``booked`` and the
  ones it returns to ``returned``: it is the bank's word that money moved.
* An end-of-day statement (camt.053) is checked on its own (balances add up) and
  against the account's other statements (opening = previous closing, no gap or
  duplicate in the sequence, no missing business day), then reconciled: every
  entry is matched to the payment it belongs to, and what does not match becomes
  a reconciliation exception with its reason.

The matching rules themselves are pure functions in :mod:`gateway.domain.reconciliation`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from gateway.domain.money import Money, amount_text
from gateway.domain.parties import Account
from gateway.domain.reasons import describe
from gateway.domain.reconciliation import (
    BOOKABLE,
    BookedEntry,
    MatchRole,
    ReconException,
    Relevant,
    SentPayment,
    StatementSummary,
    booked_entries,
    check_continuity,
    check_statement,
    missing_statements,
    reconcile,
    relevant_payments,
    summary_of,
)
from gateway.domain.reconciliation.booked import (
    account_id,
    booking_identity,
    with_notified_keys,
)
from gateway.domain.reconciliation.sent import AWAITING_BOOKING, STATUSES
from gateway.domain.statements import Report, ReportKind, Statement
from gateway.persistence.payment_models import (
    InboundMessage,
    Payment,
    PaymentStatus,
    ReconciliationException,
    StoredEntry,
    StoredStatement,
    status_is,
)
from gateway.persistence.repositories.exceptions import Exceptions
from gateway.persistence.types import fits_amount
from gateway.routing import NoRoute, Router
from gateway.services import lifecycle

Clock = Callable[[], datetime]
INTEGRITY = "statement_integrity"
MISSING_STATEMENT, SEQUENCE_GAP = "reconcile.missing_statement", "reconcile.sequence_gap"


def ingest(session: Session, clock: Clock, row: InboundMessage, report: Report, *,
           router: Router | None = None) -> None:
    """With ``router``, a statement of an account the sending bank does not serve is not stored
    (a bank speaks for its own accounts only) but recorded as an exception."""
    for index, statement in enumerate(report.statements):
        account = account_id(statement.account)
        if router is not None and not _serves(router, row.bank_id, account):
            _exception(session, clock, INTEGRITY, account, f"{report.kind.value} {statement.identification} from "
                       f"{row.bank_id} is about {account}, an account that bank does not serve; not stored",
                       None, None, {"rule": "reconcile.foreign_account", "bank": row.bank_id})
            continue
        _ingest_statement(session, clock, row, report, statement, index)


def _serves(router: Router, bank_id: str, account: str) -> bool:
    try:
        return router.route(Account(iban=account)).id == bank_id
    except NoRoute:
        return False


def _ingest_statement(session: Session, clock: Clock, row: InboundMessage, report: Report, statement: Statement,
                      index: int) -> None:
    summary = summary_of(statement)
    stored = _store(session, clock, row, report.kind, statement, summary)
    if report.kind == ReportKind.STATEMENT:
        earlier = _summaries(session, row.bank_id, summary.account_id, exclude=stored.id if stored else None)
        findings = check_statement(statement, index) + check_continuity(_previous(earlier, summary), summary,
                                                                         known=earlier)
        for finding in findings:
            _exception(session, clock, INTEGRITY, summary.account_id, finding.message, None, None,
                       {"rule": finding.rule, "reason": finding.reason, "statement_id": statement.identification,
                        **_what_is_missing(finding)})
    if stored is None:  # the same statement again: reported above as a duplicate, nothing to re-apply
        return
    if report.kind == ReportKind.STATEMENT:
        _resolve_missing(session, clock, summary, received=[*earlier, summary])
    entries = booked_entries(statement)
    if report.kind == ReportKind.STATEMENT:
        entries = with_notified_keys(entries, _notified(session, row.bank_id, summary.account_id, entries))
    _store_entries(session, stored, entries)
    booked_through = summary.to_date if report.kind == ReportKind.STATEMENT else None
    payments = _payments_for(session, row.bank_id, relevant_payments(entries, booked_through=booked_through),
                             summary.account_id)
    result = reconcile(_sent_payments(session, payments), entries, booked_through=booked_through)
    by_key = {e.entry_key: e for e in entries}
    source = f"{report.kind.value} {statement.identification} from {row.bank_id}"
    for match in result.matches:
        payment, entry = payments[match.payment_id], by_key[match.entry_key]
        _link(session, entry.entry_key, payment.id, match.method.value, match.role.value)
        if match.role == MatchRole.BOOKING:
            lifecycle.move(session, clock, payment, PaymentStatus.BOOKED, source=source)
        elif match.role == MatchRole.RETURN:
            lifecycle.move(session, clock, payment, PaymentStatus.RETURNED, source=source,
                           reason_code=entry.return_reason, reason_text=describe(entry.return_reason))
    if report.kind == ReportKind.STATEMENT:
        for found in result.exceptions:
            _store_exception(session, clock, found, summary.account_id)


def files_booked(session: Session, bank_id: str, report: Report) -> set[str]:
    """The bank's files (outbox row ids) of which the report books or returns a payment: an entry that
    debits the account the payment left from, or brings it back there, naming its EndToEndId (and its
    file's MsgId where the bank repeats it).  A bank that books or returns a payment has its file.
    Only that exact link counts, never amount, date and counterparty, and not an EndToEndId two
    payments share: this decides that a file was delivered, which a guess must not."""
    files: set[str] = set()
    for statement in report.statements:
        entries = [e for e in booked_entries(statement)
                   if e.usable_end_to_end_id and (e.credit_debit == "DBIT" or e.is_return)]
        if not entries:
            continue
        query = select(Payment.end_to_end_id, Payment.message_id, Payment.outgoing_message_id).where(
            Payment.bank_id == bank_id, Payment.debtor_iban == account_id(statement.account),
            Payment.end_to_end_id.in_(sorted({e.usable_end_to_end_id for e in entries})))
        sent: dict[str, list[tuple[str, str]]] = {}
        for end_to_end_id, message_id, file_id in session.execute(query):
            sent.setdefault(end_to_end_id, []).append((message_id, file_id))
        for entry in entries:
            fits = [file_id for message_id, file_id in sent.get(entry.usable_end_to_end_id, ())
                    if entry.message_id in (None, message_id)]
            if len(fits) == 1:
                files.add(fits[0])
    return files


def flag_missing_statements(session: Session, clock: Clock, *, through: date) -> int:
    """An exception for every business day up to ``through`` for which an account that receives
    statements got none (the bank skipped a day, or it has not sent yesterday's yet); returns how
    many were new.  Run once a day by the worker."""
    accounts = session.execute(select(StoredStatement.bank_id, StoredStatement.account_iban)
                               .where(StoredStatement.kind == ReportKind.STATEMENT.value).distinct()).all()
    before = session.scalar(select(func.count()).select_from(ReconciliationException))
    for bank_id, account in accounts:
        summaries = _summaries(session, bank_id, account, exclude=None)
        flagged = {(row.details or {}).get("date") for row in _open_integrity(session, account)
                   if (row.details or {}).get("rule") == MISSING_STATEMENT}
        for finding in missing_statements(summaries, through=through):
            if finding.value in flagged:  # already open (found when a later statement arrived)
                continue
            _exception(session, clock, INTEGRITY, account, finding.message, None, None,
                       {"rule": finding.rule, "reason": finding.reason, "date": finding.value})
    return session.scalar(select(func.count()).select_from(ReconciliationException)) - before


def _resolve_missing(session: Session, clock: Clock, summary: StatementSummary, *,
                     received: list[StatementSummary]) -> None:
    """A statement that arrives late settles the 'missing end-of-day statement' of its days, and a
    sequence gap once every number in it has arrived."""
    numbers = {s.sequence_number for s in received if s.sequence_number is not None}
    for row in _open_integrity(session, summary.account_id):
        details = row.details or {}
        if details.get("rule") == MISSING_STATEMENT:
            day = details.get("date")
            settled = bool(day and summary.from_date and summary.to_date
                           and summary.from_date.isoformat() <= day <= summary.to_date.isoformat())
        elif details.get("rule") == SEQUENCE_GAP and "first_missing" in details:
            settled = set(range(details["first_missing"], details["last_missing"] + 1)) <= numbers
        else:
            continue
        if settled:
            row.resolved_at, row.open_key = clock(), None


def _open_integrity(session: Session, account: str) -> list[ReconciliationException]:
    return list(session.scalars(select(ReconciliationException).where(
        ReconciliationException.kind == INTEGRITY, ReconciliationException.account_iban == account,
        ReconciliationException.resolved_at.is_(None))))


def _what_is_missing(finding) -> dict:
    """What a continuity finding says is missing, as the exception's details, so that the statement
    that arrives late can settle it: the day, or the range of sequence numbers."""
    if finding.rule == MISSING_STATEMENT:
        return {"date": finding.value}
    if finding.rule == SEQUENCE_GAP:
        return {"first_missing": int(finding.extra["expected"]), "last_missing": int(finding.value) - 1}
    return {}


def _notified(session: Session, bank_id: str, account: str, entries: list) -> list[tuple[str, tuple]]:
    """Entries of this bank's notifications for the account on the statement's booking days that no
    statement has repeated yet (they are still the notification's), with their booking identity."""
    days = {e.booking_date for e in entries if e.account_servicer_reference is None and e.booking_date}
    if not days:
        return []
    rows = session.scalars(select(StoredEntry).join(StoredStatement, StoredStatement.id == StoredEntry.statement_id)
                           .where(StoredStatement.bank_id == bank_id,
                                  StoredStatement.kind == ReportKind.NOTIFICATION.value,
                                  StoredEntry.account_iban == account, StoredEntry.booking_date.in_(days))
                           .order_by(StoredEntry.id))
    return [(e.entry_key, booking_identity(e.amount, e.currency, e.credit_debit, e.booking_date, e.end_to_end_id))
            for e in rows]


def _store(session: Session, clock: Clock, row: InboundMessage, kind: ReportKind, statement: Statement,
           summary: StatementSummary) -> StoredStatement | None:
    """The new statement row; None if this bank already sent a statement with this identity."""
    exists = session.scalar(select(StoredStatement.id).where(
        StoredStatement.bank_id == row.bank_id, StoredStatement.kind == kind.value,
        StoredStatement.account_iban == summary.account_id,
        StoredStatement.statement_id == statement.identification))
    if exists is not None:
        return None
    stored = StoredStatement(
        bank_id=row.bank_id, inbound_message_id=row.id, kind=kind.value, account_iban=summary.account_id,
        statement_id=statement.identification, sequence_number=summary.sequence_number,
        from_date=summary.from_date, to_date=summary.to_date, currency=summary.currency, opening=summary.opening,
        closing=summary.closing, entry_count=summary.entry_count, booked_net=summary.booked_net,
        created_at=clock())
    session.add(stored)
    session.flush()
    return stored


def _store_entries(session: Session, stored: StoredStatement, entries: Iterable[BookedEntry]) -> None:
    """Store the entries; one already stored (the same AcctSvcrRef) is the same booking seen again.
    When an end-of-day statement repeats a booking a notification reported first, the entry moves
    to the statement: the statement is the account's record, the one transactions are read from."""
    entries = [e for e in entries if e.amount is not None]
    keys = [e.entry_key for e in entries]
    known = {row.entry_key: row for row in session.scalars(select(StoredEntry).where(StoredEntry.entry_key.in_(keys)))} \
        if keys else {}
    for entry in entries:
        existing = known.get(entry.entry_key)
        if existing is not None:
            if stored.kind == ReportKind.STATEMENT.value:
                existing.statement_id = stored.id
            continue
        known[entry.entry_key] = row = StoredEntry(
            statement_id=stored.id, entry_key=entry.entry_key, account_iban=entry.account_id,
            amount=entry.amount.value, currency=entry.amount.currency, credit_debit=entry.credit_debit,
            booking_date=entry.booking_date, value_date=entry.value_date, end_to_end_id=entry.usable_end_to_end_id,
            counterparty_name=(entry.counterparty_name or "")[:140] or None, counterparty_iban=entry.counterparty_iban,
            return_reason=entry.return_reason)
        session.add(row)
    session.flush()


def _summaries(session: Session, bank_id: str, account: str, *, exclude: str | None) -> list[StatementSummary]:
    query = select(StoredStatement).where(StoredStatement.bank_id == bank_id, StoredStatement.account_iban == account,
                                          StoredStatement.kind == ReportKind.STATEMENT.value)
    if exclude:
        query = query.where(StoredStatement.id != exclude)
    return [StatementSummary(account_id=s.account_iban, statement_id=s.statement_id,
                             sequence_number=s.sequence_number, from_date=s.from_date, to_date=s.to_date,
                             opening=s.opening, closing=s.closing, currency=s.currency, entry_count=s.entry_count,
                             booked_net=s.booked_net) for s in session.scalars(query)]


def _previous(earlier: list[StatementSummary], current: StatementSummary) -> StatementSummary | None:
    """The account's statement just before ``current`` by period (not by arrival)."""
    if current.from_date is None:
        return None
    before = [s for s in earlier if s.to_date is not None and s.to_date < current.from_date]
    return max(before, key=lambda s: (s.to_date, s.sequence_number or 0), default=None)


def _payments_for(session: Session, bank_id: str, relevant: Relevant, account: str) -> dict[str, Payment]:
    """Payments this statement may concern: sent to this bank from (or to) this account, and of
    those only the ones reconciliation can use (``relevant``), so that a statement costs the same
    after years of payments as on the first day, and a camt.054 the same with a bulk payout in flight."""
    # Debits: payments this bank was sent from the account.  Credits: payments into the account,
    # whichever bank they were sent to (a top-up from the holder's bank into the wallet's collection
    # account elsewhere).
    mine = ((Payment.bank_id == bank_id) & (Payment.debtor_iban == account)) | (Payment.creditor_iban == account)
    wanted = []
    if relevant.end_to_end_ids:
        wanted.append(Payment.end_to_end_id.in_(sorted(relevant.end_to_end_ids)))
    if relevant.all_awaiting:
        wanted.append(status_is(*AWAITING_BOOKING))
    amounts = [m for m in relevant.amounts if fits_amount(m.value)]
    if relevant.since is not None and amounts:
        wanted.append(status_is(*BOOKABLE) & (Payment.requested_execution_date >= relevant.since)
                      & or_(*((Payment.amount == m.value) & (Payment.currency == m.currency) for m in amounts)))
    if not wanted:
        return {}
    # In id order: the exceptions raised about them are inserted in that order, so two workers that
    # raise the same ones (ON CONFLICT waits for the other's row) wait in one direction, not in a cycle.
    query = select(Payment).where(status_is(*STATUSES), mine, or_(*wanted)).order_by(Payment.id)
    return {p.id: p for p in session.scalars(query)}


def _sent_payments(session: Session, payments: dict[str, Payment]) -> list[SentPayment]:
    """As reconciliation sees them, with the entries earlier statements already matched to them
    (so seeing the same booking again is quiet and a different one is a duplicate)."""
    linked: dict[str, dict[str, str]] = {}
    if payments:
        query = select(StoredEntry.payment_id, StoredEntry.entry_key, StoredEntry.match_role).where(
            StoredEntry.payment_id.in_(list(payments)))
        for payment_id, key, role in session.execute(query):
            linked.setdefault(payment_id, {})[role] = key
    return [SentPayment(payment_id=p.id, end_to_end_id=p.end_to_end_id,
                        amount=Money(Decimal(amount_text(p.amount, p.currency)), p.currency),
                        requested_execution_date=p.requested_execution_date, status=p.status.value,
                        debtor_iban=p.debtor_iban, creditor_iban=p.creditor_iban,
                        creditor_name=(p.creditor or {}).get("name"), message_id=p.message_id,
                        booked_entry_key=linked.get(p.id, {}).get(MatchRole.BOOKING.value),
                        returned_entry_key=linked.get(p.id, {}).get(MatchRole.RETURN.value))
            for p in payments.values()]


def _link(session: Session, entry_key: str, payment_id: str, method: str, role: str) -> None:
    entry = session.scalar(select(StoredEntry).where(StoredEntry.entry_key == entry_key))
    if entry is not None and entry.payment_id is None:
        entry.payment_id, entry.matched_by, entry.match_role = payment_id, method, role
        session.flush()


def _store_exception(session: Session, clock: Clock, found: ReconException, account: str) -> None:
    entry_id = None
    if found.entry_key:
        entry_id = session.scalar(select(StoredEntry.id).where(StoredEntry.entry_key == found.entry_key))
    details = {"reason_code": found.reason_code, "candidates": list(found.candidates) or None,
               "amount": str(found.amount) if found.amount else None,
               "expected_amount": str(found.expected_amount) if found.expected_amount else None}
    _exception(session, clock, found.kind.value, account, found.reason, found.payment_id, entry_id,
               {k: v for k, v in details.items() if v is not None})


def _exception(session: Session, clock: Clock, kind: str, account: str | None, reason: str, payment_id: str | None,
               entry_id: str | None, details: dict) -> None:
    """Open (once) an exception a statement raised; see ``Exceptions.open``."""
    Exceptions(session, clock).open(kind, reason, account=account, payment_id=payment_id, entry_id=entry_id,
                                    details=details)
