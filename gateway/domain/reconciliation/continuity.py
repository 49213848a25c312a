"""Statement integrity: within one statement, and from one statement to the next.

Within a statement, ``check_statement`` runs the existing ``StatementChecker``
(OPBD + booked credits - booked debits = CLBD, TxsSummry, currencies...).  That
equation is the only check that catches a bank leaving an entry off a statement
while its TxsSummry still totals the entries shown (mock-bank's
``statement-gap``), so it is reused here, not written twice.

Across statements of one account, ``check_continuity`` compares a statement with
the one before it and with those already received, and ``missing_statements``
lists the business days no statement covers.  A closed account, for instance,
keeps its ElctrncSeqNb without a hole while days go missing, so dates are checked
as well as numbers.

Rules and reason codes:

* ``reconcile.balance_continuity``: the opening balance (OPBD, else PRCD) must be
  the previous statement's closing balance (CLBD).  No ISO code: like
  ``statement.balance``, this is the bank's report not adding up, not a reason a
  payment failed.
* ``reconcile.currency`` (AM03): two statements of one account in two currencies.
* ``reconcile.sequence_gap`` / ``reconcile.sequence_order``: ElctrncSeqNb must be
  the previous one plus 1 (a restart at 1 in a new year is accepted: several
  banks number per year).  No ISO code fits a missing message.
* ``reconcile.duplicate_statement`` (AM05, duplication): a statement id or
  sequence number already received; a warning when the copy is identical, an
  error when it disagrees.
* ``reconcile.statement_dates``: a period that does not start after the previous one ends.
* ``reconcile.missing_statement``: a business day no end-of-day statement covers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from gateway.domain.findings import Finding, Severity
from gateway.domain.money import known
from gateway.domain.reconciliation.booked import account_id
from gateway.domain.reconciliation.calendar import WEEKDAYS, BankCalendar
from gateway.domain.reconciliation.errors import ReconciliationInputError
from gateway.domain.rules.statements import (
    CLOSING_TYPE,
    OPENING_TYPES,
    StatementChecker,
)
from gateway.domain.statements import Balance, Statement

_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class StatementSummary:
    """What continuity needs of a statement, small enough to keep for every one received.

    ``opening`` and ``closing`` are signed (DBIT negative); None when the
    statement lacks the balance or it could not be read.  ``from_date`` and
    ``to_date`` are the booking days covered, both included.
    """

    account_id: str
    """The account's IBAN (upper case, no spaces), else its other identifier."""
    statement_id: str
    sequence_number: int | None
    """ElctrncSeqNb."""
    from_date: date | None
    to_date: date | None
    opening: Decimal | None
    closing: Decimal | None
    currency: str | None
    entry_count: int = 0
    booked_net: Decimal | None = None
    """Booked credits minus booked debits, so that two copies with the same balances
    but different entries are not taken for identical."""

    @property
    def label(self) -> str:
        days = (f"{self.from_date}" if self.from_date == self.to_date
                else f"{self.from_date} to {self.to_date}")
        number = f", sequence {self.sequence_number}" if self.sequence_number is not None else ""
        return f"statement {self.statement_id} ({days}{number})"


def _day(value: date | datetime | None) -> date | None:
    return value.date() if isinstance(value, datetime) else value


def _signed(balance: Balance | None) -> Decimal | None:
    return balance.signed if balance is not None and known(balance.amount) else None


def _period(statement: Statement) -> tuple[date | None, date | None]:
    """The booking days a statement covers: FrToDt, else the closing balance's date.

    A period ending at midnight (``ToDtTm`` 00:00:00 of the next day) ends on the
    day before, or every statement would overlap the next one by a day.
    """
    start, end = statement.from_date_time, statement.to_date_time
    first, last = _day(start), _day(end)
    if isinstance(end, datetime) and end.time() == time(0) and first is not None and last is not None and last > first:
        last -= _DAY
    if first is None and last is None:
        closing = statement.balance(CLOSING_TYPE) or next(iter(statement.balances), None)
        day = (closing.date or _day(closing.date_time)) if closing is not None else None
        return day, day
    return first or last, last or first


