"""Statement integrity: one statement on its own, and statements of one account in a row.

Calendar: 2026-09-28 Mon, 09-29 Tue, 09-30 Wed, 10-01 Thu, 10-02 Fri, 10-03 Sat, 10-04 Sun,
10-05 Mon, 10-06 Tue; 2026-12-31 Thu, 2027-01-01 Fri.
"""

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from gateway.domain.findings import Severity
from gateway.domain.money import Money
from gateway.domain.parties import Account
from gateway.domain.reconciliation import (
    BankCalendar,
    ReconciliationInputError,
    StatementSummary,
    check_continuity,
    check_statement,
    missing_statements,
    summary_of,
)
from gateway.domain.statements import (
    Balance,
    Entry,
    EntryTransaction,
    Statement,
    TransactionsSummary,
)

ACME = "NL41MOCK0000000001"
MON, TUE, WED, THU, FRI = (date(2026, 9, 28), date(2026, 9, 29), date(2026, 9, 30), date(2026, 10, 1),
                           date(2026, 10, 2))
MON2, TUE2 = date(2026, 10, 5), date(2026, 10, 6)


def eur(value):
    return Money(Decimal(value), "EUR")


def day_statement(day, *, seq=7, opening="125000.00", closing="124600.00", entries=(), summary=None, ident=None):
    """A mock-bank style end-of-day camt.053: FrToDt from 00:00 to 23:59:59 of the day."""
    balances = tuple(Balance(type=t, amount=eur(v), credit_debit="CRDT", date=day)
                     for t, v in (("OPBD", opening), ("CLBD", closing)))
    return Statement(identification=ident or f"MB-053-{seq}", account=Account(iban=ACME, currency="EUR"),
                     electronic_sequence_number=seq, legal_sequence_number=seq,
                     from_date_time=datetime(day.year, day.month, day.day, 0, 0, tzinfo=UTC),
                     to_date_time=datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=UTC),
                     balances=balances, entries=entries, summary=summary)


def debit(amount, ref):
    return Entry(amount=eur(amount), credit_debit="DBIT", status="BOOK", booking_date=TUE,
                 account_servicer_reference=ref, transactions=(EntryTransaction(end_to_end_id=ref),))


def summary(day, seq, opening, closing, ident=None, account=ACME, currency="EUR", **kwargs):
    return StatementSummary(account_id=account, statement_id=ident or f"MB-053-{seq}", sequence_number=seq,
                            from_date=day, to_date=day, opening=Decimal(opening), closing=Decimal(closing),
                            currency=currency, **kwargs)


def rules(findings):
    return [f.rule for f in findings]


# -- one statement ---------------------------------------------------------------------------


def test_summary_of_a_day_statement():
    # 125000.00 - 250.00 - 150.00 = 124600.00; booked net -400.00.
    stmt = day_statement(TUE, entries=(debit("250.00", "MB-PMT-1"), debit("150.00", "MB-PMT-2")))
    assert summary_of(stmt) == StatementSummary(
        account_id=ACME, statement_id="MB-053-7", sequence_number=7, from_date=TUE, to_date=TUE,
        opening=Decimal("125000.00"), closing=Decimal("124600.00"), currency="EUR",
        entry_count=2, booked_net=Decimal("-400.00"))


def test_summary_signs_debit_balances_and_takes_prcd_as_opening():
    stmt = replace(day_statement(TUE), balances=(
        Balance(type="PRCD", amount=eur("10.00"), credit_debit="DBIT"),
        Balance(type="CLBD", amount=eur("12.50"), credit_debit="DBIT", date=TUE)))
    s = summary_of(stmt)
    assert (s.opening, s.closing) == (Decimal("-10.00"), Decimal("-12.50"))


def test_summary_period_without_frtodt_is_the_closing_balance_date():
    stmt = replace(day_statement(WED), from_date_time=None, to_date_time=None)
    s = summary_of(stmt)
    assert (s.from_date, s.to_date) == (WED, WED)


