"""reconcile(): every matching rule and every exception kind, on hand-built records.

The calendar used throughout (checked against a printed one):
  2026-09-28 Mon, 09-29 Tue, 09-30 Wed, 10-01 Thu, 10-02 Fri, 10-03 Sat, 10-04 Sun,
  10-05 Mon, 10-06 Tue, 10-07 Wed.
ACME is the gateway's debtor account (mock-bank's seeded NL41MOCK0000000001); payees are
mock-bank's unheld NL30MOCK0000000005 and GLOBEX NL14MOCK0000000002.
"""

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gateway.domain.money import Money
from gateway.domain.parties import Account, Party
from gateway.domain.reconciliation import (
    BankCalendar,
    BookedEntry,
    ExceptionKind,
    Match,
    MatchMethod,
    MatchRole,
    ReconciliationInputError,
    SentPayment,
    entries_of,
    reconcile,
    relevant_payments,
)
from gateway.domain.reconciliation.booked import booking_identity, with_notified_keys
from gateway.domain.statements import (
    BankTransactionCode,
    Entry,
    EntryTransaction,
    Report,
    ReportKind,
    ReturnInfo,
    Statement,
)

ACME = "NL41MOCK0000000001"
PAYEE = "NL30MOCK0000000005"
GLOBEX = "NL14MOCK0000000002"
TUE, WED, THU, FRI = date(2026, 9, 29), date(2026, 9, 30), date(2026, 10, 1), date(2026, 10, 2)
MON2, TUE2, WED2 = date(2026, 10, 5), date(2026, 10, 6), date(2026, 10, 7)
E2E, BOOKING, RETURN = MatchMethod.END_TO_END_ID, MatchRole.BOOKING, MatchRole.RETURN
BY_AMOUNT = MatchMethod.AMOUNT_DATE_COUNTERPARTY


def eur(value, currency="EUR"):
    return Money(Decimal(value), currency)


def payment(pid, e2e, amount, *, day=TUE, status="accepted", creditor=PAYEE, name="Payee BV",
            debtor=ACME, **kwargs):
    return SentPayment(payment_id=pid, end_to_end_id=e2e, amount=eur(amount), requested_execution_date=day,
                       status=status, debtor_iban=debtor, creditor_iban=creditor, creditor_name=name, **kwargs)


def debit(key, amount, *, e2e=None, day=TUE, iban=PAYEE, name="Payee BV", account=ACME, **kwargs):
    return BookedEntry(entry_key=key, account_id=account, statement_id="STMT-1", amount=eur(amount),
                       credit_debit="DBIT", booking_date=day, value_date=day, end_to_end_id=e2e,
                       counterparty_iban=iban, counterparty_name=name, **kwargs)


def credit(key, amount, **kwargs):
    return replace(debit(key, amount, **kwargs), credit_debit="CRDT")


def returned(key, amount, e2e, *, reason="MD07", day=FRI, **kwargs):
    return replace(credit(key, amount, e2e=e2e, day=day, **kwargs), is_return=True, return_reason=reason)


def kinds(result):
    return [(x.kind, x.payment_id, x.entry_key) for x in result.exceptions]


# -- 1. EndToEndId ----------------------------------------------------------------------------


def test_end_to_end_id_matches_exactly():
    result = reconcile([payment("P1", "E2E-1", "250.00")], [debit("K1", "250.00", e2e="E2E-1")])
    assert result.matches == (Match("P1", "K1", E2E, BOOKING),)
    assert result.exceptions == ()


def test_end_to_end_id_wins_over_a_different_counterparty_and_date():
    # The bank's own EndToEndId is decisive: a later day and another payee name do not matter.
    entry = debit("K1", "250.00", e2e="E2E-1", day=WED2, iban=None, name="Someone Else")
    result = reconcile([payment("P1", "E2E-1", "250.00")], [entry])
    assert result.matches == (Match("P1", "K1", E2E, BOOKING),)
    assert result.exceptions == ()


def test_notprovided_links_nothing_and_falls_back_to_amount_date_counterparty():
    # Were NOTPROVIDED an EndToEndId, both payments would claim K1 (an ambiguity).
    sent = [payment("P1", "NOTPROVIDED", "250.00"),
            payment("P2", "NOTPROVIDED", "99.00", creditor=GLOBEX, name="Globex")]
    result = reconcile(sent, [debit("K1", "250.00", e2e="NOTPROVIDED")])
    assert result.matches == (Match("P1", "K1", BY_AMOUNT, BOOKING),)
    assert result.exceptions == ()


