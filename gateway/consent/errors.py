"""Errors of the OAuth and consent layer, mapped to problems in ``gateway.api.errors``."""

from __future__ import annotations

from gateway.domain.errors import GatewayError


class AuthorizationRefused(GatewayError):
    """The authorization request cannot go on; shown to the account holder as a page, never
    redirected (the application may be the wrong one, or the redirect URI unknown)."""

    code = "authorization_refused"

    def __init__(self, title: str, explanation: str, *, status: int) -> None:
        super().__init__(explanation)
        self.title, self.status = title, status


class InvalidToken(GatewayError):
    """No bearer token, or one that is unknown, expired or revoked (401 with WWW-Authenticate)."""

    code = "invalid_token"

    def __init__(self, message: str, *, code: str | None = None, error: str | None = "invalid_token") -> None:
        super().__init__(message, code=code)
        challenge = 'Bearer realm="gateway"' + (f', error="{error}"' if error else "")
        self.headers = {"WWW-Authenticate": challenge}


class InsufficientScope(GatewayError):
    """The token is valid but does not cover this call (403 with WWW-Authenticate)."""

    code = "insufficient_scope"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.headers = {"WWW-Authenticate": 'Bearer realm="gateway", error="insufficient_scope"'}
