"""Domestic or cross-border: the countries of the two accounts, SEPA counting as one for euro."""

from __future__ import annotations

import pytest

from gateway.domain.parties import Account, Agent
from gateway.routing import account_country, in_sepa_zone, is_cross_border
from tests.routing.payments import CH_IBAN, DE_COBA, NL_ABNA, TR_IBAN


@pytest.mark.parametrize(("debtor", "creditor", "currency", "cross_border"), [
    ("NL", "NL", "EUR", False),
    ("NL", "NL", "USD", False),   # same country: domestic whatever the currency
    ("NL", "DE", "EUR", False),   # euro inside SEPA
    ("NL", "CH", "EUR", False),   # Switzerland takes part in SEPA
    ("NL", "GB", "EUR", False),   # so does the United Kingdom
    ("NL", "DE", "USD", True),    # SEPA covers euro only
    ("SE", "DE", "SEK", True),
    ("NL", "TR", "EUR", True),    # Turkey is not in SEPA
    ("NL", "US", "EUR", True),
    ("NL", None, "EUR", True),    # nothing shows that it stays at home
    (None, "NL", "EUR", True),
])
def test_cross_border(debtor, creditor, currency, cross_border):
    assert is_cross_border(debtor, creditor, currency) is cross_border


@pytest.mark.parametrize(("country", "inside"), [
    ("NL", True), ("DE", True), ("CH", True), ("GB", True), ("NO", True), ("MC", True),
    ("TR", False), ("US", False), ("BR", False),
])
def test_sepa_zone(country, inside):
    # EPC list of SEPA scheme countries: EU/EEA, CH, GB, MC, SM, VA, AD; not TR, US, BR
    assert in_sepa_zone(country) is inside


def test_the_country_of_an_account():
    assert account_country(Account(iban=DE_COBA)) == "DE"
    assert account_country(Account(iban=CH_IBAN), Agent(bic="ABNANL2A")) == "CH"       # the IBAN wins
    assert account_country(Account(other_id="1"), Agent(bic="ISBKTRIS")) == "TR"       # BIC characters 5-6
    assert account_country(Account(other_id="1", servicer=Agent(bic="COBADEFF"))) == "DE"
    assert account_country(Account(other_id="1"), Agent(name="Bank", country="US")) == "US"
    assert account_country(Account(other_id="1")) is None
    assert account_country(None, None) is None
    assert account_country(Account(iban=TR_IBAN)) == "TR"
    assert account_country(Account(iban=NL_ABNA)) == "NL"