def test_same_end_to_end_id_in_two_files_is_told_apart_by_message_id():
    sent = [payment("P1", "E2E-X", "10.00", message_id="MSG-1"),
            payment("P2", "E2E-X", "10.00", message_id="MSG-2")]
    told = reconcile(sent, [debit("K1", "10.00", e2e="E2E-X", message_id="MSG-2")])
    assert told.matches == (Match("P2", "K1", E2E, BOOKING),)
    untold = reconcile(sent, [debit("K1", "10.00", e2e="E2E-X")])
    assert untold.matches == ()
    assert kinds(untold) == [(ExceptionKind.AMBIGUOUS_MATCH, None, "K1")]
    assert untold.exceptions[0].candidates == ("P1", "P2")
    assert "2 payments" in untold.exceptions[0].reason


def test_same_end_to_end_id_from_two_accounts_is_told_apart_by_the_debtor_account():
    sent = [payment("P1", "E2E-X", "10.00", debtor=GLOBEX), payment("P2", "E2E-X", "10.00", debtor=ACME)]
    result = reconcile(sent, [debit("K1", "10.00", e2e="E2E-X", account=ACME)])
    assert result.matches == (Match("P2", "K1", E2E, BOOKING),)


def test_end_to_end_id_of_a_payment_from_another_account_does_not_match():
    result = reconcile([payment("P1", "E2E-1", "250.00", debtor=GLOBEX)],
                       [debit("K1", "250.00", e2e="E2E-1", account=ACME)])
    assert result.matches == ()
    assert kinds(result) == [(ExceptionKind.UNMATCHED_ENTRY, None, "K1")]
    assert "belongs to P1" in result.exceptions[0].reason


def test_a_credit_on_the_payees_own_account_is_the_receipt():
    # A transfer between two accounts the bank reports: ACME's debit books it, GLOBEX's credit receives it.
    sent = [payment("P1", "E2E-1", "75.00", creditor=GLOBEX, name="Globex")]
    entries = [debit("K1", "75.00", e2e="E2E-1", iban=GLOBEX, name="Globex"),
               credit("K2", "75.00", e2e="E2E-1", account=GLOBEX, iban=ACME, name="Acme")]
    result = reconcile(sent, entries)
    assert result.matches == (Match("P1", "K1", E2E, BOOKING), Match("P1", "K2", E2E, MatchRole.RECEIPT))
    assert result.exceptions == ()


def test_a_credit_with_the_end_to_end_id_on_an_unrelated_account_is_unmatched():
    result = reconcile([payment("P1", "E2E-1", "75.00")],
                       [credit("K2", "75.00", e2e="E2E-1", account=GLOBEX, iban=ACME)])
    assert result.matches == ()
    assert kinds(result) == [(ExceptionKind.UNMATCHED_ENTRY, None, "K2")]


# -- 2. amount, date and counterparty ---------------------------------------------------------


def test_amount_date_and_counterparty_iban_ignore_spaces_and_case():
    sent = [payment("P1", "E2E-1", "250.00", creditor="NL30 MOCK 0000 0000 05")]
    result = reconcile(sent, [debit("K1", "250.00", iban="nl30mock0000000005", name=None)])
    assert result.matches == (Match("P1", "K1", BY_AMOUNT, BOOKING),)


@pytest.mark.parametrize("booked, fits", [
    (THU, False),   # the day before the requested execution date
    (FRI, True),    # the requested date itself
    (MON2, True),   # 1 business day after Friday: the weekend is not counted
    (TUE2, True),   # 2 business days after Friday: the end of the default window
    (WED2, False),  # 3 business days after
])
def test_booking_window_counts_business_days(booked, fits):
    result = reconcile([payment("P1", "E2E-1", "250.00", day=FRI)], [debit("K1", "250.00", day=booked)])
    assert result.matches == ((Match("P1", "K1", BY_AMOUNT, BOOKING),) if fits else ())


def test_booking_window_of_zero_rolls_a_weekend_date_to_monday():
    saturday = date(2026, 10, 3)
    sent = [payment("P1", "E2E-1", "250.00", day=saturday)]
    monday = reconcile(sent, [debit("K1", "250.00", day=MON2)], booking_window=0)
    assert monday.matches == (Match("P1", "K1", BY_AMOUNT, BOOKING),)
    tuesday = reconcile(sent, [debit("K1", "250.00", day=TUE2)], booking_window=0)
    assert tuesday.matches == ()


def test_a_holiday_widens_the_window_by_a_day():
    # Fri + 2 business days with Monday 10-05 a holiday: Tue 10-06 (1), Wed 10-07 (2).
    holiday = BankCalendar(holidays=frozenset({MON2}))
    sent = [payment("P1", "E2E-1", "250.00", day=FRI)]
    entries = [debit("K1", "250.00", day=WED2)]
    assert reconcile(sent, entries).matches == ()
    assert reconcile(sent, entries, calendar=holiday).matches == (Match("P1", "K1", BY_AMOUNT, BOOKING),)


