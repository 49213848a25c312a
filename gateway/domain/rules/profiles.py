"""Rule profiles: which of the scheme- and bank-specific rules apply.

The XSD is the same for every bank; what differs is the scheme (SEPA allows only
EUR, a restricted character set, 140 characters of remittance...) and the bank.
A profile is plain data, kept in YAML under ``mappings/profiles/``; reading the
file is the caller's business, ``load_profile`` turns the parsed mapping into a
checked ``RuleProfile`` and refuses anything it does not understand, so that a
typo in a key never silently switches a rule off.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from typing import Any

from gateway.domain.errors import InvalidInput
from gateway.domain.money import minor_units


@dataclass(frozen=True, slots=True)
class RuleProfile:
    name: str = "generic"
    description: str | None = None
    sepa_charset: bool = False
    """Free text limited to the EPC character set (a-z A-Z 0-9 / - ? : ( ) . , ' + space)."""
    sepa_identifiers: bool = False
    """MsgId, PmtInfId, InstrId, EndToEndId must not start or end with '/' nor contain '//'."""
    currencies: frozenset[str] | None = None
    """Allowed currencies; None allows every ISO 4217 currency."""
    single_currency: bool = False
    """All transactions of a batch in one currency."""
    require_iban: bool = False
    """Creditor accounts identified by IBAN."""
    require_bic: bool = False
    """Debtor and creditor agents identified by BIC."""
    require_structured_address: bool = False
    """Every postal address given has at least town name and country (structured or hybrid)."""
    max_remittance_length: int | None = None
    """Maximum total characters of unstructured remittance per transaction."""
    max_remittance_lines: int | None = None
    """Maximum number of unstructured remittance lines (Ustrd) per transaction."""
    max_amount: Decimal | None = None
    """Largest amount a single transaction may carry."""


GENERIC = RuleProfile()

_BOOLS = {"sepa_charset", "sepa_identifiers", "single_currency", "require_iban", "require_bic",
          "require_structured_address"}
_COUNTS = {"max_remittance_length", "max_remittance_lines"}


def _bad(message: str) -> InvalidInput:
    return InvalidInput(message, code="invalid_profile")


def _currencies(value: Any) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str) or not all(isinstance(c, str) for c in value):
        raise _bad("currencies must be a list of ISO 4217 codes")
    unknown = sorted(c for c in value if minor_units(c) is None)
    if unknown:
        raise _bad(f"currencies: {', '.join(unknown)} not ISO 4217")
    return frozenset(value)


def _amount(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, (float, bool)):
        raise _bad("max_amount must be written as a string or integer (amounts are never floats)")
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise _bad(f"max_amount: {value!r} is not a decimal amount") from None
    if not amount.is_finite() or amount <= 0:
        raise _bad(f"max_amount must be positive, got {value!r}")
    return amount


def load_profile(data: Mapping[str, Any]) -> RuleProfile:
    """A ``RuleProfile`` from plain data (a parsed YAML/JSON mapping); raises ``InvalidInput``."""
    known = {f.name for f in fields(RuleProfile)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise _bad(f"unknown profile keys: {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    if not isinstance(data.get("name"), str) or not data["name"]:
        raise _bad("a profile needs a name")
    values: dict[str, Any] = {"name": data["name"], "description": data.get("description")}
    for key in _BOOLS & set(data):
        if not isinstance(data[key], bool):
            raise _bad(f"{key} must be true or false, got {data[key]!r}")
        values[key] = data[key]
    for key in _COUNTS & set(data):
        count = data[key]
        if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
            raise _bad(f"{key} must be a positive integer or null, got {count!r}")
        values[key] = count
    values["currencies"] = _currencies(data.get("currencies"))
    values["max_amount"] = _amount(data.get("max_amount"))
    return RuleProfile(**values)
