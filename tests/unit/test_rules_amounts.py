"""Amount rules.  Currency decimals are the ISO 4217 list: EUR 2, JPY 0, BHD 3, CLF 4."""

from decimal import Decimal

import pytest

from gateway.domain.money import Money
from gateway.domain.rules.amounts import check_amount

AT = ("payment_informations", 0, "transactions", 0, "amount")


def findings(value, currency="EUR", **kwargs):
    return [(f.rule, f.reason, f.location, f.value)
            for f in check_amount(Money(Decimal(value), currency), AT, **kwargs)]


@pytest.mark.parametrize("value, currency", [
    ("0.01", "EUR"), ("100", "EUR"), ("100.5", "EUR"), ("100.50", "EUR"),
    ("100", "JPY"), ("1.234", "BHD"), ("1.2345", "CLF"),
    ("1234567890123456.78", "EUR"),  # 18 digits: the XSD maximum
])
def test_amounts_that_fit_their_currency(value, currency):
    assert findings(value, currency) == []


@pytest.mark.parametrize("value, currency", [
    ("100.001", "EUR"), ("100.5", "JPY"), ("100.00", "JPY"), ("1.2345", "BHD"), ("10.500", "EUR"),
])
def test_more_decimals_than_the_currency_has_is_am12(value, currency):
    assert findings(value, currency) == [("amount.decimals", "AM12", AT, value)]


def test_unknown_currency_is_am03_at_the_currency():
    assert findings("10.00", "ABC") == [("currency.unknown", "AM03", AT + ("currency",), "ABC")]
    # XAU (gold) has no minor units: not a payment currency.
    assert findings("10", "XAU")[0][:2] == ("currency.unknown", "AM03")


def test_zero_is_am01_unless_allowed():
    assert findings("0.00") == [("amount.zero", "AM01", AT, "0.00")]
    assert findings("0.00", allow_zero=True) == []


def test_negative_and_nan_are_am12():
    assert findings("-5.00") == [("amount.negative", "AM12", AT, "-5.00")]
    assert findings("NaN")[0][:2] == ("amount.invalid", "AM12")


def test_xsd_digit_limits():
    # 19 digits in total: one more than the XSD's totalDigits 18.
    assert findings("12345678901234567.89")[0][:2] == ("amount.digits", "AM12")
    assert findings("1234567890123456789")[0][:2] == ("amount.digits", "AM12")
    assert findings("123456789012345678") == []
    # 6 fraction digits: one more than fractionDigits 5 (reported instead of the currency decimals).
    assert findings("1.123456", "CLF")[0][:2] == ("amount.digits", "AM12")


def test_profile_limits():
    limit = Decimal("999999999.99")
    assert findings("999999999.99", max_amount=limit) == []
    assert findings("1000000000.00", max_amount=limit) == [("amount.maximum", "AM02", AT, "1000000000.00")]
    eur = frozenset({"EUR"})
    assert findings("10.00", "EUR", currencies=eur) == []
    assert findings("10.00", "USD", currencies=eur) == [
        ("currency.not_allowed", "AM03", AT + ("currency",), "USD")]