def test_a_period_ending_at_midnight_ends_the_day_before():
    stmt = replace(day_statement(TUE), to_date_time=datetime(2026, 9, 30, 0, 0, tzinfo=UTC))
    assert (summary_of(stmt).from_date, summary_of(stmt).to_date) == (TUE, TUE)


def test_summary_without_balances_or_readable_amounts():
    stmt = replace(day_statement(TUE), balances=(), entries=(Entry(amount=Money(None, "EUR"), credit_debit="DBIT",
                                                                   status="BOOK"),),
                   from_date_time=None, to_date_time=None)
    s = summary_of(stmt)
    assert (s.opening, s.closing, s.booked_net, s.from_date, s.currency) == (None, None, None, None, "EUR")


def test_check_statement_passes_a_consistent_statement():
    # 125000.00 - 250.00 - 150.00 = 124600.00; TxsSummry 2 entries, 400.00, net 400.00 DBIT.
    figures = TransactionsSummary(number_of_entries=2, sum=Decimal("400.00"), net_amount=Decimal("400.00"),
                                  net_credit_debit="DBIT", debit_entries=2, debit_sum=Decimal("400.00"))
    stmt = day_statement(TUE, entries=(debit("250.00", "MB-PMT-1"), debit("150.00", "MB-PMT-2")), summary=figures)
    assert check_statement(stmt) == []


def test_mock_bank_statement_gap_is_caught_only_by_the_balance_equation():
    # The bank booked 250.00 and 150.00 (CLBD 124600.00 is true) but left the last entry off.
    # TxsSummry totals the entry shown (1 entry, 250.00), so every summary check passes;
    # OPBD 125000.00 - 250.00 = 124750.00 is not CLBD 124600.00: difference -150.00.
    shown = TransactionsSummary(number_of_entries=1, sum=Decimal("250.00"), net_amount=Decimal("250.00"),
                                net_credit_debit="DBIT", debit_entries=1, debit_sum=Decimal("250.00"))
    stmt = day_statement(TUE, entries=(debit("250.00", "MB-PMT-1"),), summary=shown)
    (finding,) = check_statement(stmt, index=3)
    assert (finding.rule, finding.location) == ("statement.balance", ("statements", 3, "balances", 1, "amount"))
    assert (finding.value, finding.extra["expected"]) == ("124600.00", "124750.00")
    assert "difference -150.00" in finding.message


# -- one statement after another -------------------------------------------------------------


def test_the_next_business_day_with_the_closing_carried_over_is_clean():
    assert check_continuity(summary(TUE, 7, "125000.00", "124600.00"), summary(WED, 8, "124600.00", "124600.00")) == []


def test_the_first_statement_has_nothing_to_follow():
    assert check_continuity(None, summary(TUE, 7, "1.00", "2.00")) == []


def test_a_weekend_is_skipped_without_a_finding():
    assert check_continuity(summary(FRI, 10, "5.00", "6.00"), summary(MON2, 11, "6.00", "6.00")) == []


def test_opening_not_the_previous_closing():
    findings = check_continuity(summary(TUE, 7, "125000.00", "124600.00"), summary(WED, 8, "124500.00", "124500.00"))
    (f,) = findings
    assert (f.rule, f.reason, f.severity) == ("reconcile.balance_continuity", None, Severity.ERROR)
    assert (f.value, f.extra["expected"]) == ("124500.00", "124600.00")
    assert f.extra == {"statement_id": "MB-053-8", "previous_statement_id": "MB-053-7", "expected": "124600.00"}
    # 124500.00 - 124600.00 = -100.00
    assert "opening balance 124500.00 EUR" in f.message and "closing balance 124600.00 EUR" in f.message
    assert "(difference -100.00)" in f.message


def test_debit_balances_carry_over_with_their_sign():
    assert check_continuity(summary(TUE, 7, "-5.00", "-7.50"), summary(WED, 8, "-7.50", "0.00")) == []
    (f,) = check_continuity(summary(TUE, 7, "-5.00", "-7.50"), summary(WED, 8, "7.50", "0.00"))
    assert "(difference 15.00)" in f.message


