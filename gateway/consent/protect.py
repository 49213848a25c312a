"""The resource protector: ``@require_oauth("accounts", consent_kind="accounts")``.

On every protected call, in this order:

1. a bearer token is present and known, not expired, not revoked → else 401
   ``invalid_token`` with ``WWW-Authenticate: Bearer`` (RFC 6750);
2. its scope covers the call → else 403 ``insufficient_scope``;
3. if the call needs a consent (``consent_kind``), the token is bound to one of
   that kind → else 403 ``insufficient_scope``; and that consent is still
   authorised and unexpired → else 403 ``consent_not_active``.

The token and its consent are then at ``current_token()`` / ``current_consent()``.
"""

from __future__ import annotations

import functools

from authlib.integrations.flask_oauth2 import ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import MissingAuthorizationError
from authlib.oauth2.rfc6750 import BearerTokenValidator, InsufficientScopeError
from flask import g

from gateway.consent import storage
from gateway.consent.errors import InsufficientScope, InvalidToken
from gateway.consent.models import BearerToken
from gateway.persistence.errors import ConsentNotActive
from gateway.persistence.models import Consent
from gateway.persistence.repositories import Consents, Tokens


class _Validator(BearerTokenValidator):
    def authenticate_token(self, token_string):
        row = Tokens(storage.session(), storage.clock()).find_by_access_token(token_string)
        return BearerToken(row, storage.now()) if row is not None else None


protector = ResourceProtector()
protector.register_token_validator(_Validator(realm="gateway"))


def require_oauth(scope: str, consent_kind: str | None = None):
    def decorator(view):
        @functools.wraps(view)
        def protected(*args, **kwargs):
            try:
                token = protector.acquire_token([scope])
            except MissingAuthorizationError:
                raise InvalidToken("send an access token: Authorization: Bearer <token>", code="missing_token",
                                   error=None) from None
            except InsufficientScopeError:
                raise InsufficientScope(f"the access token does not have the {scope!r} scope") from None
            except OAuth2Error:
                raise InvalidToken("the access token is unknown, expired or revoked") from None
            g.gateway_consent = _consent(token, consent_kind) if consent_kind else None
            return view(*args, **kwargs)

        return protected

    return decorator


def _consent(token: BearerToken, kind: str) -> Consent:
    if token.consent_id is None:
        raise InsufficientScope(f"this call needs a token issued for an authorised {kind} consent")
    consent = Consents(storage.session(), storage.clock()).get(token.consent_id)
    if consent.kind.value != kind:
        raise InsufficientScope(f"this token's consent is for {consent.kind.value}, not {kind}")
    if not consent.is_active(storage.now()):
        state = "expired" if consent.status.value == "authorised" else consent.status.value
        raise ConsentNotActive(f"the consent {consent.id} this token is bound to is {state}")
    return consent


def current_token() -> BearerToken:
    return g.authlib_server_oauth2_token


def current_consent() -> Consent | None:
    return g.get("gateway_consent")
