"""Consistency rules for account reports (camt.052 / camt.053 / camt.054).

A statement can hold hundreds of thousands of entries, so the rules run as a
``StatementChecker`` fed one entry at a time: it keeps running totals, never the
entries.  The only state that grows is one short key per entry reference for the
duplicate checks.  ``check_report`` drives it over an in-memory ``Report``.

Rules and reason codes:

* ``statement.balance`` (no reason code): opening booked balance (OPBD, else PRCD)
  + booked credits - booked debits must equal the closing booked balance (CLBD);
  only BOOK entries count, and only when both balances are present.  No
  ExternalStatusReason code fits: those explain why a payment was not executed,
  while this is the bank's own report not adding up; AM10 is kept for the
  message's declared control figures below.
* ``summary.*`` (AM18 for counts, AM10 for sums): TxsSummry must match the entries.
  Like the ISO definition of TotalEntries, it counts every entry whatever its status.
* ``entry.currency`` / ``balance.currency`` (AM03): amounts in the account currency
  (Acct/Ccy, else the currency of the first balance).  Foreign amounts belong in AmtDtls.
* ``entry.duplicate_reference`` / ``entry.duplicate_account_servicer_reference`` (AM05):
  NtryRef and AcctSvcrRef are unique within a statement.
* ``entry.booking_date`` (DT01, warning): booking date outside FrToDt.
* amounts (``amount.*``, ``currency.unknown``): see ``amounts``; zero is allowed here.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from gateway.domain.findings import Finding, Severity
from gateway.domain.money import known
from gateway.domain.rules._walk import Location
from gateway.domain.rules.amounts import check_amount
from gateway.domain.rules.identifiers import check_bic, check_iban, check_identifiers
from gateway.domain.statements import Entry, EntryTransaction, Report, Statement

OPENING_TYPES = ("OPBD", "PRCD")
CLOSING_TYPE = "CLBD"


def _day(value: date | datetime | None) -> date | None:
    return value.date() if isinstance(value, datetime) else value


class StatementChecker:
    """Checks one Stmt/Rpt/Ntfctn while its entries stream past.

    ``header`` is the statement without its entries (any entries it carries are
    ignored); feed each entry to ``add`` and call ``finish`` once at the end.
    """

    def __init__(self, statement_index: int, header: Statement) -> None:
        self._base: Location = ("statements", statement_index)
        self._header = header
        self._currency = header.account.currency or (header.balances[0].amount.currency
                                                     if header.balances else None)
        self._count = self._credit_count = self._debit_count = 0
        self._credit_sum = self._debit_sum = Decimal(0)
        self._booked_credits = self._booked_debits = Decimal(0)
        self._unknown_amounts = False
        """An entry amount could not be read: sums are not checked."""
        self._references: dict[str, int] = {}
        self._servicer_references: dict[str, int] = {}

    def add(self, entry_index: int, entry: Entry) -> list[Finding]:
        at = self._base + ("entries", entry_index)
        self._count_entry(entry)
        findings = check_amount(entry.amount, at + ("amount",), allow_zero=True)
        if self._currency and known(entry.amount) and entry.amount.currency != self._currency:
            findings.append(Finding(
                rule="entry.currency", reason="AM03", location=at + ("amount", "currency"),
                value=entry.amount.currency,
                message=f"entry is in {entry.amount.currency}, the account in {self._currency}"))
        for t, tx in enumerate(entry.transactions):
            where = at + ("transactions", t)
            if tx.amount is not None:
                findings += check_amount(tx.amount, where + ("amount",), allow_zero=True)
            findings += _counterparty_identifiers(tx, where)
        findings += self._duplicate(self._references, entry.entry_reference, entry_index, at,
                                    "entry_reference", "entry reference")
        findings += self._duplicate(self._servicer_references, entry.account_servicer_reference,
                                    entry_index, at, "account_servicer_reference",
                                    "account servicer reference")
        findings += self._booking_date(entry, at)
        return findings

    def finish(self) -> list[Finding]:
        """Findings on the header and on the totals; call after the last ``add``."""
        account = check_identifiers(self._header.account, self._base + ("account",))
        return [*account, *self._balances(), *self._balance_equation(), *self._summary()]

    def _count_entry(self, entry: Entry) -> None:
        self._count += 1
        if not known(entry.amount):
            self._unknown_amounts = True
            return
        credit = entry.credit_debit == "CRDT"
        if credit:
            self._credit_count += 1
            self._credit_sum += entry.amount.value
        else:
            self._debit_count += 1
            self._debit_sum += entry.amount.value
        if entry.status == "BOOK":
            if credit:
                self._booked_credits += entry.amount.value
            else:
                self._booked_debits += entry.amount.value

    def _duplicate(self, seen: dict[str, int], value: str | None, index: int, at: Location,
                   field: str, what: str) -> list[Finding]:
        if value is None:
            return []
        if value not in seen:
            seen[value] = index
            return []
        first = self._base + ("entries", seen[value], field)
        return [Finding(rule=f"entry.duplicate_{field.replace('entry_', '')}", reason="AM05",
                        location=at + (field,), value=value,
                        extra={"first_location": ".".join(map(str, first))},
                        message=f"{what} {value!r} already used by entry {seen[value]}")]

    def _booking_date(self, entry: Entry, at: Location) -> list[Finding]:
        field = "booking_date" if entry.booking_date is not None else "booking_date_time"
        booked = _day(getattr(entry, field))
        start, end = _day(self._header.from_date_time), _day(self._header.to_date_time)
        if booked is None or ((start is None or booked >= start) and (end is None or booked <= end)):
            return []
        return [Finding(rule="entry.booking_date", reason="DT01", severity=Severity.WARNING,
                        location=at + (field,), value=booked.isoformat(),
                        message=f"booking date {booked} is outside the statement period {start} to {end}")]

    def _balances(self) -> list[Finding]:
        findings = []
        for k, balance in enumerate(self._header.balances):
            at = self._base + ("balances", k, "amount")
            findings += check_amount(balance.amount, at, allow_zero=True)
            if self._currency and known(balance.amount) and balance.amount.currency != self._currency:
                findings.append(Finding(
                    rule="balance.currency", reason="AM03", location=at + ("currency",),
                    value=balance.amount.currency,
                    message=f"{balance.type} is in {balance.amount.currency}, the account in {self._currency}"))
        return findings

    def _balance_equation(self) -> list[Finding]:
        balances = self._header.balances
        opening = next((b for t in OPENING_TYPES for b in balances if b.type == t), None)
        closing_index = next((k for k, b in enumerate(balances) if b.type == CLOSING_TYPE), None)
        if opening is None or closing_index is None or self._unknown_amounts:
            return []
        if not (known(opening.amount) and known(balances[closing_index].amount)):
            return []
        closing = balances[closing_index]
        expected = opening.signed + self._booked_credits - self._booked_debits
        if closing.signed == expected:
            return []
        return [Finding(
            rule="statement.balance", location=self._base + ("balances", closing_index, "amount"),
            value=str(closing.signed), extra={"expected": str(expected)},
            message=(f"{opening.type} {opening.signed} + booked credits {self._booked_credits} - booked "
                     f"debits {self._booked_debits} = {expected}, but CLBD is {closing.signed} "
                     f"(difference {closing.signed - expected})"))]

    def _summary(self) -> list[Finding]:
        summary = self._header.summary
        if summary is None:
            return []
        net = self._credit_sum - self._debit_sum
        declared_net = None
        if summary.net_amount is not None:
            declared_net = -summary.net_amount if summary.net_credit_debit == "DBIT" else summary.net_amount
        checks = (  # field, declared (signed for the net amount), computed, reason
            ("number_of_entries", summary.number_of_entries, self._count, "AM18"),
            ("sum", summary.sum, self._credit_sum + self._debit_sum, "AM10"),
            ("net_amount", declared_net, net, "AM10"),
            ("credit_entries", summary.credit_entries, self._credit_count, "AM18"),
            ("credit_sum", summary.credit_sum, self._credit_sum, "AM10"),
            ("debit_entries", summary.debit_entries, self._debit_count, "AM18"),
            ("debit_sum", summary.debit_sum, self._debit_sum, "AM10"),
        )
        return [Finding(rule=f"summary.{field}", reason=reason, location=self._base + ("summary", field),
                        value=str(getattr(summary, field)), extra={"expected": str(actual)},
                        message=f"transactions summary {field.replace('_', ' ')} says {declared}, "
                                f"the entries give {actual}")
                for field, declared, actual, reason in checks
                if declared is not None and declared != actual
                and not (self._unknown_amounts and reason == "AM10")]

def _counterparty_identifiers(tx: EntryTransaction, where: Location) -> list[Finding]:
    """IBANs and BICs of an entry's parties, named one by one: walking the whole
    model per entry would cost more than the rest of a streamed validation."""
    findings = []
    for name in ("debtor_account", "creditor_account"):
        account = getattr(tx, name)
        if account is not None and account.iban is not None:
            findings += check_iban(account.iban, where + (name, "iban"))
    for name in ("debtor_agent", "creditor_agent"):
        agent = getattr(tx, name)
        if agent is not None and agent.bic is not None:
            findings += check_bic(agent.bic, where + (name, "bic"))
    return findings


def check_report(report: Report) -> list[Finding]:
    """All findings for an in-memory report, one ``StatementChecker`` per statement."""
    findings: list[Finding] = []
    for s, statement in enumerate(report.statements):
        checker = StatementChecker(s, statement)
        for e, entry in enumerate(statement.entries):
            findings += checker.add(e, entry)
        findings += checker.finish()
    return findings