def test_unknown_balances_are_not_compared():
    previous = replace(summary(TUE, 7, "1.00", "2.00"), closing=None)
    assert check_continuity(previous, summary(WED, 8, "9.00", "9.00")) == []


@pytest.mark.parametrize("seq, words", [
    (9, "statement 8 is missing"),
    (11, "statements 8 to 10 are missing"),
])
def test_sequence_gap(seq, words):
    (f,) = check_continuity(summary(TUE, 7, "1.00", "1.00"), summary(WED, seq, "1.00", "1.00"))
    assert (f.rule, f.value, f.extra["expected"]) == ("reconcile.sequence_gap", str(seq), "8")
    assert words in f.message


def test_sequence_going_backwards():
    (f,) = check_continuity(summary(TUE, 7, "1.00", "1.00"), summary(WED, 5, "1.00", "1.00"))
    assert f.rule == "reconcile.sequence_order"


def test_numbering_may_restart_at_one_in_a_new_year():
    assert check_continuity(summary(date(2026, 12, 31), 250, "1.00", "1.00"),
                            summary(date(2027, 1, 1), 1, "1.00", "1.00")) == []
    (f,) = check_continuity(summary(TUE, 250, "1.00", "1.00"), summary(WED, 1, "1.00", "1.00"))
    assert f.rule == "reconcile.sequence_order"


def test_closed_account_day_shows_in_the_dates_not_the_sequence():
    # mock-bank: no camt.053 for Tuesday while the account was closed, yet ElctrncSeqNb runs on 6, 7.
    (f,) = check_continuity(summary(MON, 6, "0.00", "0.00"), summary(WED, 7, "0.00", "0.00"))
    assert (f.rule, f.value) == ("reconcile.missing_statement", "2026-09-29")
    assert f.extra["missing_date"] == "2026-09-29"
    assert f.message.startswith("missing end-of-day statement for 2026-09-29")


def test_a_missing_monday_after_a_weekend():
    findings = check_continuity(summary(FRI, 10, "1.00", "1.00"), summary(TUE2, 11, "1.00", "1.00"))
    assert [(f.rule, f.value) for f in findings] == [("reconcile.missing_statement", "2026-10-05")]


def test_a_holiday_is_not_a_missing_day():
    holiday = BankCalendar(holidays=frozenset({MON2}))
    assert check_continuity(summary(FRI, 10, "1.00", "1.00"), summary(TUE2, 11, "1.00", "1.00"),
                            calendar=holiday) == []


def test_several_missing_days_each_get_a_finding():
    findings = check_continuity(summary(MON, 6, "1.00", "1.00"), summary(FRI, 7, "1.00", "1.00"))
    assert [f.value for f in findings] == ["2026-09-29", "2026-09-30", "2026-10-01"]


def test_a_period_that_does_not_start_after_the_previous_one():
    (f,) = check_continuity(summary(TUE, 7, "1.00", "1.00"), summary(TUE, 8, "1.00", "1.00"))
    assert (f.rule, f.value) == ("reconcile.statement_dates", "2026-09-29")


def test_several_problems_at_once_are_all_reported():
    findings = check_continuity(summary(MON, 6, "10.00", "20.00"), summary(WED, 9, "25.00", "25.00"))
    assert rules(findings) == ["reconcile.balance_continuity", "reconcile.sequence_gap", "reconcile.missing_statement"]


def test_an_identical_copy_is_a_warning_and_nothing_else():
    tuesday, wednesday = summary(TUE, 7, "1.00", "2.00"), summary(WED, 8, "2.00", "2.00")
    # Received again, and compared (wrongly) with itself as the previous one: only the duplicate shows.
    (f,) = check_continuity(wednesday, wednesday, known=[tuesday, wednesday])
    assert (f.rule, f.reason, f.severity) == ("reconcile.duplicate_statement", "AM05", Severity.WARNING)
    assert "identical" in f.message


