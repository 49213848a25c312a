"""Errors of reconciliation: input a caller should never pass.

What the *bank* got wrong is never raised: it comes back as an exception record
or a finding, because a wrong statement is data to store and show, not a crash."""

from __future__ import annotations

from gateway.domain.errors import GatewayError


class ReconciliationInputError(GatewayError):
    """Arguments that cannot be reconciled: an unknown payment status, statements of
    two accounts mixed in one continuity check, a negative booking window."""

    code = "reconciliation_input"
