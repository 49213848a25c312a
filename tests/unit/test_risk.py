"""The risk rules that hold a payment for review (gateway/services/risk.py), from their TOML."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gateway.services.risk import DailyUse, RiskConfigError, RiskRules, load_risk_rules

RULES = """
[amount_over]
EUR = "1000.00"
[daily]
count = 3
amount = { EUR = "1500.00" }
[blocked]
ibans = ["NL30 MOCK 0000 0000 05"]
names = ["Acme  Shell Company"]
"""


@pytest.fixture
def rules(tmp_path) -> RiskRules:
    path = tmp_path / "risk.toml"
    path.write_text(RULES, encoding="utf-8")
    return load_risk_rules(path)


def reasons(rules: RiskRules, amount: str, *, iban: str | None = "NL20INGB0001234567", name: str | None = "Bakker",
            count: int = 0, used: str = "0", currency: str = "EUR") -> list[str]:
    return rules.reasons(amount=Decimal(amount), currency=currency, creditor_iban=iban, creditor_name=name,
                         today=DailyUse(count, Decimal(used)))


def test_an_ordinary_payment_goes(rules):
    assert reasons(rules, "999.99") == []


def test_over_the_threshold_is_held_but_the_threshold_itself_is_not(rules):
    assert reasons(rules, "1000.00") == []
    assert reasons(rules, "1000.01") == ["amount 1000.01 EUR is over the review threshold of 1000.00 EUR"]


def test_thresholds_are_per_currency(rules):
    assert reasons(rules, "5000.00", currency="GBP") == []


def test_the_fourth_payment_of_the_day_is_held(rules):
    assert reasons(rules, "1.00", count=2) == []
    assert reasons(rules, "1.00", count=3) == ["more than 3 payments from this account today"]


def test_the_daily_total_counts_this_payment(rules):
    # 1,200.00 already sent today: 300.00 more makes exactly 1,500.00 (allowed), 300.01 does not.
    assert reasons(rules, "300.00", used="1200.00") == []
    assert reasons(rules, "300.01", used="1200.00") == [
        "payments from this account today would total 1500.01 EUR, over 1500.00 EUR"]


def test_blocked_counterparties_by_iban_and_by_name(rules):
    assert reasons(rules, "1.00", iban="nl30mock0000000005") == [
        "the creditor account nl30mock0000000005 is on the blocked-counterparty list"]
    assert reasons(rules, "1.00", name="ACME shell company") == [
        "the creditor 'ACME shell company' is on the blocked-counterparty list"]


def test_no_file_means_no_rules(tmp_path):
    assert load_risk_rules(tmp_path / "missing.toml") == RiskRules()


def test_the_shipped_file_turns_nothing_on():
    from gateway.config import ROOT

    assert load_risk_rules(ROOT / "config" / "risk.toml") == RiskRules()


@pytest.mark.parametrize("text, words", [
    ("[amount_ovr]\nEUR = '1'", "unknown section"),
    ("[amount_over]\nEUR = 1000", "in quotes"),
    ("[amount_over]\nEUR = '-5'", "more than zero"),
    ("[daily]\ncount = 0", "positive whole number"),
    ("[daily]\ncount = 'ten'", "positive whole number"),
    ("not toml", "not valid TOML"),
])
def test_bad_files_are_refused_with_the_key(tmp_path, text, words):
    path = tmp_path / "risk.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RiskConfigError, match=words):
        load_risk_rules(path)
