"""Router.check / check_batch: what stops the debtor's bank taking a payment, with the
ExternalStatusReason1Code a bank would answer (see gateway/routing/capabilities.py for why
each code) and the location of the field in the canonical model."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.domain.parties import Account, Party, PostalAddress
from gateway.domain.payments import Remittance
from gateway.routing import BankProfile, CapabilityMismatch, Router, read_bank
from tests.routing.payments import (
    ABN_BANK, CH_IBAN, DE_COBA, NL_MOCK, TR_IBAN, batch, block, summary, tx, write,
)

TX0 = ("payment_informations", 0, "transactions", 0)
STRUCTURED = PostalAddress(street_name="Damrak", building_number="1", post_code="1012 LG",
                           town_name="Amsterdam", country="NL")


def abn(tmp_path: Path, messages: str = "", currencies: str = '"EUR", "USD"') -> BankProfile:
    """The ABN test bank (NL ABNA, ABNANL2A) with extra [messages] lines."""
    text = (ABN_BANK.replace("[messages]\n", "[messages]\n" + messages)
            .replace('currencies = ["EUR", "USD"]', f"currencies = [{currencies}]"))
    return read_bank(write(tmp_path, "abn", text))


@pytest.fixture
def bank(tmp_path: Path) -> BankProfile:
    return abn(tmp_path)


@pytest.fixture
def router(bank: BankProfile) -> Router:
    return Router([bank])


def test_a_domestic_payment_the_bank_can_take_has_no_findings(router: Router, bank: BankProfile):
    assert router.check(bank, block()) == []
    assert router.check_batch(bank, batch()) == []
    assert router.require(bank, batch()) == []
    assert router.check("abn", block()) == []   # a bank id works too


# --- currency ----------------------------------------------------------------------------------

def test_a_currency_the_bank_does_not_take_is_am03(tmp_path: Path):
    bank = abn(tmp_path, currencies='"EUR"')
    findings = Router([bank]).check(bank, block(tx(currency="USD")))
    assert summary(findings) == [("routing.currency", "AM03", TX0 + ("amount", "currency"))]
    assert findings[0].value == "USD"


def test_every_currency_listed_is_taken(router: Router, bank: BankProfile):
    # NL -> NL in USD: domestic, and the bank lists USD
    assert router.check(bank, block(tx(currency="USD"), tx("E2E-2", currency="EUR"))) == []


# --- cross-border: creditor agent BIC ----------------------------------------------------------

def test_euro_inside_sepa_needs_no_creditor_bic(router: Router, bank: BankProfile):
    assert router.check(bank, block(tx(iban=DE_COBA), tx("E2E-2", iban=CH_IBAN))) == []


def test_a_cross_border_payment_without_creditor_bic_is_rc07(router: Router, bank: BankProfile):
    info = block(tx(iban=TR_IBAN), tx("E2E-2", currency="USD", iban=DE_COBA))
    findings = router.check(bank, info)
    assert summary(findings) == [
        ("routing.creditor_agent_bic", "RC07", TX0 + ("creditor_agent", "bic")),
        ("routing.creditor_agent_bic", "RC07", ("payment_informations", 0, "transactions", 1, "creditor_agent",
                                                "bic")),
    ]


def test_a_cross_border_payment_with_creditor_bic_is_fine(router: Router, bank: BankProfile):
    info = block(tx(iban=TR_IBAN, bic="ISBKTRIS"), tx("E2E-2", currency="USD", iban=DE_COBA, bic="COBADEFF"))
    assert router.check(bank, info) == []


def test_a_creditor_account_of_unknown_country_counts_as_cross_border(router: Router, bank: BankProfile):
    info = block(tx(iban=None, creditor_account=Account(other_id="987654321")))
    assert summary(router.check(bank, info)) == [("routing.creditor_agent_bic", "RC07",
                                                  TX0 + ("creditor_agent", "bic"))]
    known = block(tx(iban=None, creditor_account=Account(other_id="987654321"), bic="ABNANL2A"))
    assert router.check(bank, known) == []   # BIC says NL: domestic, and the BIC is there


# --- cross-border: a bank that pays at home only -----------------------------------------------

def test_a_domestic_only_bank_refuses_cross_border_with_ag03(tmp_path: Path):
    bank = abn(tmp_path, "cross_border = false\n")
    router = Router([bank])
    findings = router.check(bank, block(tx(iban=TR_IBAN, bic="ISBKTRIS")))
    assert summary(findings) == [("routing.cross_border", "AG03", TX0 + ("creditor_account", "iban"))]
    assert findings[0].value == TR_IBAN
    usd_abroad = router.check(bank, block(tx(currency="USD", iban=DE_COBA, bic="COBADEFF")))
    assert summary(usd_abroad) == [("routing.cross_border", "AG03", TX0 + ("creditor_account", "iban"))]


def test_a_domestic_only_bank_takes_domestic_and_sepa_euro(tmp_path: Path):
    bank = abn(tmp_path, "cross_border = false\n")
    info = block(tx(), tx("E2E-2", currency="USD"), tx("E2E-3", iban=DE_COBA), tx("E2E-4", iban=CH_IBAN))
    assert Router([bank]).check(bank, info) == []


def test_without_an_iban_ag03_points_at_the_creditor_bic(tmp_path: Path):
    bank = abn(tmp_path, "cross_border = false\n")
    info = block(tx(iban=None, creditor_account=Account(other_id="1"), bic="ISBKTRIS"))
    findings = Router([bank]).check(bank, info)
    assert summary(findings) == [("routing.cross_border", "AG03", TX0 + ("creditor_agent", "bic"))]


# --- structured addresses ----------------------------------------------------------------------

def test_address_lines_are_be04_where_the_bank_wants_structured_addresses(tmp_path: Path):
    bank = abn(tmp_path, "structured_address = true\n")
    lines = PostalAddress(lines=("Damrak 1", "1012 LG Amsterdam"), town_name="Amsterdam", country="NL")
    info = block(tx(creditor=Party(name="Creditor BV", postal_address=lines)),
                 tx("E2E-2", ultimate_creditor=Party(name="Ultimate", postal_address=lines)))
    findings = Router([bank]).check(bank, info)
    assert summary(findings) == [
        ("routing.address_lines", "BE04", TX0 + ("creditor", "postal_address", "lines", 0)),
        ("routing.address_lines", "BE04", ("payment_informations", 0, "transactions", 1, "ultimate_creditor",
                                           "postal_address", "lines", 0)),
    ]
    assert findings[0].value == "Damrak 1"


def test_a_structured_address_needs_town_and_country(tmp_path: Path):
    bank = abn(tmp_path, "structured_address = true\n")
    partial = PostalAddress(street_name="Damrak", building_number="1")
    findings = Router([bank]).check(bank, block(tx(creditor=Party(name="C", postal_address=partial))))
    assert summary(findings) == [
        ("address.structured", "BE04", TX0 + ("creditor", "postal_address", "town_name")),
        ("address.structured", "BE04", TX0 + ("creditor", "postal_address", "country")),
    ]


def test_structured_creditor_addresses_and_debtor_lines_pass(tmp_path: Path):
    bank = abn(tmp_path, "structured_address = true\n")
    info = block(tx(creditor=Party(name="C", postal_address=STRUCTURED), creditor_account=Account(iban=NL_MOCK)),
                 debtor=Party(name="D", postal_address=PostalAddress(lines=("Somewhere 1",))))
    assert Router([bank]).check(bank, info) == []   # the flag is about creditor addresses


def test_address_lines_are_fine_when_the_bank_does_not_ask(router: Router, bank: BankProfile):
    lines = PostalAddress(lines=("Damrak 1", "1012 LG Amsterdam"))
    assert router.check(bank, block(tx(creditor=Party(name="C", postal_address=lines)))) == []


# --- SEPA charge bearer ------------------------------------------------------------------------

def test_a_charge_bearer_other_than_slev_is_be19_under_sepa(tmp_path: Path):
    bank = abn(tmp_path, 'profile = "sepa"\n')
    info = block(tx(charge_bearer="SHAR"), tx("E2E-2", charge_bearer="SLEV"), tx("E2E-3"), charge_bearer="DEBT")
    findings = Router([bank]).check(bank, info)
    assert summary(findings) == [
        ("routing.charge_bearer", "BE19", ("payment_informations", 0, "charge_bearer")),
        ("routing.charge_bearer", "BE19", TX0 + ("charge_bearer",)),
    ]
    assert [f.value for f in findings] == ["DEBT", "SHAR"]


def test_any_charge_bearer_outside_sepa(router: Router, bank: BankProfile):
    assert router.check(bank, block(tx(charge_bearer="SHAR"), charge_bearer="DEBT")) == []


# --- the bank's rule profile -------------------------------------------------------------------

def test_the_banks_rule_profile_is_applied(tmp_path: Path):
    two_lines = tx(remittance=Remittance(unstructured=("Invoice 4711", "and 4712")))
    generic = abn(tmp_path)
    assert Router([generic]).check(generic, block(two_lines)) == []
    sepa = abn(tmp_path, 'profile = "sepa"\n')
    findings = Router([sepa]).check(sepa, block(two_lines))
    # EPC SCT: one unstructured remittance line (the second, index 1, is one too many)
    assert summary(findings) == [("remittance.lines", "FF01", TX0 + ("remittance", "unstructured", 1))]


def test_a_currency_refused_by_profile_and_bank_is_said_once(tmp_path: Path):
    bank = abn(tmp_path, 'profile = "sepa"\n', currencies='"EUR"')
    findings = Router([bank]).check(bank, block(tx(currency="USD")))
    assert [(f.reason, f.location) for f in findings] == [("AM03", TX0 + ("amount", "currency"))]


def test_generic_rules_always_apply(router: Router, bank: BankProfile):
    wrong = NL_MOCK[:-1] + "2"   # NL41MOCK0000000002: check digits no longer match
    findings = router.check(bank, block(tx(iban=wrong)))
    assert summary(findings) == [("iban.checksum", "AC01", TX0 + ("creditor_account", "iban"))]


def test_dates_are_checked_only_with_today(router: Router, bank: BankProfile):
    info = block()   # requested execution date 2026-09-30
    assert router.check(bank, info) == []
    findings = router.check(bank, info, today=date(2026, 10, 1))
    assert summary(findings) == [("execution_date.past", "DT01",
                                  ("payment_informations", 0, "requested_execution_date"))]


# --- the debtor side: the file goes to the debtor's own bank -----------------------------------

def test_a_debtor_account_the_bank_does_not_hold_is_ac02(router: Router, bank: BankProfile):
    findings = router.check(bank, block(iban=DE_COBA, bic=None))
    assert summary(findings) == [("routing.debtor_account", "AC02",
                                  ("payment_informations", 0, "debtor_account", "iban"))]


def test_a_debtor_agent_that_is_another_bank_is_rc06(router: Router, bank: BankProfile):
    findings = router.check(bank, block(bic="RABONL2U"))
    assert summary(findings) == [("routing.debtor_agent", "RC06", ("payment_informations", 0, "debtor_agent", "bic"))]
    assert router.check(bank, block(bic="ABNANL2AXXX")) == []   # the head office of ABNANL2A


# --- locations and whole batches ---------------------------------------------------------------

def test_findings_of_a_block_carry_its_index(tmp_path: Path):
    bank = abn(tmp_path, 'profile = "sepa"\n', currencies='"EUR"')
    info = block(tx(), tx("E2E-2", currency="USD", iban=NL_MOCK[:-1] + "2", charge_bearer="SHAR"))
    findings = Router([bank]).check(bank, info, index=3)
    at = ("payment_informations", 3, "transactions", 1)
    assert sorted(summary(findings)) == sorted([
        ("iban.checksum", "AC01", at + ("creditor_account", "iban")),         # generic rule
        ("currency.not_allowed", "AM03", at + ("amount", "currency")),         # SEPA profile: EUR only
        ("routing.charge_bearer", "BE19", at + ("charge_bearer",)),            # bank: SEPA, SLEV only
    ])


def test_a_batch_is_checked_block_by_block_and_as_a_whole(tmp_path: Path):
    bank = abn(tmp_path, currencies='"EUR"')
    whole = batch(block(), block(tx("E2E-2", currency="USD"), pmtinf_id="PMT-2"),
                  control_sum=Decimal("300.00"))   # 100.00 + 100.00 = 200.00 declared as 300.00
    findings = Router([bank]).check_batch(bank, whole)
    assert summary(findings) == [
        ("group.control_sum", "AM10", ("control_sum",)),
        ("routing.currency", "AM03", ("payment_informations", 1, "transactions", 0, "amount", "currency")),
    ]


def test_require_raises_capability_mismatch_with_the_findings(tmp_path: Path):
    bank = abn(tmp_path, currencies='"EUR"')
    router = Router([bank])
    with pytest.raises(CapabilityMismatch) as raised:
        router.require("abn", batch(block(tx(currency="USD"))))
    error = raised.value
    assert (error.code, error.bank_id) == ("bank_cannot_take_payment", "abn")
    assert summary(error.findings) == [("routing.currency", "AM03", TX0 + ("amount", "currency"))]


def test_check_uses_the_bank_it_is_given(tmp_path: Path, bank: BankProfile):
    euro_only = replace(bank, currencies=("EUR",))
    assert summary(Router([bank]).check(euro_only, block(tx(currency="USD")))) == [
        ("routing.currency", "AM03", TX0 + ("amount", "currency"))]