def test_value_date_stands_in_for_a_missing_booking_date():
    entry = replace(debit("K1", "250.00"), booking_date=None, value_date=TUE)
    assert reconcile([payment("P1", "E2E-1", "250.00")], [entry]).matches == (
        Match("P1", "K1", BY_AMOUNT, BOOKING),)


def test_counterparty_name_is_compared_when_there_is_no_iban():
    sent = [payment("P1", "E2E-1", "80.00", creditor=None, name="Müller GmbH")]
    same = reconcile(sent, [debit("K1", "80.00", iban=None, name="MUELLER GMBH")])
    assert same.matches == (Match("P1", "K1", BY_AMOUNT, BOOKING),)
    other = reconcile(sent, [debit("K1", "80.00", iban=None, name="Mueller AG")])
    assert other.matches == ()
    assert kinds(other) == [(ExceptionKind.UNMATCHED_ENTRY, None, "K1")]


def test_a_different_iban_decides_even_when_the_names_agree():
    result = reconcile([payment("P1", "E2E-1", "80.00")], [debit("K1", "80.00", iban=GLOBEX, name="Payee BV")])
    assert result.matches == ()
    assert kinds(result) == [(ExceptionKind.UNMATCHED_ENTRY, None, "K1")]


@pytest.mark.parametrize("change", [
    {"amount": eur("80.01")},              # another amount
    {"amount": eur("80.00", "USD")},       # the same number in another currency
    {"account_id": GLOBEX},                # booked on another account than the debtor's
    {"counterparty_iban": None, "counterparty_name": None},   # nobody to compare
])
def test_without_amount_account_or_counterparty_nothing_matches(change):
    result = reconcile([payment("P1", "E2E-1", "80.00")], [replace(debit("K1", "80.00"), **change)])
    assert result.matches == ()


def test_an_entry_with_another_real_end_to_end_id_is_not_paired_by_amount():
    result = reconcile([payment("P1", "E2E-1", "80.00")], [debit("K1", "80.00", e2e="SOMEONE-ELSES")])
    assert result.matches == ()
    assert kinds(result) == [(ExceptionKind.UNMATCHED_ENTRY, None, "K1")]


def test_two_payments_told_apart_by_counterparty():
    sent = [payment("P1", "E2E-1", "100.00"), payment("P2", "E2E-2", "100.00", creditor=GLOBEX, name="Globex")]
    entries = [debit("K1", "100.00", iban=GLOBEX, name="Globex"), debit("K2", "100.00")]
    result = reconcile(sent, entries)
    assert result.matches == (Match("P2", "K1", BY_AMOUNT, BOOKING), Match("P1", "K2", BY_AMOUNT, BOOKING))
    assert result.exceptions == ()


def test_two_payments_fitting_one_entry_is_an_ambiguity_not_a_guess():
    sent = [payment("P1", "E2E-1", "100.00"), payment("P2", "E2E-2", "100.00")]
    result = reconcile(sent, [debit("K1", "100.00")], booked_through=WED2)
    assert result.matches == ()
    # Both may be booked by K1, so neither is reported as not booked.
    assert kinds(result) == [(ExceptionKind.AMBIGUOUS_MATCH, None, "K1")]
    assert result.exceptions[0].candidates == ("P1", "P2")
    assert result.exceptions[0].amount == eur("100.00")


def test_two_entries_fitting_one_payment_is_an_ambiguity_for_each():
    result = reconcile([payment("P1", "E2E-1", "100.00")], [debit("K1", "100.00"), debit("K2", "100.00", day=WED)])
    assert result.matches == ()
    assert kinds(result) == [(ExceptionKind.AMBIGUOUS_MATCH, None, "K1"), (ExceptionKind.AMBIGUOUS_MATCH, None, "K2")]
    assert [x.candidates for x in result.exceptions] == [("P1",), ("P1",)]
    assert "K2" in result.exceptions[0].reason and "K1" in result.exceptions[1].reason


def test_a_payment_matched_by_end_to_end_id_is_not_offered_to_the_amount_rule():
    # K1 books P1 by EndToEndId; K2 (no EndToEndId, same amount and payee) then fits nobody.
    result = reconcile([payment("P1", "E2E-1", "100.00")], [debit("K1", "100.00", e2e="E2E-1"), debit("K2", "100.00")])
    assert result.matches == (Match("P1", "K1", E2E, BOOKING),)
    assert kinds(result) == [(ExceptionKind.UNMATCHED_ENTRY, None, "K2")]


# -- exceptions -------------------------------------------------------------------------------


