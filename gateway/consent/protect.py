"""The resource protector: ``@require_oauth("accounts", consent_kind="accounts")``.

On every protected call, in this order:

1. a bearer token is present and known, not expired, not revoked → else 401
   ``invalid_token`` with ``WWW-Authenticate: Bearer`` (RFC 6750);
2. its scope covers the call (one of the scopes, if several are given) → else 403
   ``insufficient_scope``;
3. if the call needs a consent (``consent_kind``), the token is bound to one of
   that kind → else 403 ``insufficient_scope``; and that consent is still
   authorised and unexpired → else 403 ``consent_not_active``.

The token and its consent are then at ``current_token()`` / ``current_consent()``.

Why not authlib's ``ResourceProtector``: the checks are the ones above and nothing
more, and they run on every call, so they are done here in a few lines on a
prebuilt statement (``gateway.persistence.repositories.reads``) that returns a plain
record, not an ORM object: looking a token up is one indexed read.

``own_consent="consent_id"`` is for read-only calls about one of the client's own
consents (``GET /consents/{id}``): the token and that consent (with its accounts) are
read in *one* statement on the read connection (no transaction, ``storage.read``), and
``current_consent()`` is a read-only ``ConsentRecord``, or None if the client has no
consent with that id.  With ``consent_kind``, ``current_consent()`` is the ORM row in the
request's session, so that the call may update it (a payment counts against it).
"""

from __future__ import annotations

import functools

from authlib.oauth2.rfc6749.util import scope_to_list
from flask import g, request

from gateway.consent import storage
from gateway.consent.errors import InsufficientScope, InvalidToken
from gateway.consent.models import BearerToken
from gateway.persistence.errors import ConsentNotActive
from gateway.persistence.models import Consent
from gateway.persistence.repositories import Consents, reads
from gateway.persistence.repositories.reads import ConsentRecord

MISSING = "send an access token: Authorization: Bearer <token>"
UNKNOWN = "the access token is unknown, expired or revoked"


def require_oauth(scope: str | tuple[str, ...], consent_kind: str | None = None, *, own_consent: str | None = None):
    """``scope``: one scope, or a tuple of which any one will do (``("wallet", "payments")``)."""
    scopes = [scope] if isinstance(scope, str) else list(scope)

    def decorator(view):
        @functools.wraps(view)
        def protected(*args, **kwargs):
            presented = bearer_token()
            if own_consent is not None:
                consent_id = kwargs[own_consent]
                row, consent = storage.read(lambda c: reads.token_with_consent(c, presented, consent_id))
            else:
                row, consent = reads.token(storage.session(), presented), None
            token = _check(row, scopes)
            g.gateway_token = token
            g.gateway_consent = _consent(token, consent_kind) if consent_kind else consent
            return view(*args, **kwargs)

        return protected

    return decorator


def bearer_token() -> str:
    """The token of ``Authorization: Bearer <token>`` (RFC 6750 §2.1; the scheme in any case)."""
    header = request.headers.get("Authorization")
    if not header:
        raise InvalidToken(MISSING, code="missing_token", error=None)
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or " " in value:
        raise InvalidToken(UNKNOWN)
    return value


def _check(row: reads.TokenRecord | None, scopes: list[str]) -> BearerToken:
    if row is None:
        raise InvalidToken(UNKNOWN)
    token = BearerToken(row, storage.now())
    if token.is_expired() or token.is_revoked():
        raise InvalidToken(UNKNOWN)
    granted = set(scope_to_list(row.scope) or [])
    if not any(set(scope_to_list(scope)) <= granted for scope in scopes):
        raise InsufficientScope(f"the access token does not have the {' or '.join(map(repr, scopes))} scope")
    return token


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
    return g.gateway_token


def current_consent() -> Consent | ConsentRecord | None:
    return g.get("gateway_consent")
