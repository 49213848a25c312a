"""IBAN, BIC and creditor reference rules.  Expected values come from published examples and
hand arithmetic, not from schwifty or python-stdnum, which are the implementations under test."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.domain.rules.identifiers import (
    bic_issue,
    bic_problem,
    check_bic,
    check_iban,
    creditor_reference_issue,
    creditor_reference_problem,
    iban_issue,
    iban_problem,
)

# Example IBANs printed in the SWIFT IBAN Registry (one per country entry) unless noted.
VALID_IBANS = [
    "DE89370400440532013000",       # IBAN registry, Germany
    "GB29NWBK60161331926819",       # IBAN registry, United Kingdom
    "GB82WEST12345698765432",       # ECBS EBS204 / Wikipedia "IBAN" worked example
    "NL91ABNA0417164300",           # IBAN registry, Netherlands
    "FR1420041010050500013M02606",  # IBAN registry, France (letter inside the BBAN)
    "BE68539007547034",             # IBAN registry, Belgium
    "AT611904300234573201",         # IBAN registry, Austria
    "CH9300762011623852957",        # IBAN registry, Switzerland
    "IT60X0542811101000000123456",  # IBAN registry, Italy (CIN letter first)
    "ES9121000418450200051332",     # IBAN registry, Spain
]

# Published BICs of well-known banks (SWIFT BIC directory / the banks' own sites).
VALID_BICS = [
    "DEUTDEFF",     # Deutsche Bank, Frankfurt (8 characters)
    "DEUTDEFF500",  # Deutsche Bank, Frankfurt branch 500
    "COBADEFFXXX",  # Commerzbank, primary office XXX
    "NWBKGB2L",     # NatWest, London
    "ABNANL2A",     # ABN AMRO, Amsterdam
    "BNPAFRPPXXX",  # BNP Paribas, Paris
    "UBSWCHZH80A",  # UBS, Zurich
    "RBKOXKPR",     # Raiffeisen Bank Kosovo: XK is a SWIFT country code outside ISO 3166
]


@pytest.mark.parametrize("iban", VALID_IBANS)
def test_published_ibans_are_valid(iban):
    assert iban_problem(iban) is None
    assert check_iban(iban, ("iban",)) == []


def test_hand_worked_mod97_of_the_gb82_example():
    # ISO 13616 by hand: move "GB82" to the end -> WEST12345698765432GB82, letters to numbers
    # (A=10 ... Z=35: W=32 E=14 S=28 T=29 G=16 B=11) -> 3214282912345698765432161182.
    # Piecewise mod 97 (9 digits at a time, carrying the remainder):
    #   321428291 mod 97 = 70;  702345698 mod 97 = 29;  297654321 mod 97 = 24;  2461182 mod 97 = 1.
    assert 321428291 % 97 == 70 and 702345698 % 97 == 29
    assert 297654321 % 97 == 24 and 2461182 % 97 == 1
    assert iban_problem("GB82WEST12345698765432") is None
    # Computing the check digits by hand: with "00" the number ends ...161100, and
    # 3214282912345698765432161100 mod 97 = 16, so the check digits are 98 - 16 = 82.
    assert 3214282912345698765432161100 % 97 == 16 and 98 - 16 == 82
    for wrong in ("00", "01", "81", "83", "99"):
        assert iban_issue(f"GB{wrong}WEST12345698765432")[0] == "iban.checksum"


def test_checksum_and_length_errors_are_told_apart():
    # Transposed digits (…0532… -> …0523…): right length, wrong check digits.
    rule, message = iban_issue("DE89370400440523013000")
    assert rule == "iban.checksum" and "check digits" in message
    # One digit dropped: the length is wrong for Germany (22 characters).
    rule, message = iban_issue("DE8937040044053201300")
    assert rule == "iban.length"
    assert "22" in message and "21" in message


@pytest.mark.parametrize("value, rule", [
    ("DE89 3704 0044 0532 0130 00", "iban.format"),   # paper format with spaces
    ("de89370400440532013000", "iban.format"),        # lower case
    ("DE8937040044053201300!", "iban.format"),
    ("", "iban.format"),
    ("XX89370400440532013000", "iban.country"),       # XX is no IBAN country
    ("DE8937040044053201300A", "iban.structure"),     # German BBAN is 18 digits
])
def test_malformed_ibans(value, rule):
    assert iban_issue(value)[0] == rule


def test_iban_finding_carries_reason_location_and_value():
    location = ("payment_informations", 0, "transactions", 1, "creditor_account", "iban")
    [finding] = check_iban("DE88370400440532013000", location)
    assert (finding.rule, finding.reason, finding.location, finding.value) == (
        "iban.checksum", "AC01", location, "DE88370400440532013000")


@given(position=st.integers(min_value=2, max_value=21), delta=st.integers(min_value=1, max_value=9))
def test_every_single_digit_substitution_is_caught(position, delta):
    # MOD 97-10 detects every single substitution: the number changes by d*10^k, never a multiple of 97.
    iban = "DE89370400440532013000"
    digit = str((int(iban[position]) + delta) % 10)
    assert iban_issue(iban[:position] + digit + iban[position + 1:])[0] == "iban.checksum"


@pytest.mark.parametrize("bic", VALID_BICS)
def test_published_bics_are_valid(bic):
    assert bic_problem(bic) is None
    assert check_bic(bic, ("bic",)) == []


@pytest.mark.parametrize("value, rule", [
    ("DEUTDEF", "bic.format"),        # 7 characters
    ("DEUTDEFF5", "bic.format"),      # 9
    ("DEUTDEFF50", "bic.format"),     # 10
    ("deutdeff", "bic.format"),       # lower case
    ("DEUT1EFF", "bic.format"),       # country must be letters
    ("DEUTDEF-", "bic.format"),
    ("DEUTXXFF", "bic.country"),      # XX is not a country
    ("DEUTQQFF500", "bic.country"),
])
def test_malformed_bics(value, rule):
    assert bic_issue(value)[0] == rule


def test_bic_finding_uses_rc01():
    [finding] = check_bic("DEUTXXFF", ("payment_informations", 0, "debtor_agent", "bic"))
    assert finding.reason == "RC01" and finding.rule == "bic.country" and finding.value == "DEUTXXFF"
    assert "XX" in finding.message


# --- ISO 11649 structured creditor references ----------------------------------------------------

# Examples printed for ISO 11649 (the standard's RF18 5390 0754 7034, the others the Creditor
# Reference article's), in electronic format.
VALID_RF_REFERENCES = ["RF18539007547034", "RF45G72UUR", "RF6518K5", "RF712348231"]


@pytest.mark.parametrize("reference", VALID_RF_REFERENCES)
def test_published_rf_references_are_valid(reference):
    assert creditor_reference_problem(reference) is None


def test_hand_worked_mod97_of_rf18():
    # As an IBAN: "RF18" to the end -> 539007547034RF18, R=27 F=15 -> 539007547034271518, mod 97 = 1;
    # with "00" for the check digits the remainder is 80, so they are 98 - 80 = 18.
    assert 539007547034271518 % 97 == 1
    assert 539007547034271500 % 97 == 80 and 98 - 80 == 18


@pytest.mark.parametrize("reference, rule, words", [
    ("RF17539007547034", "creditor_reference.checksum", "check digits do not match"),  # 18 -> 17
    ("RF18539007574034", "creditor_reference.checksum", "check digits do not match"),  # 47 swapped to 74
    ("RF18", "creditor_reference.length", "this one has 4"),
    ("RF18" + "1" * 22, "creditor_reference.length", "this one has 26"),             # 21 after the check digits
    ("RF18539007547_34", "creditor_reference.format", "only letters A-Z and digits"),
    ("RF18\u0665\u0663\u0669", "creditor_reference.format", "only letters A-Z and digits"),  # Arabic-Indic digits
    ("RF18 5390 0754 7034", "creditor_reference.format", "electronic format): RF18539007547034"),  # printed format
    ("rf18539007547034", "creditor_reference.format", "electronic format): RF18539007547034"),
])
def test_a_wrong_rf_reference_says_what_is_wrong(reference, rule, words):
    found = creditor_reference_issue(reference)
    assert found is not None and found[0] == rule and words in found[1]


@pytest.mark.parametrize("reference", [
    "123456789012",          # a Finnish national reference (digits only)
    "+++090/9337/55493+++",  # a Belgian structured communication
    "INV-2026-0042",         # a creditor's own invoice number
    "RFQ-2026-17",           # starts with RF, but not RF and two check digits
])
def test_references_that_are_not_rf_are_not_checked(reference):
    assert creditor_reference_problem(reference) is None