def test_unmatched_debit_and_credit():
    entries = [debit("K1", "42.00", name="Unknown Ltd", iban=None), credit("K2", "500.00", iban=GLOBEX, name="Globex")]
    result = reconcile([], entries)
    assert result.matches == ()
    assert kinds(result) == [(ExceptionKind.UNMATCHED_ENTRY, None, "K1"), (ExceptionKind.UNMATCHED_ENTRY, None, "K2")]
    first, second = result.exceptions
    assert "debit of 42.00 EUR booked 2026-09-29, to Unknown Ltd" in first.reason
    assert "explains this debit" in first.reason
    assert "credit of 500.00 EUR booked 2026-09-29, from Globex NL14MOCK0000000002" in second.reason
    assert (first.amount, second.amount) == (eur("42.00"), eur("500.00"))


@pytest.mark.parametrize("status, flagged", [
    ("sent", True), ("accepted", True), ("pending", True),
    ("booked", False), ("rejected", False), ("returned", False),
])
def test_payment_not_booked_by_status(status, flagged):
    # Tue + 2 business days = Thu 10-01: the window is over once the bookings through Thursday are in.
    result = reconcile([payment("P1", "E2E-1", "250.00", status=status)], [], booked_through=THU)
    assert kinds(result) == ([(ExceptionKind.PAYMENT_NOT_BOOKED, "P1", None)] if flagged else [])


def test_payment_not_booked_waits_for_the_end_of_the_window():
    sent = [payment("P1", "E2E-1", "250.00")]
    assert reconcile(sent, []).exceptions == ()
    assert reconcile(sent, [], booked_through=WED).exceptions == ()
    (late,) = reconcile(sent, [], booked_through=THU).exceptions
    assert late.amount == eur("250.00")
    assert late.reason == ("payment P1 (EndToEndId E2E-1, 250.00 EUR to Payee BV NL30MOCK0000000005) (status "
                           "accepted) was to be executed on 2026-09-29 and booked by 2026-10-01, but no entry books it")
    # A later run says the same words, so that a store can tell it is the same exception.
    (again,) = reconcile(sent, [], booked_through=MON2).exceptions
    assert again == late


def test_a_payment_booked_in_an_earlier_run_is_not_reported_missing():
    sent = [payment("P1", "E2E-1", "250.00", booked_entry_key="K0")]
    assert reconcile(sent, [], booked_through=WED2).exceptions == ()


def test_amount_mismatch_keeps_the_match_and_says_both_amounts():
    result = reconcile([payment("P1", "E2E-1", "250.00")], [debit("K1", "205.00", e2e="E2E-1")])
    assert result.matches == (Match("P1", "K1", E2E, BOOKING),)
    (mismatch,) = result.exceptions
    assert (mismatch.kind, mismatch.payment_id, mismatch.entry_key) == (ExceptionKind.AMOUNT_MISMATCH, "P1", "K1")
    assert (mismatch.amount, mismatch.expected_amount) == (eur("205.00"), eur("250.00"))
    # 205.00 - 250.00 = -45.00
    assert "for 205.00 EUR, not 250.00 EUR (difference -45.00 EUR)" in mismatch.reason


def test_amount_mismatch_in_another_currency():
    dollars = replace(debit("K1", "250.00", e2e="E2E-1"), amount=eur("250.00", "USD"))
    result = reconcile([payment("P1", "E2E-1", "250.00")], [dollars])
    (mismatch,) = result.exceptions
    assert mismatch.kind is ExceptionKind.AMOUNT_MISMATCH
    assert "250.00 USD, not 250.00 EUR (another currency)" in mismatch.reason


def test_an_unreadable_amount_matches_by_end_to_end_id_without_a_mismatch():
    entry = replace(debit("K1", "250.00", e2e="E2E-1"), amount=None)
    result = reconcile([payment("P1", "E2E-1", "250.00")], [entry])
    assert result.matches == (Match("P1", "K1", E2E, BOOKING),)
    assert result.exceptions == ()


def test_two_entries_booking_one_payment_is_a_duplicate_booking():
    result = reconcile([payment("P1", "E2E-1", "250.00")],
                       [debit("K1", "250.00", e2e="E2E-1"), debit("K2", "250.00", e2e="E2E-1", day=WED)])
    assert result.matches == (Match("P1", "K1", E2E, BOOKING),)
    (dup,) = result.exceptions
    assert (dup.kind, dup.payment_id, dup.entry_key, dup.candidates) == (
        ExceptionKind.DUPLICATE_BOOKING, "P1", "K2", ("K1",))
    assert "already booked by entry K1" in dup.reason and "books it again" in dup.reason


def test_of_two_bookings_the_one_with_the_right_amount_is_the_match():
    result = reconcile([payment("P1", "E2E-1", "250.00")],
                       [debit("K1", "25.00", e2e="E2E-1"), debit("K2", "250.00", e2e="E2E-1")])
    assert result.matches == (Match("P1", "K2", E2E, BOOKING),)
    assert kinds(result) == [(ExceptionKind.DUPLICATE_BOOKING, "P1", "K1")]