def summary_of(statement: Statement) -> StatementSummary:
    """The summary of a camt.053 statement (or a camt.052 report)."""
    opening = next((b for t in OPENING_TYPES for b in statement.balances if b.type == t), None)
    closing = statement.balance(CLOSING_TYPE)
    currency = statement.account.currency or next(
        (b.amount.currency for b in (closing, opening) if b is not None and known(b.amount)), None)
    booked = [e for e in statement.entries if e.status == "BOOK"]
    net = (sum((e.signed for e in booked), Decimal(0)) if all(known(e.amount) for e in booked) else None)
    first, last = _period(statement)
    return StatementSummary(
        account_id=account_id(statement.account), statement_id=statement.identification,
        sequence_number=statement.electronic_sequence_number, from_date=first, to_date=last,
        opening=_signed(opening), closing=_signed(closing), currency=currency,
        entry_count=len(statement.entries), booked_net=net)


def check_statement(statement: Statement, index: int = 0) -> list[Finding]:
    """The within-statement rules (``rules.statements``) for one in-memory statement;
    ``index`` is its position in its report, for the findings' locations."""
    checker = StatementChecker(index, statement)
    findings: list[Finding] = []
    for e, entry in enumerate(statement.entries):
        findings += checker.add(e, entry)
    return findings + checker.finish()


def check_continuity(previous: StatementSummary | None, current: StatementSummary, *,
                     known: Iterable[StatementSummary] = (),
                     calendar: BankCalendar = WEEKDAYS) -> list[Finding]:
    """Findings on ``current`` against the statement just before it and those received.

    ``previous`` is the account's statement immediately before ``current`` (by
    period, not by arrival), None for the first one.  ``known`` are statements
    already received, for duplicates; ones of other accounts are ignored, so a
    service may pass all it holds.  A duplicate is reported alone: comparing a
    repeated statement with its predecessor would only say the same thing again.
    """
    if previous is not None and previous.account_id != current.account_id:
        raise ReconciliationInputError(
            f"{previous.label} is of account {previous.account_id}, {current.label} of {current.account_id}",
            code="mixed_accounts")
    duplicates = _duplicates(current, [*known, *([previous] if previous else [])])
    if duplicates or previous is None:
        return duplicates
    if previous.currency and current.currency and previous.currency != current.currency:
        return [_finding("reconcile.currency", current, previous, reason="AM03", value=current.currency,
                         message=(f"{current.label} is in {current.currency}, the previous "
                                  f"{previous.label} in {previous.currency}; balances cannot be compared"))]
    return [*_balance(previous, current), *_sequence(previous, current), *_dates(previous, current, calendar)]


def missing_statements(summaries: Sequence[StatementSummary], *, through: date, since: date | None = None,
                       calendar: BankCalendar = WEEKDAYS) -> list[Finding]:
    """A finding for every business day from ``since`` (else the first day any of
    ``summaries`` covers) to ``through`` that no statement of the account covers."""
    accounts = {s.account_id for s in summaries}
    if len(accounts) > 1:
        raise ReconciliationInputError(f"statements of several accounts: {', '.join(sorted(accounts))}",
                                       code="mixed_accounts")
    covered: set[date] = set()
    for s in summaries:
        if s.from_date is not None and s.to_date is not None:
            covered.update(s.from_date + _DAY * k for k in range((s.to_date - s.from_date).days + 1))
    start = since if since is not None else min(covered, default=None)
    if start is None:
        return []
    account = next(iter(accounts), None)
    return [Finding(rule="reconcile.missing_statement", value=day.isoformat(),
                    extra={"missing_date": day.isoformat(), **({"account": account} if account else {})},
                    message=f"missing end-of-day statement for {day}"
                            + (f" of account {account}" if account else ""))
            for day in calendar.business_days(start, through) if day not in covered]


