"""Typed errors.  Each carries a stable machine-readable ``code`` so that the
edge (CLI exit status, HTTP problem+json) can translate it once."""

from __future__ import annotations

from gateway.domain.findings import Finding


class GatewayError(Exception):
    """Base of every error the gateway raises on purpose."""

    code = "gateway_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0])


class InvalidInput(GatewayError):
    """Input that cannot be used at all; ``findings`` say where and why."""

    code = "invalid_input"

    def __init__(self, message: str, findings: list[Finding] | None = None, *, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.findings = list(findings or [])


class UnsupportedMessage(GatewayError):
    """A message type or version the gateway has no mapping for."""

    code = "unsupported_message"


class SchemaUnavailable(GatewayError):
    """The XSD for a message is not in the local schema store (run ``gateway schemas sync``)."""

    code = "schema_unavailable"
