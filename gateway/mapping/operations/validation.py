"""Is a wallet operation request well-formed?  The JSON Schema, then what it cannot say.

All findings come at once (a wallet fixes a 10,000-payment payout in one round
trip), each locating its field.  Beyond the schema:

* an amount with more decimals than its currency has (EUR 2, JPY 0, BHD 3), CH20
  ("number of decimal points not compatible with the currency"): the currency is
  another field, which JSON Schema cannot relate an amount's pattern to;
* an ``end_to_end_id`` given twice in one request, AM05 at the second, naming the
  first: it is the reconciliation key, so two payments must never share it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from gateway.domain.findings import Finding
from gateway.domain.money import decimals_of, minor_units
from gateway.mapping.operations.catalog import OperationCatalog, default_catalog
from gateway.mapping.operations.errors import InvalidOperation
from gateway.mapping.operations.planned import Location
from gateway.mapping.operations.schemas import natural_order
from gateway.mapping.operations.spec import OperationSpec
from gateway.mapping.operations.vocabulary import RequestFields


def validate_request(operation: str, body: object, *, catalog: OperationCatalog | None = None) -> None:
    """Raise ``InvalidOperation`` with every finding when ``body`` is not a valid ``operation``
    request (``UnknownOperation`` when there is no such operation)."""
    catalog = catalog or default_catalog()
    spec = catalog.spec(operation)
    findings = catalog.schemas.findings(spec.name, body)
    if isinstance(body, Mapping):
        flagged = {f.location for f in findings}
        views = list(_payments(spec, body))
        findings = sorted(findings + _decimals(views, flagged) + _repeated_end_to_end_ids(views, flagged),
                          key=lambda f: natural_order(f.location))
    if findings:
        raise InvalidOperation(f"the {operation} request is not valid: {len(findings)} finding(s), "
                               f"first at {_dotted(findings[0].location) or 'the body'}: {findings[0].message}",
                               findings)


def _payments(spec: OperationSpec, body: Mapping[str, Any]) -> Iterator[RequestFields]:
    """The payments of a body that may be invalid: only what has the right shape."""
    if spec.each is None:
        yield RequestFields(body, body)
        return
    items = body.get(spec.each)
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, Mapping):
                yield RequestFields(body, item, (spec.each, index))


def _decimals(views: list[RequestFields], flagged: set[Location]) -> list[Finding]:
    findings = []
    for fields in views:
        amount, where = fields.get("amount")
        currency, currency_at = fields.get("currency")
        if where in flagged or currency_at in flagged or not isinstance(amount, str) or not isinstance(currency, str):
            continue  # the schema has said what is wrong with them
        units = minor_units(currency)
        places = decimals_of(Decimal(amount))
        if units is not None and places > units:
            findings.append(Finding(rule="operation.amount", reason="CH20", location=where, value=amount,
                                    message=f"{currency} has {units} decimal(s), this amount has {places}"))
    return findings


def _repeated_end_to_end_ids(views: list[RequestFields], flagged: set[Location]) -> list[Finding]:
    first: dict[str, Location] = {}
    findings = []
    for fields in views:
        value = fields.item.get("end_to_end_id")
        where = fields.base + ("end_to_end_id",)
        if not isinstance(value, str) or where in flagged:
            continue
        if value in first:
            findings.append(Finding(rule="operation.end_to_end_id", reason="AM05", location=where, value=value,
                                    extra={"first_location": _dotted(first[value])},
                                    message=f"end_to_end_id {value!r} is already used by {_dotted(first[value])}"))
        else:
            first[value] = where
    return findings


def _dotted(location: Location) -> str:
    return ".".join(str(part) for part in location)