def _finding(rule: str, current: StatementSummary, previous: StatementSummary | None, *, message: str,
             value: str | None = None, reason: str | None = None, severity: Severity = Severity.ERROR,
             **extra: str) -> Finding:
    ids = {"statement_id": current.statement_id}
    if previous is not None:
        ids["previous_statement_id"] = previous.statement_id
    return Finding(rule=rule, message=message, severity=severity, reason=reason, value=value,
                   extra={**ids, **extra})


def _duplicates(current: StatementSummary, received: list[StatementSummary]) -> list[Finding]:
    for earlier in received:
        if earlier.account_id != current.account_id:
            continue
        same_id = earlier.statement_id == current.statement_id
        same_number = (earlier.sequence_number is not None
                       and earlier.sequence_number == current.sequence_number)
        if not (same_id or same_number):
            continue
        what = (f"statement id {current.statement_id!r}" if same_id
                else f"sequence number {current.sequence_number}")
        if earlier == current:
            return [_finding("reconcile.duplicate_statement", current, None, reason="AM05",
                             severity=Severity.WARNING, value=current.statement_id,
                             earlier_statement_id=earlier.statement_id,
                             message=f"{what} was already received; this copy is identical and adds nothing")]
        differences = [f"{f.name.replace('_', ' ')} {getattr(earlier, f.name)} then {getattr(current, f.name)}"
                       for f in fields(StatementSummary) if getattr(earlier, f.name) != getattr(current, f.name)]
        return [_finding("reconcile.duplicate_statement", current, None, reason="AM05",
                         value=current.statement_id, earlier_statement_id=earlier.statement_id,
                         message=(f"{what} was already received as {earlier.label}, with different "
                                  f"content: {'; '.join(differences)}"))]
    return []


def _balance(previous: StatementSummary, current: StatementSummary) -> list[Finding]:
    if previous.closing is None or current.opening is None or previous.closing == current.opening:
        return []
    currency = f" {current.currency}" if current.currency else ""
    return [_finding(
        "reconcile.balance_continuity", current, previous, value=str(current.opening),
        expected=str(previous.closing),
        message=(f"opening balance {current.opening}{currency} of {current.label} is not the closing "
                 f"balance {previous.closing}{currency} of the previous {previous.label} "
                 f"(difference {current.opening - previous.closing})"))]


def _sequence(previous: StatementSummary, current: StatementSummary) -> list[Finding]:
    before, now = previous.sequence_number, current.sequence_number
    if before is None or now is None or now == before + 1:
        return []
    if (now == 1 and previous.to_date is not None and current.from_date is not None
            and current.from_date.year > previous.to_date.year):
        return []
    if now > before + 1:
        missing = (f"statement {before + 1} is missing" if now == before + 2
                   else f"statements {before + 1} to {now - 1} are missing")
        return [_finding("reconcile.sequence_gap", current, previous, value=str(now), expected=str(before + 1),
                         message=f"{current.label} follows sequence {before}: {missing}")]
    return [_finding("reconcile.sequence_order", current, previous, value=str(now), expected=str(before + 1),
                     message=(f"{current.label} comes after sequence {before}: the numbers go backwards "
                              f"(statements out of order, or the numbering restarted)"))]


def _dates(previous: StatementSummary, current: StatementSummary, calendar: BankCalendar) -> list[Finding]:
    if previous.to_date is None or current.from_date is None:
        return []
    if current.from_date <= previous.to_date:
        return [_finding("reconcile.statement_dates", current, previous, value=current.from_date.isoformat(),
                         message=(f"{current.label} starts on {current.from_date}, not after the previous "
                                  f"{previous.label}, which ends on {previous.to_date}"))]
    return [_finding("reconcile.missing_statement", current, previous, value=day.isoformat(),
                     missing_date=day.isoformat(),
                     message=(f"missing end-of-day statement for {day} (between the previous "
                              f"{previous.label} and {current.label})"))
            for day in calendar.business_days(previous.to_date + _DAY, current.from_date - _DAY)]
