"""Money: a Decimal and an ISO 4217 currency code."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

import iso4217

from gateway.domain.errors import GatewayError


class InvalidAmount(GatewayError):
    code = "invalid_amount"


@lru_cache(maxsize=None)
def minor_units(currency: str) -> int | None:
    """Number of decimals the currency allows (EUR 2, JPY 0, BHD 3); None if unknown."""
    try:
        exponent = iso4217.Currency(currency).exponent
    except (ValueError, KeyError):
        return None
    return exponent


def money_text(value: Decimal, currency: str) -> str:
    """``500.00 EUR``: the amount as the currency writes it, for messages to people."""
    return f"{amount_text(value, currency)} {currency}"


def amount_text(value: Decimal, currency: str) -> str:
    """The amount as JSON carries it: a string with the currency's decimals ("12.50", "1000" for
    JPY); a stored amount with more decimals than the currency has is shown as it is, never rounded."""
    units = minor_units(currency)
    if units is None or decimals_of(value.normalize()) > units:
        return format(value.normalize(), "f")
    return f"{value:.{units}f}"


def decimals_of(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in a currency.  Construction is lenient so that a deviating file
    can still be read; ``Money.of`` is the strict door used for new payments."""

    value: Decimal
    currency: str

    @classmethod
    def of(cls, value: str | int | Decimal, currency: str) -> "Money":
        if isinstance(value, float):
            raise InvalidAmount("amounts are never floats; pass a string or Decimal")
        try:
            amount = Decimal(value)
        except ArithmeticError as exc:
            raise InvalidAmount(f"{value!r} is not a decimal amount") from exc
        if not amount.is_finite() or amount <= 0:
            raise InvalidAmount(f"amount must be a positive number, got {value!r}")
        units = minor_units(currency)
        if units is None:
            raise InvalidAmount(f"{currency!r} is not an ISO 4217 currency", code="invalid_currency")
        if decimals_of(amount) > units:
            raise InvalidAmount(f"{currency} allows {units} decimals, got {value!r}")
        return cls(amount, currency)

    def __str__(self) -> str:
        return f"{self.value} {self.currency}"


def known(money: "Money | None") -> bool:
    """Whether an amount could be read at all.  A lenient parse leaves an unreadable
    amount empty (and says so); rules that add amounts up then stand aside rather
    than report a sum they cannot know."""
    return money is not None and money.value is not None