def test_a_conflicting_copy_with_the_same_sequence_number_is_an_error():
    first = summary(WED, 8, "2.00", "2.00", ident="MB-053-8")
    second = summary(WED, 8, "2.00", "3.00", ident="MB-053-8-BIS")
    (f,) = check_continuity(summary(TUE, 7, "1.00", "2.00"), second, known=[first])
    assert (f.rule, f.reason, f.severity) == ("reconcile.duplicate_statement", "AM05", Severity.ERROR)
    assert f.extra["earlier_statement_id"] == "MB-053-8"
    assert "sequence number 8 was already received" in f.message
    assert "statement id MB-053-8 then MB-053-8-BIS" in f.message and "closing 2.00 then 3.00" in f.message


def test_same_statement_id_with_different_entries_is_not_identical():
    first = summary(WED, 8, "2.00", "2.00", entry_count=1, booked_net=Decimal("0.00"))
    second = replace(first, entry_count=2)
    (f,) = check_continuity(None, second, known=[first])
    assert f.severity is Severity.ERROR and "entry count 1 then 2" in f.message


def test_known_statements_of_other_accounts_are_ignored():
    other = summary(WED, 8, "2.00", "2.00", account="NL14MOCK0000000002")
    assert check_continuity(summary(TUE, 7, "1.00", "2.00"), summary(WED, 8, "2.00", "2.00"), known=[other]) == []


def test_a_previous_statement_of_another_account_is_refused():
    with pytest.raises(ReconciliationInputError) as error:
        check_continuity(summary(TUE, 7, "1.00", "2.00", account="NL14MOCK0000000002"), summary(WED, 8, "2.00", "2.00"))
    assert error.value.code == "mixed_accounts"


def test_a_change_of_currency():
    (f,) = check_continuity(summary(TUE, 7, "1.00", "2.00"), summary(WED, 8, "2.00", "2.00", currency="USD"))
    assert (f.rule, f.reason, f.value) == ("reconcile.currency", "AM03", "USD")


def test_continuity_from_real_statements():
    # summary_of feeds check_continuity: Tuesday closes at 124600.00, Wednesday opens at it.
    tuesday = summary_of(day_statement(TUE, seq=7, opening="125000.00", closing="124600.00"))
    wednesday = summary_of(day_statement(WED, seq=8, opening="124600.00", closing="124600.00"))
    assert check_continuity(tuesday, wednesday) == []


# -- days without a statement ---------------------------------------------------------------


def test_missing_statements_through_a_day():
    # Business days Mon 09-28 .. Tue 10-06: 28, 29, 30, 1, 2, 5, 6; held: 28, 29, 1.
    held = [summary(MON, 1, "0", "0"), summary(TUE, 2, "0", "0"), summary(THU, 3, "0", "0")]
    findings = missing_statements(held, through=TUE2)
    assert [f.value for f in findings] == ["2026-09-30", "2026-10-02", "2026-10-05", "2026-10-06"]
    assert {f.rule for f in findings} == {"reconcile.missing_statement"}
    assert findings[0].message == "missing end-of-day statement for 2026-09-30 of account NL41MOCK0000000001"


def test_missing_statements_since_a_day_before_the_first_held():
    held = [summary(TUE, 2, "0", "0")]
    assert [f.value for f in missing_statements(held, through=TUE, since=date(2026, 9, 25))] == [
        "2026-09-25", "2026-09-28"]


def test_a_statement_covering_several_days_covers_them_all():
    # Fri 10-02 to Mon 10-05 in one statement: Friday and Monday are covered, Tuesday is not.
    weekly = replace(summary(FRI, 4, "0", "0"), to_date=MON2)
    held = [summary(THU, 3, "0", "0"), weekly]
    assert missing_statements(held, through=MON2) == []
    assert [f.value for f in missing_statements(held, through=TUE2)] == ["2026-10-06"]


def test_nothing_held_and_no_start_gives_nothing():
    assert missing_statements([], through=TUE2) == []
    assert [f.value for f in missing_statements([], through=TUE, since=MON)] == ["2026-09-28", "2026-09-29"]


def test_missing_statements_of_mixed_accounts_is_refused():
    with pytest.raises(ReconciliationInputError) as error:
        missing_statements([summary(MON, 1, "0", "0"), summary(TUE, 1, "0", "0", account="X")], through=TUE)
    assert error.value.code == "mixed_accounts"
