"""Statement rules: balances add up, TxsSummry matches, currencies, duplicates, dates.

The reference statement, worked by hand:
  OPBD 1000.00 CRDT
  entry 0  +500.00 CRDT BOOK
  entry 1  -200.00 DBIT BOOK
  entry 2   +75.25 CRDT PDNG  (not booked: left out of the balance, counted in the summary)
  CLBD 1000.00 + 500.00 - 200.00 = 1300.00 CRDT
  TxsSummry: 3 entries, sum 500.00 + 200.00 + 75.25 = 775.25; credits 2 / 575.25;
             debits 1 / 200.00; net 575.25 - 200.00 = 375.25 CRDT.
"""

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.domain.findings import Severity
from gateway.domain.money import Money
from gateway.domain.parties import Account
from gateway.domain.statements import (
    Balance,
    Entry,
    EntryTransaction,
    Report,
    ReportKind,
    Statement,
    TransactionsSummary,
)
from gateway.domain.rules import StatementChecker, check_report


def eur(value, currency="EUR"):
    return Money(Decimal(value), currency)


def entry(amount, cd="CRDT", status="BOOK", **kwargs):
    fields = dict(booking_date=date(2025, 3, 10))
    return Entry(amount=eur(amount), credit_debit=cd, status=status, **{**fields, **kwargs})


ENTRIES = (
    entry("500.00", entry_reference="R1", account_servicer_reference="S1"),
    entry("200.00", "DBIT", entry_reference="R2", account_servicer_reference="S2"),
    entry("75.25", status="PDNG", booking_date=None, entry_reference="R3"),
)
SUMMARY = TransactionsSummary(number_of_entries=3, sum=Decimal("775.25"), net_amount=Decimal("375.25"),
                              net_credit_debit="CRDT", credit_entries=2, credit_sum=Decimal("575.25"),
                              debit_entries=1, debit_sum=Decimal("200.00"))


def statement(opening=("OPBD", "1000.00", "CRDT"), closing=("CLBD", "1300.00", "CRDT"), **kwargs):
    balances = tuple(Balance(type=t, amount=eur(v), credit_debit=cd, date=date(2025, 3, 10))
                     for t, v, cd in (opening, closing) if t)
    fields = dict(account=Account(iban="DE89370400440532013000", currency="EUR"), balances=balances,
                  entries=ENTRIES, summary=SUMMARY, from_date_time=datetime(2025, 3, 10, 0, 0),
                  to_date_time=datetime(2025, 3, 10, 23, 59, 59))
    return Statement(identification="STMT-1", **{**fields, **kwargs})


def report(*statements):
    return Report(kind=ReportKind.STATEMENT, message_id="MSG-1", creation_date_time=datetime(2025, 3, 11),
                  statements=statements or (statement(),))


def summary(findings):
    return [(f.rule, f.reason, f.location) for f in findings]


def test_a_consistent_statement_has_no_findings():
    assert check_report(report()) == []


def test_closing_balance_mismatch_names_expected_amount_and_difference():
    findings = check_report(report(statement(closing=("CLBD", "1250.00", "CRDT"))))
    assert summary(findings) == [("statement.balance", None, ("statements", 0, "balances", 1, "amount"))]
    finding = findings[0]
    assert finding.extra["expected"] == "1300.00" and finding.value == "1250.00"
    assert "1300.00" in finding.message and "-50.00" in finding.message


def test_pending_entries_do_not_move_the_balance():
    # Counting the PDNG entry would give 1375.25; declaring that must be flagged.
    findings = check_report(report(statement(closing=("CLBD", "1375.25", "CRDT"))))
    assert [f.extra["expected"] for f in findings] == ["1300.00"]


def test_prcd_opening_and_debit_balances():
    # PRCD 100.00 DBIT = -100.00; -100.00 + 500.00 - 200.00 = 200.00 CRDT.
    ok = statement(opening=("PRCD", "100.00", "DBIT"), closing=("CLBD", "200.00", "CRDT"))
    assert check_report(report(ok)) == []
    wrong = statement(opening=("PRCD", "100.00", "DBIT"), closing=("CLBD", "200.00", "DBIT"))
    assert [f.extra["expected"] for f in check_report(report(wrong))] == ["200.00"]


def test_no_equation_without_both_balances():
    assert check_report(report(statement(closing=(None, None, None)))) == []


@pytest.mark.parametrize("field, value, reason", [
    ("number_of_entries", 2, "AM18"),
    ("sum", Decimal("700.00"), "AM10"),
    ("net_amount", Decimal("375.00"), "AM10"),
    ("credit_entries", 3, "AM18"),
    ("credit_sum", Decimal("500.00"), "AM10"),
    ("debit_entries", 0, "AM18"),
    ("debit_sum", Decimal("200.01"), "AM10"),
])
def test_transactions_summary_mismatch(field, value, reason):
    bad = statement(summary=replace(SUMMARY, **{field: value}))
    findings = check_report(report(bad))
    assert summary(findings) == [(f"summary.{field}", reason, ("statements", 0, "summary", field))]
    assert findings[0].value == str(value)


def test_net_amount_sign_follows_its_indicator():
    flipped = statement(summary=replace(SUMMARY, net_credit_debit="DBIT"))
    findings = check_report(report(flipped))
    assert summary(findings) == [("summary.net_amount", "AM10", ("statements", 0, "summary", "net_amount"))]
    assert findings[0].extra["expected"] == "375.25"