def test_a_booking_after_an_earlier_runs_booking_is_a_duplicate():
    result = reconcile([payment("P1", "E2E-1", "250.00", status="booked", booked_entry_key="K1")],
                       [debit("K9", "250.00", e2e="E2E-1", day=MON2)])
    assert result.matches == ()
    assert kinds(result) == [(ExceptionKind.DUPLICATE_BOOKING, "P1", "K9")]
    assert result.exceptions[0].candidates == ("K1",)


def test_the_same_entry_seen_again_is_matched_again_quietly():
    sent = [payment("P1", "E2E-1", "250.00", status="booked", booked_entry_key="K1")]
    again = reconcile(sent, [debit("K1", "250.00", e2e="E2E-1")], booked_through=WED2)
    assert again.matches == (Match("P1", "K1", E2E, BOOKING),)
    assert again.exceptions == ()


def test_a_notification_and_its_statement_repeating_one_key_count_once():
    notified = replace(debit("K1", "250.00", e2e="E2E-1"), statement_id="NTFCTN-1")
    stated = replace(notified, statement_id="STMT-1")
    result = reconcile([payment("P1", "E2E-1", "250.00")], [notified, stated])
    assert result.matches == (Match("P1", "K1", E2E, BOOKING),)
    assert result.exceptions == ()


def test_one_key_with_different_content_is_a_conflicting_entry():
    notified = replace(debit("K1", "250.00", e2e="E2E-1"), statement_id="NTFCTN-1")
    stated = replace(notified, statement_id="STMT-1", amount=eur("25.00"))
    result = reconcile([payment("P1", "E2E-1", "250.00")], [notified, stated])
    assert result.matches == (Match("P1", "K1", E2E, BOOKING),)
    (conflict,) = result.exceptions
    assert (conflict.kind, conflict.entry_key) == (ExceptionKind.CONFLICTING_ENTRY, "K1")
    assert (conflict.amount, conflict.expected_amount) == (eur("25.00"), eur("250.00"))
    assert "NTFCTN-1 as debit of 250.00 EUR" in conflict.reason and "STMT-1 as debit of 25.00 EUR" in conflict.reason


def test_a_rejected_payment_that_books_anyway():
    result = reconcile([payment("P1", "E2E-1", "250.00", status="rejected")], [debit("K1", "250.00", e2e="E2E-1")])
    assert result.matches == (Match("P1", "K1", E2E, BOOKING),)
    assert kinds(result) == [(ExceptionKind.BOOKED_DESPITE_REJECTION, "P1", "K1")]


def test_a_rejected_payment_is_never_paired_by_amount():
    result = reconcile([payment("P1", "E2E-1", "250.00", status="rejected")], [debit("K1", "250.00")])
    assert result.matches == ()
    assert kinds(result) == [(ExceptionKind.UNMATCHED_ENTRY, None, "K1")]


# -- returns ----------------------------------------------------------------------------------


def test_return_after_settlement_matches_the_original_and_flags_it():
    # Day one: the debit books the payment.  Three business days later the return comes back,
    # and the earlier run's booking is passed in as booked_entry_key.
    day_one = reconcile([payment("P1", "E2E-1", "250.00")], [debit("K1", "250.00", e2e="E2E-1")], booked_through=TUE)
    assert day_one.matches == (Match("P1", "K1", E2E, BOOKING),)
    assert day_one.exceptions == ()
    later = payment("P1", "E2E-1", "250.00", status="booked", booked_entry_key="K1")
    day_four = reconcile([later], [returned("K2", "250.00", "E2E-1", day=FRI)], booked_through=FRI)
    assert day_four.matches == (Match("P1", "K2", E2E, RETURN),)
    (back,) = day_four.exceptions
    assert (back.kind, back.payment_id, back.entry_key, back.reason_code) == (ExceptionKind.RETURNED, "P1", "K2", "MD07")
    assert back.amount == eur("250.00")
    assert "came back" in back.reason and "return reason MD07" in back.reason


def test_booking_and_return_in_one_run():
    result = reconcile([payment("P1", "E2E-1", "250.00")],
                       [debit("K1", "250.00", e2e="E2E-1"), returned("K2", "250.00", "E2E-1")], booked_through=WED2)
    assert result.matches == (Match("P1", "K1", E2E, BOOKING), Match("P1", "K2", E2E, RETURN))
    assert kinds(result) == [(ExceptionKind.RETURNED, "P1", "K2")]


def test_a_return_without_the_booking_still_settles_the_question():
    # The debit was on a statement reconciled before anyone stored its key: the return alone
    # shows the money left and came back, so the payment is not also 'not booked'.
    result = reconcile([payment("P1", "E2E-1", "250.00")], [returned("K2", "250.00", "E2E-1")], booked_through=WED2)
    assert kinds(result) == [(ExceptionKind.RETURNED, "P1", "K2")]


