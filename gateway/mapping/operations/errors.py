"""Typed refusals of wallet operations, each with a stable ``code`` for the edge.

They are all ``InvalidInput`` (the caller can fix the request or its context) and
carry findings whose ``location`` names the request field, so the answer says
where, not only what.  The codes tell apart the four moments a request can fail:

* ``unknown_operation``: no such operation (no file in ``mappings/operations``);
* ``invalid_operation``: the body does not match the operation's JSON Schema, or
  breaks a rule the schema cannot say (decimals of the currency, a repeated
  EndToEndId);
* ``operation_refused``: a valid body that cannot be carried out in this context
  (no settlement account configured, an account that is not the consent's, an
  execution date in the past);
* ``payment_refused``: a planned payment the chosen scheme cannot carry (SEPA:
  euro only, charge bearer SLEV, IBANs in the SEPA zone; elsewhere: the
  creditor's BIC for a cross-border payment).
"""

from __future__ import annotations

from gateway.domain.errors import GatewayError, InvalidInput


class UnknownOperation(InvalidInput):
    code = "unknown_operation"


class InvalidOperation(InvalidInput):
    code = "invalid_operation"


class OperationRefused(InvalidInput):
    code = "operation_refused"


class PaymentRefused(InvalidInput):
    code = "payment_refused"


class EmptyBatch(InvalidInput):
    """A pain.001 carries at least one transaction; assembling none is a caller's bug."""

    code = "empty_batch"


class OperationSpecError(GatewayError):
    """A file in ``mappings/operations`` (or its schema) is wrong: a deployment error, not the caller's."""

    code = "invalid_operation_spec"
