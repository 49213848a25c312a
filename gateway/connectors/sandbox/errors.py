"""Errors the sandbox bank raises on purpose, each with a stable ``code``.

They are connector errors (so the gateway's edges already know how to show
them); the file-level refusal of a payment file is the interface's own
``DeliveryRefused`` and is not repeated here."""

from __future__ import annotations

from gateway.connectors.base import ConnectorError


class SandboxError(ConnectorError):
    """Base of the sandbox's own errors."""

    code = "sandbox_error"


class ClockBackwards(SandboxError):
    """The bank date only moves forward: statements already issued cannot be taken back."""

    code = "sandbox_clock_backwards"


class UnknownAccount(SandboxError):
    """An operation named an account the sandbox does not hold."""

    code = "sandbox_unknown_account"