def test_a_partial_return_says_how_much_came_back():
    result = reconcile([payment("P1", "E2E-1", "250.00")], [returned("K2", "240.00", "E2E-1", reason="AC04")])
    (back,) = result.exceptions
    assert (back.kind, back.reason_code) == (ExceptionKind.RETURNED, "AC04")
    assert (back.amount, back.expected_amount) == (eur("240.00"), eur("250.00"))
    # 240.00 - 250.00 = -10.00
    assert "240.00 EUR came back of 250.00 EUR sent (difference -10.00 EUR)" in back.reason


def test_a_reversal_without_a_reason_is_a_return():
    reversal = replace(returned("K2", "250.00", "E2E-1", reason=None), reversal=True)
    result = reconcile([payment("P1", "E2E-1", "250.00")], [reversal])
    assert result.matches == (Match("P1", "K2", E2E, RETURN),)
    (back,) = result.exceptions
    assert back.reason_code is None and "the bank reversed the booking" in back.reason


def test_a_second_return_is_a_duplicate():
    sent = [payment("P1", "E2E-1", "250.00", status="returned", booked_entry_key="K1", returned_entry_key="K2")]
    result = reconcile(sent, [returned("K3", "250.00", "E2E-1", day=MON2)])
    assert result.matches == ()
    assert kinds(result) == [(ExceptionKind.DUPLICATE_BOOKING, "P1", "K3")]
    assert "already returned by entry K2" in result.exceptions[0].reason


def test_returns_nobody_can_place_are_unmatched():
    unknown = returned("K2", "250.00", "E2E-NOBODY")
    anonymous = returned("K3", "250.00", "NOTPROVIDED", reason="AC04")
    result = reconcile([payment("P1", "E2E-1", "250.00")], [unknown, anonymous])
    assert result.matches == ()
    assert kinds(result) == [(ExceptionKind.UNMATCHED_ENTRY, None, "K2"), (ExceptionKind.UNMATCHED_ENTRY, None, "K3")]
    assert "EndToEndId 'E2E-NOBODY'" in result.exceptions[0].reason
    assert "carries no EndToEndId" in result.exceptions[1].reason
    assert [x.reason_code for x in result.exceptions] == ["MD07", "AC04"]


# -- what holds for any input -------------------------------------------------------------


_amounts = st.sampled_from(["10.00", "20.00"])
_days = st.sampled_from([TUE, WED, FRI, MON2])
_payments = st.lists(st.builds(
    lambda n, e2e, amount, day, status, payee: payment(f"P{n}", e2e, amount, day=day, status=status, creditor=payee),
    st.integers(0, 5), st.sampled_from(["E2E-1", "E2E-2", "NOTPROVIDED"]), _amounts, _days,
    st.sampled_from(["sent", "accepted", "booked", "rejected"]), st.sampled_from([PAYEE, GLOBEX])),
    max_size=5, unique_by=lambda p: p.payment_id)
_entries = st.lists(st.builds(
    lambda n, e2e, amount, day, cd, is_return: replace(debit(f"K{n}", amount, e2e=e2e, day=day),
                                                       credit_debit=cd, is_return=is_return),
    st.integers(0, 6), st.sampled_from(["E2E-1", "E2E-2", None]), _amounts, _days,
    st.sampled_from(["DBIT", "CRDT"]), st.booleans()), max_size=6)


@settings(max_examples=200, deadline=None)
@given(_payments, _entries)
def test_every_entry_is_accounted_for_and_nothing_is_booked_twice(sent, entries):
    result = reconcile(sent, entries, booked_through=WED2)
    named = {m.entry_key for m in result.matches} | {x.entry_key for x in result.exceptions}
    assert {e.entry_key for e in entries} <= named
    bookings = [m for m in result.matches if m.role is BOOKING]
    assert len({m.payment_id for m in bookings}) == len(bookings)
    assert len({m.entry_key for m in result.matches}) == len(result.matches)
    assert reconcile(sent, entries, booked_through=WED2) == result


# -- input the caller should never pass ------------------------------------------------------


def test_refused_input():
    with pytest.raises(ReconciliationInputError) as twice:
        reconcile([payment("P1", "E2E-1", "1.00"), payment("P1", "E2E-2", "2.00")], [])
    assert twice.value.code == "duplicate_payment_id"
    with pytest.raises(ReconciliationInputError) as window:
        reconcile([], [], booking_window=-1)
    assert window.value.code == "invalid_window"
    with pytest.raises(ReconciliationInputError) as status:
        payment("P1", "E2E-1", "1.00", status="settled")
    assert status.value.code == "invalid_payment_status"


# -- a mock-bank week, from camt.053 statements ----------------------------------------------


