"""Rule profiles: plain data in, a checked RuleProfile out; the shipped YAML files load."""

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from gateway.domain.errors import InvalidInput
from gateway.domain.rules import GENERIC, RuleProfile, load_profile

PROFILES = Path(__file__).resolve().parents[2] / "mappings" / "profiles"


def read(name):
    return load_profile(yaml.safe_load((PROFILES / f"{name}.yaml").read_text(encoding="utf-8")))


def test_sepa_yaml():
    sepa = read("sepa")
    assert sepa.name == "sepa"
    assert sepa.sepa_charset and sepa.sepa_identifiers and sepa.single_currency and sepa.require_iban
    assert sepa.currencies == frozenset({"EUR"})
    # EPC SCT rulebook: maximum 999 999 999.99 EUR, one remittance line of 140 characters.
    assert sepa.max_amount == Decimal("999999999.99")
    assert (sepa.max_remittance_length, sepa.max_remittance_lines) == (140, 1)
    assert not sepa.require_bic


def test_generic_yaml_is_the_default_profile():
    generic = read("generic")
    assert generic == RuleProfile(name="generic", description=generic.description)
    assert GENERIC == RuleProfile()


def test_minimal_profile_gets_defaults():
    assert load_profile({"name": "bank-x"}) == RuleProfile(name="bank-x")


@pytest.mark.parametrize("data, words", [
    ({"name": "x", "sepa_charst": True}, "sepa_charst"),        # typo must not silently disable a rule
    ({}, "name"),
    ({"name": "x", "sepa_charset": "yes"}, "true or false"),
    ({"name": "x", "currencies": ["EUR", "EURO"]}, "EURO"),
    ({"name": "x", "currencies": "EUR"}, "list"),
    ({"name": "x", "max_amount": 999999999.99}, "floats"),
    ({"name": "x", "max_amount": "-1"}, "positive"),
    ({"name": "x", "max_amount": "lots"}, "not a decimal"),
    ({"name": "x", "max_remittance_length": 0}, "positive integer"),
    ({"name": "x", "max_remittance_lines": True}, "positive integer"),
])
def test_bad_profiles_are_refused(data, words):
    with pytest.raises(InvalidInput) as caught:
        load_profile(data)
    assert words in caught.value.message
    assert caught.value.code == "invalid_profile"


def test_values_are_converted():
    profile = load_profile({"name": "x", "currencies": ["EUR", "CHF"], "max_amount": 5000})
    assert profile.currencies == frozenset({"EUR", "CHF"})
    assert profile.max_amount == Decimal(5000)
