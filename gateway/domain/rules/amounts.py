"""Amounts the XSD lets through (or that never passed an XSD) but a bank will not take.

Reason codes, from ExternalStatusReason1Code:

* AM03 NotAllowedCurrency: the currency is not an ISO 4217 code with minor units
  (unknown code, or units such as XAU/XXX), or the profile does not allow it.
* AM01 ZeroAmount: the amount is zero.
* AM12 InvalidAmount: negative, not a finite number, more digits than the XSD
  decimal type holds (18 in total, 5 after the point), or more decimals than the
  currency has.  AM03 is deliberately not used for "too many decimals": it says
  the *currency* cannot be processed, whereas here the currency is fine and the
  amount cannot be expressed in it.
* AM02 NotAllowedAmount: above the profile's maximum (SEPA: 999 999 999.99 EUR).

Digits and decimals are counted as written (the Decimal's exponent), like
``Money.of`` and like banks' format checks: ``10.50`` JPY is wrong, and so is
``10.500`` EUR.  A value problem and a currency problem are reported at most once
each per amount; value problems point at the amount, currency problems at its
``currency`` (the ``Ccy`` attribute).
"""

from __future__ import annotations

from decimal import Decimal

from gateway.domain.findings import Finding
from gateway.domain.money import Money, decimals_of, known, minor_units
from gateway.domain.rules._walk import Location

MAX_TOTAL_DIGITS = 18
MAX_FRACTION_DIGITS = 5


def _digits(value: Decimal) -> tuple[int, int]:
    """(total, fraction) digits of a finite value as written; Decimal keeps no leading zeros."""
    _, digits, exponent = value.as_tuple()
    return len(digits) + max(int(exponent), 0), decimals_of(value)


def _value_problem(money: Money, allow_zero: bool, max_amount: Decimal | None) -> tuple[str, str, str] | None:
    """(rule, reason, message) for the amount itself, or None."""
    value = money.value
    if not value.is_finite():
        return "amount.invalid", "AM12", f"{value} is not a number"
    if value < 0:
        return "amount.negative", "AM12", "amounts are never negative; the direction is given elsewhere"
    if value == 0 and not allow_zero:
        return "amount.zero", "AM01", "amount is zero"
    total, fraction = _digits(value)
    if total > MAX_TOTAL_DIGITS or fraction > MAX_FRACTION_DIGITS:
        return "amount.digits", "AM12", (f"amounts have at most {MAX_TOTAL_DIGITS} digits, "
                                         f"{MAX_FRACTION_DIGITS} of them decimals; this one has "
                                         f"{total} and {fraction}")
    units = minor_units(money.currency)
    if units is not None and fraction > units:
        return "amount.decimals", "AM12", (f"{money.currency} has {units} decimals, "
                                           f"the amount is written with {fraction}")
    if max_amount is not None and value > max_amount:
        return "amount.maximum", "AM02", f"amount exceeds the maximum of {max_amount}"
    return None


def _currency_problem(currency: str, currencies: frozenset[str] | None) -> tuple[str, str] | None:
    if minor_units(currency) is None:
        return "currency.unknown", f"{currency!r} is not an ISO 4217 currency"
    if currencies is not None and currency not in currencies:
        return "currency.not_allowed", f"{currency} is not allowed here (allowed: {', '.join(sorted(currencies))})"
    return None


def check_amount(money: Money, location: Location, *, allow_zero: bool = False,
                 currencies: frozenset[str] | None = None,
                 max_amount: Decimal | None = None) -> list[Finding]:
    """Findings for one amount at ``location`` (the location of the Money field)."""
    if not known(money):
        return []  # unreadable: the parse or the XSD has said so
    findings = []
    currency = _currency_problem(money.currency, currencies)
    if currency:
        rule, message = currency
        findings.append(Finding(rule=rule, message=message, reason="AM03",
                                location=location + ("currency",), value=money.currency))
    problem = _value_problem(money, allow_zero, max_amount)
    if problem:
        rule, reason, message = problem
        findings.append(Finding(rule=rule, message=message, reason=reason,
                                location=location, value=str(money.value)))
    return findings