def _statement(ident, day, entries):
    return Statement(identification=ident, account=Account(iban=ACME, currency="EUR"),
                     from_date_time=datetime(day.year, day.month, day.day, 0, 0),
                     to_date_time=datetime(day.year, day.month, day.day, 23, 59, 59), entries=entries)


def _ntry(ref, amount, cd, day, *transactions):
    return Entry(amount=eur(amount), credit_debit=cd, status="BOOK", booking_date=day, value_date=day,
                 account_servicer_reference=ref, transactions=transactions)


def _tx(e2e, amount=None, *, cd="DBIT", msg="MSG-1", creditor=("Payee BV", PAYEE), debtor=None, returned_for=None):
    return EntryTransaction(
        message_id=msg, end_to_end_id=e2e, amount=eur(amount) if amount else None, credit_debit=cd,
        creditor=Party(name=creditor[0]), creditor_account=Account(iban=creditor[1]),
        debtor=Party(name=debtor[0]) if debtor else None, debtor_account=Account(iban=debtor[1]) if debtor else None,
        return_info=ReturnInfo(reason=returned_for) if returned_for else None,
        bank_transaction_code=BankTransactionCode("PMNT", "ICDT", "RRTN") if returned_for else None)


def test_a_week_of_mock_bank_statements():
    sent = [payment("P1", "E2E-1", "250.00", message_id="MSG-1"),
            payment("P2", "E2E-2", "100.00", message_id="MSG-1", creditor=GLOBEX, name="Globex"),
            payment("P3", "E2E-3", "50.00", message_id="MSG-1"),
            payment("P4", "E2E-4", "30.00", message_id="MSG-1")]
    tuesday = Report(kind=ReportKind.STATEMENT, message_id="MB-053-1", creation_date_time=datetime(2026, 9, 30, 0, 1),
                     statements=(_statement("MB-053-1", TUE, (
                         _ntry("MB-PMT-1", "250.00", "DBIT", TUE, _tx("E2E-1", "250.00")),
                         # one batch-booked entry: 100.00 + 50.00 = 150.00
                         _ntry("MB-PMT-2", "150.00", "DBIT", TUE, _tx("E2E-2", "100.00", creditor=("Globex", GLOBEX)),
                               _tx("E2E-3", "50.00")),
                         _ntry("MB-RCV-3", "500.00", "CRDT", TUE, _tx(None, "500.00", cd="CRDT", msg=None,
                                                                      creditor=("Acme", ACME),
                                                                      debtor=("Initech", "NL84MOCK0000000003"))),
                     )),))
    first = reconcile(sent, entries_of(tuesday), booked_through=TUE)
    key = f"{ACME}|ref|"
    assert first.matches == (Match("P1", key + "MB-PMT-1", E2E, BOOKING),
                             Match("P2", key + "MB-PMT-2|tx|0", E2E, BOOKING),
                             Match("P3", key + "MB-PMT-2|tx|1", E2E, BOOKING))
    # The incoming 500.00 nobody sent; P4 is not late yet (its window ends Thursday).
    assert kinds(first) == [(ExceptionKind.UNMATCHED_ENTRY, None, key + "MB-RCV-3")]

    friday = Report(kind=ReportKind.STATEMENT, message_id="MB-053-4", creation_date_time=datetime(2026, 10, 3, 0, 1),
                    statements=(_statement("MB-053-4", FRI, (
                        _ntry("MB-RTR-1", "250.00", "CRDT", FRI, _tx("E2E-1", "250.00", cd="CRDT", returned_for="AC04")),
                    )),))
    stored = {m.payment_id: m.entry_key for m in first.matches}
    now = [replace(p, status="booked", booked_entry_key=stored[p.payment_id]) if p.payment_id in stored else p
           for p in sent]
    second = reconcile(now, entries_of(friday), booked_through=FRI)
    assert second.matches == (Match("P1", key + "MB-RTR-1", E2E, RETURN),)
    assert kinds(second) == [(ExceptionKind.RETURNED, "P1", key + "MB-RTR-1"),
                             (ExceptionKind.PAYMENT_NOT_BOOKED, "P4", None)]
    assert second.exceptions[0].reason_code == "AC04"


# -- what a store needs to load ----------------------------------------------------------------


def test_relevant_payments_reach_back_as_far_as_the_booking_window():
    # An entry booked on Tue 2026-10-06 fits a payment executed up to 2 business days before:
    # Fri 10-02 (Fri + 2 business days = Tue), not Thu 10-01 (Thu + 2 = Mon 10-05).
    relevant = relevant_payments([debit("K1", "10.00", day=TUE2), debit("K2", "5.00", day=WED2)])
    assert relevant.since == FRI
    assert relevant.amounts == frozenset({eur("10.00"), eur("5.00")})
    assert relevant.end_to_end_ids == frozenset() and not relevant.all_awaiting


