"""Business days and the comparison of counterparty IBANs and names.

Calendar: 2026-10-02 Fri, 10-03 Sat, 10-04 Sun, 10-05 Mon, 10-06 Tue, 10-07 Wed.
"""

from datetime import date

import pytest

from gateway.domain.reconciliation import (
    WEEKDAYS,
    BankCalendar,
    ReconciliationInputError,
)
from gateway.domain.reconciliation.names import name_forms, normalise_iban, same_name

FRI, SAT, SUN = date(2026, 10, 2), date(2026, 10, 3), date(2026, 10, 4)
MON, TUE, WED = date(2026, 10, 5), date(2026, 10, 6), date(2026, 10, 7)


def test_weekends_are_not_business_days():
    assert [WEEKDAYS.is_business_day(d) for d in (FRI, SAT, SUN, MON)] == [True, False, False, True]


def test_counting_business_days():
    assert WEEKDAYS.next_business_day(FRI) == MON
    assert WEEKDAYS.next_business_day(SAT) == MON
    assert WEEKDAYS.business_days_after(FRI, 0) == FRI
    assert WEEKDAYS.business_days_after(SAT, 0) == MON     # 0 rolls a weekend forward
    assert WEEKDAYS.business_days_after(FRI, 1) == MON
    assert WEEKDAYS.business_days_after(FRI, 2) == TUE
    assert WEEKDAYS.business_days_after(SUN, 2) == WED     # Mon, then 2 more: Tue, Wed
    assert list(WEEKDAYS.business_days(FRI, TUE)) == [FRI, MON, TUE]
    assert list(WEEKDAYS.business_days(TUE, FRI)) == []


def test_holidays_and_another_weekend():
    holiday = BankCalendar(holidays=frozenset({MON}))
    assert holiday.business_days_after(FRI, 1) == TUE
    assert holiday.roll_forward(SAT) == TUE
    gulf = BankCalendar(weekend=frozenset({4, 5}))          # Friday and Saturday
    assert list(gulf.business_days(FRI, MON)) == [SUN, MON]


def test_refused_calendars_and_windows():
    with pytest.raises(ReconciliationInputError) as negative:
        WEEKDAYS.business_days_after(FRI, -1)
    assert negative.value.code == "invalid_window"
    with pytest.raises(ReconciliationInputError) as closed:
        BankCalendar(weekend=frozenset(range(7)))
    assert closed.value.code == "invalid_calendar"
    with pytest.raises(ReconciliationInputError):
        BankCalendar(weekend=frozenset({7}))


def test_a_bank_closed_for_ever_is_refused_rather_than_looped_over():
    always = BankCalendar(holidays=frozenset(date.fromordinal(FRI.toordinal() + k) for k in range(4000)))
    with pytest.raises(ReconciliationInputError) as error:
        always.roll_forward(FRI)
    assert error.value.code == "invalid_calendar"


def test_iban_normalisation():
    assert normalise_iban(" nl30 mock 0000 0000 05 ") == "NL30MOCK0000000005"
    assert normalise_iban("   ") is None
    assert normalise_iban(None) is None


@pytest.mark.parametrize("a, b", [
    ("Müller GmbH", "MUELLER GMBH"),        # umlaut spelt out (SEPA transliteration)
    ("Müller GmbH", "MULLER GMBH"),         # accent dropped
    ("Café Zoë", "CAFE ZOE"),
    ("Søren Ærø", "SOEREN AEROE"),
    ("Søren Ærø", "Soren Aero"),
    ("Payee B.V.", "PAYEE BV"),
    ("Straße AG", "STRASSE AG"),
    ("Ωμέγα", "ΩΜΈΓΑ"),                     # no Latin letters: compared as written, case aside
])
def test_the_same_name_spelt_differently(a, b):
    assert same_name(a, b)


@pytest.mark.parametrize("a, b", [
    ("Müller GmbH", "Mueller AG"),          # another legal form is another name: no guessing
    ("Payee BV", None),
    (None, None),
    ("", ""),
    ("Ωμέγα", "Omega"),                     # transliterating a script would be guessing
    ("...", "--"),
])
def test_names_that_are_not_the_same(a, b):
    assert not same_name(a, b)


def test_name_forms():
    assert name_forms("Müller  GmbH") == frozenset({"müller gmbh", "mullergmbh", "muellergmbh"})
    assert name_forms("Payee B.V.") == frozenset({"payee b.v.", "payeebv"})
    assert name_forms("  ") == frozenset()