def test_entry_and_balance_currency_must_be_the_account_currency():
    usd = Entry(amount=eur("10.00", "USD"), credit_debit="CRDT", status="INFO")
    bad = statement(entries=ENTRIES + (usd,), summary=None)
    assert summary(check_report(report(bad))) == [
        ("entry.currency", "AM03", ("statements", 0, "entries", 3, "amount", "currency"))]
    balances = (Balance(type="OPBD", amount=eur("1000.00", "CHF"), credit_debit="CRDT"),)
    assert summary(check_report(report(statement(balances=balances)))) == [
        ("balance.currency", "AM03", ("statements", 0, "balances", 0, "amount", "currency"))]


def test_account_currency_falls_back_to_the_first_balance():
    no_ccy = statement(account=Account(iban="DE89370400440532013000"),
                       entries=(entry("1.00"),), summary=None,
                       closing=(None, None, None))
    assert check_report(report(no_ccy)) == []
    foreign = replace(no_ccy, entries=(Entry(amount=eur("1.00", "GBP"), credit_debit="CRDT", status="BOOK"),))
    assert [f.rule for f in check_report(report(foreign))] == ["entry.currency"]


def test_duplicate_references():
    dup = statement(entries=ENTRIES + (entry("1.00", status="INFO", booking_date=None, entry_reference="R1",
                                             account_servicer_reference="S2"),), summary=None)
    findings = check_report(report(dup))
    at = ("statements", 0, "entries", 3)
    assert summary(findings) == [
        ("entry.duplicate_reference", "AM05", at + ("entry_reference",)),
        ("entry.duplicate_account_servicer_reference", "AM05", at + ("account_servicer_reference",)),
    ]
    assert findings[0].extra["first_location"] == "statements.0.entries.0.entry_reference"
    assert findings[1].extra["first_location"] == "statements.0.entries.1.account_servicer_reference"


def test_booking_date_outside_the_period_is_a_warning():
    late = entry("0.00", status="INFO", booking_date=date(2025, 3, 11))
    early = entry("0.00", status="INFO", booking_date=None, booking_date_time=datetime(2025, 3, 9, 18, 0))
    findings = check_report(report(statement(entries=ENTRIES + (late, early), summary=None)))
    assert summary(findings) == [
        ("entry.booking_date", "DT01", ("statements", 0, "entries", 3, "booking_date")),
        ("entry.booking_date", "DT01", ("statements", 0, "entries", 4, "booking_date_time")),
    ]
    assert all(f.severity is Severity.WARNING for f in findings)


def test_entry_and_transaction_amount_decimals():
    odd = Entry(amount=eur("1.001"), credit_debit="CRDT", status="INFO",
                transactions=(EntryTransaction(amount=eur("100", "JPY")), EntryTransaction(amount=eur("1.5", "JPY"))))
    findings = check_report(report(statement(entries=ENTRIES + (odd,), summary=None)))
    assert summary(findings) == [
        ("amount.decimals", "AM12", ("statements", 0, "entries", 3, "amount")),
        ("amount.decimals", "AM12", ("statements", 0, "entries", 3, "transactions", 1, "amount")),
    ]


def test_streaming_checker_reports_per_entry_and_totals_at_the_end():
    header = statement(entries=(), summary=None, closing=("CLBD", "1300.01", "CRDT"))
    checker = StatementChecker(2, header)
    assert checker.add(0, ENTRIES[0]) == []
    assert checker.add(1, ENTRIES[1]) == []
    assert [f.location for f in checker.add(2, replace(ENTRIES[2], amount=eur("75.255")))] == [
        ("statements", 2, "entries", 2, "amount")]
    assert [(f.rule, f.location) for f in checker.finish()] == [
        ("statement.balance", ("statements", 2, "balances", 1, "amount"))]


def test_streaming_many_entries_from_a_generator():
    # 10 000 credits of 0.01 and 10 000 debits of 0.02: 1000.00 + 100.00 - 200.00 = 900.00.
    header = statement(entries=(), summary=None, closing=("CLBD", "900.00", "CRDT"))
    checker = StatementChecker(0, header)
    stream = (entry("0.01") if k % 2 == 0 else entry("0.02", "DBIT") for k in range(20_000))
    assert [f for k, e in enumerate(stream) for f in checker.add(k, e)] == []
    assert checker.finish() == []


def test_statement_index_in_locations():
    second = statement(closing=("CLBD", "1.00", "CRDT"))
    assert [f.location[:2] for f in check_report(report(statement(), second))] == [("statements", 1)]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999999.99"), places=2),
                          st.sampled_from(["CRDT", "DBIT"]), st.sampled_from(["BOOK", "PDNG"])), max_size=30),
       st.decimals(min_value=Decimal("0.00"), max_value=Decimal("9999999.99"), places=2))
def test_balance_property(rows, opening):
    entries = tuple(entry(str(v), cd, status) for v, cd, status in rows)
    closing = opening + sum((v if cd == "CRDT" else -v for v, cd, status in rows if status == "BOOK"),
                            Decimal("0.00"))
    cd = "CRDT" if closing >= 0 else "DBIT"
    good = statement(entries=entries, summary=None, opening=("OPBD", str(opening), "CRDT"),
                     closing=("CLBD", str(abs(closing)), cd))
    assert check_report(report(good)) == []
    one_cent_more = replace(good.balances[1], amount=eur(str(abs(closing) + Decimal("0.01"))))
    off = replace(good, balances=(good.balances[0], one_cent_more))
    assert [f.rule for f in check_report(report(off))] == ["statement.balance"]