def test_relevant_payments_name_the_end_to_end_ids_and_need_no_settled_ones_without_open_debits():
    relevant = relevant_payments([debit("K1", "10.00", e2e="E2E-1", day=TUE2),
                                  returned("K2", "10.00", "E2E-2"), debit("K3", "1.00", e2e="NOTPROVIDED")])
    assert relevant.end_to_end_ids == frozenset({"E2E-1", "E2E-2"})
    assert relevant.since == date(2026, 9, 25)  # K3 has no EndToEndId: booked Tue 09-29, from Fri 09-25
    assert not relevant.wanted(payment("P1", "OLD", "1.00", day=date(2026, 9, 24), status="booked"))
    assert relevant.wanted(payment("P2", "OLD", "1.00", day=date(2026, 9, 25), status="sent"))
    assert not relevant.wanted(payment("P3", "OLD", "2.00", day=date(2026, 9, 25), status="sent"))  # no such amount
    assert relevant.wanted(payment("P4", "E2E-2", "10.00", day=date(2026, 1, 5), status="rejected"))
    assert relevant_payments([debit("K1", "10.00", e2e="E2E-1")]).since is None


def test_a_notification_needs_no_payment_in_flight_that_it_does_not_name():
    """A camt.054 whose entries all carry EndToEndIds (every booking of a bulk payout) needs only
    those payments; an end-of-day statement needs every payment awaiting booking as well."""
    entries = [debit("K1", "10.00", e2e="E2E-1")]
    in_flight = payment("P9", "E2E-9", "10.00", status="accepted")
    assert not relevant_payments(entries).wanted(in_flight)
    assert relevant_payments(entries, booked_through=WED2).wanted(in_flight)


_long_ago = st.sampled_from([date(2026, 9, 21), date(2026, 9, 25), TUE, WED, FRI, MON2, TUE2])
_history = st.lists(st.builds(
    lambda n, e2e, amount, day, status, payee, linked: payment(
        f"P{n}", e2e, amount, day=day, status=status, creditor=payee,
        booked_entry_key=f"OLD{n}" if linked and status in ("booked", "returned") else None),
    st.integers(0, 7), st.sampled_from(["E2E-1", "E2E-2", "E2E-3", "NOTPROVIDED"]), _amounts, _long_ago,
    st.sampled_from(["sent", "accepted", "pending", "booked", "rejected", "returned"]),
    st.sampled_from([PAYEE, GLOBEX]), st.booleans()),
    max_size=8, unique_by=lambda p: p.payment_id)


@settings(max_examples=500, deadline=None)
@given(_history, _entries)
@example([payment("P1", "NOTPROVIDED", "10.00", day=date(2026, 9, 25), status="booked")],  # the first day that fits
         [debit("K1", "10.00", day=TUE)])
@example([payment("P1", "NOTPROVIDED", "10.00", day=date(2026, 9, 25), status="returned")],
         [debit("K1", "10.00", day=TUE)])
@example([payment("P1", "NOTPROVIDED", "10.00", day=TUE, status="accepted")],  # in flight, on a notification
         [debit("K1", "10.00", e2e="E2E-1")])
def test_reconciling_only_the_relevant_payments_gives_the_same_result(sent, entries):
    for through in (WED2, None):  # an end-of-day statement, a notification
        relevant = relevant_payments(entries, booked_through=through)
        assert reconcile([p for p in sent if relevant.wanted(p)], entries, booked_through=through) == \
            reconcile(sent, entries, booked_through=through)


# --------------------------------------------------------------------------- notification keys adopted

def test_a_statement_entry_without_acctsvcrref_takes_the_key_of_the_notification_of_its_booking():
    stmt = [debit("ACME|stmt|S1|0", "12.00", e2e="E-1"), debit("ACME|stmt|S1|1", "12.00", e2e="E-1"),
            debit("ACME|stmt|S1|2", "9.00", e2e="E-2"), debit("ACME|ref|R7", "5.00", e2e="E-3",
                                                             account_servicer_reference="R7")]
    notified = [("ACME|stmt|N1|0", booking_identity(Decimal("12.00"), "EUR", "DBIT", TUE, "E-1")),
                ("ACME|stmt|N9|0", booking_identity(Decimal("5.00"), "EUR", "DBIT", TUE, "E-3")),
                ("ACME|stmt|N2|0", booking_identity(Decimal("9.00"), "EUR", "DBIT", WED, "E-2"))]
    keys = [e.entry_key for e in with_notified_keys(stmt, notified)]
    assert keys == ["ACME|stmt|N1|0",   # the notified booking
                    "ACME|stmt|S1|1",   # the same booking twice on the statement: the notification is used once
                    "ACME|stmt|S1|2",   # booked on another day than notified: not the same booking
                    "ACME|ref|R7"]      # an AcctSvcrRef is the bank's own word: kept
