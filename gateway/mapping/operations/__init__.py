"""Wallet operations → canonical payments, declaratively (``pay``, ``transfer``,
``top-up``, ``withdraw``, ``bulk-payout``).

A wallet provider POSTs an operation as JSON; three pure steps turn it into a
pain.001 ``PaymentBatch`` that ``gateway.iso20022.build`` writes:

    validate_request(operation, body)             # JSON Schema + what it cannot say; all findings at once
    planned = plan(operation, body, context, new_end_to_end_id=...)   # accounts, codes, dates
    batch = assemble(planned, message_id=..., created_at=..., initiating_party=...,
                     new_payment_information_id=..., sepa=True)       # blocks, control figures, scheme rules

What differs between operations is data: ``schemas/operations/<operation>.json``
(the request) and ``mappings/operations/<operation>.yaml`` (whose account is the
debtor and the creditor, and the default codes).  The payment resource and the
answer to an operation are ``schemas/operations/payment.json`` and
``accepted.json``; ``response_schema()`` gives the answer's schema as one
self-contained document.

Every refusal is an ``InvalidInput`` with a stable code and findings whose
``location`` names the request field (see errors.py).
"""

from __future__ import annotations

from typing import Any

from gateway.mapping.operations.assembly import assemble
from gateway.mapping.operations.catalog import OperationCatalog, default_catalog
from gateway.mapping.operations.endpoints import Endpoint, OperationContext
from gateway.mapping.operations.errors import (
    EmptyBatch, InvalidOperation, OperationRefused, OperationSpecError, PaymentRefused, UnknownOperation,
)
from gateway.mapping.operations.planned import Origin, PlannedPayment
from gateway.mapping.operations.planning import plan
from gateway.mapping.operations.validation import validate_request

OPERATIONS: tuple[str, ...] = default_catalog().names


def request_schema(operation: str) -> dict[str, Any]:
    """The request schema of ``operation``, self-contained (for the OpenAPI document)."""
    catalog = default_catalog()
    return catalog.schemas.bundle(catalog.spec(operation).name)


def payment_schema() -> dict[str, Any]:
    """The payment resource's schema, self-contained."""
    return default_catalog().schemas.bundle("payment")


def response_schema() -> dict[str, Any]:
    """The schema of the answer to an accepted operation (``accepted.json``), self-contained."""
    return default_catalog().schemas.bundle("accepted")


__all__ = [
    "OPERATIONS", "EmptyBatch", "Endpoint", "InvalidOperation", "OperationCatalog", "OperationContext",
    "OperationRefused", "OperationSpecError", "Origin", "PaymentRefused", "PlannedPayment", "UnknownOperation",
    "assemble", "payment_schema", "plan", "request_schema", "response_schema", "validate_request",
]
