"""RFC 6749 grants on the gateway's storage: client credentials, authorization
code (bound to a consent; PKCE in rfc7636.py) and refresh token (rotated).

Decisions:

* Client authentication is ``client_secret_basic`` or ``private_key_jwt``
  (RFC 7523, rfc7523.py), whichever the client registered; ``client_secret_post``
  (secrets in form bodies end up in logs) and ``none`` (public clients) are off.
* Client credentials give the ``consents``, ``wallet`` and ``bank`` scopes the
  client is registered for (``consents`` when none is asked), never ``accounts``
  or ``payments``: access to a holder's accounts or payments is only ever granted
  by the holder, through a consent and the code flow.  The operator's client gets ``admin`` (its
  default) and nothing else; no other client can ever get ``admin``.
* A code's scope is its consent's kind (``accounts`` or ``payments``); asking
  for anything else is ``invalid_scope``.  A code lives 60 seconds, is spent on
  its first redemption attempt (whatever the outcome), and redeeming it again
  revokes the tokens issued from it (``AuthorizationCodes.consume``).
* Refresh tokens rotate on every use; presenting a spent one revokes the whole
  family (``Tokens.authenticate_refresh``).  A refresh is refused once the
  consent is no longer authorised or has expired.
"""

from __future__ import annotations

from datetime import timedelta

from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError, InvalidScopeError, grants
from authlib.oauth2.rfc6749.util import list_to_scope, scope_to_list
from flask import current_app

from gateway.consent import storage
from gateway.consent.errors import AuthorizationRefused
from gateway.consent.models import (
    ADMIN_SCOPE,
    AUTH_METHODS,
    CLIENT_CREDENTIALS_SCOPES,
    CONSENTS_SCOPE,
    BearerToken,
    Client,
    Code,
)
from gateway.persistence.errors import NotFound
from gateway.persistence.models import ConsentStatus
from gateway.persistence.repositories import (
    SYSTEM,
    TRANSITIONS,
    AuthorizationCodes,
    Clients,
    Consents,
    Holders,
    TokenLifetimes,
    Tokens,
)

CODE_TTL = timedelta(seconds=60)


def _repo(cls):
    return cls(storage.session(), storage.clock())


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = list(AUTH_METHODS)

    def validate_token_request(self):
        super().validate_token_request()
        operator = self.client.row.is_operator
        requested = scope_to_list(self.request.payload.scope) or [ADMIN_SCOPE if operator else CONSENTS_SCOPE]
        allowed = {ADMIN_SCOPE} if operator else set(CLIENT_CREDENTIALS_SCOPES) & set(self.client.row.scopes)
        if not set(requested) <= allowed:
            if operator:
                raise InvalidScopeError("the operator's client gets the 'admin' scope and nothing else")
            raise InvalidScopeError("client credentials give only the consents, wallet and bank scopes the "
                                    "client is registered for; accounts and payments need a holder's consent")
        self.granted_scope = list_to_scope(requested)

    def create_token_response(self):
        token = self.generate_token(scope=self.granted_scope, include_refresh_token=False)
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = list(AUTH_METHODS)
    consent = None

    def validate_authorization_request(self):
        redirect_uri = super().validate_authorization_request()
        if self.consent is None:  # authlib validates again when it answers; the consent is decided by then
            self.consent = awaiting_consent(self.request.client.client_id, self.request.payload.data.get("consent_id"))
        consent = self.consent
        scope = scope_to_list(self.request.scope)
        if scope and scope != [consent.kind.value]:
            raise InvalidScopeError(f"this consent is for {consent.kind.value}; ask for scope={consent.kind.value}",
                                    redirect_uri=redirect_uri, state=self.request.payload.state)
        self.request.scope = consent.kind.value
        return redirect_uri

    def save_authorization_code(self, code, request):
        codes = _repo(AuthorizationCodes)
        row = codes.store(code=code, client_id=request.client.client_id, consent_id=self.consent.id,
                          holder_id=request.user.id, redirect_uri=request.payload.redirect_uri, scope=request.scope,
                          code_challenge=request.payload.data["code_challenge"], code_challenge_method="S256",
                          expires_at=storage.now() + CODE_TTL)
        codes.audit(f"holder:{request.user.username}", "code.issued", ("consent", self.consent.id),
                    client_id=request.client.client_id, family_id=row.family_id)

    def query_authorization_code(self, code, client):
        row = _repo(AuthorizationCodes).consume(code, client.client_id)
        return Code(row) if row else None

    def delete_authorization_code(self, authorization_code):
        """Nothing to do: ``consume`` marked it used (a used code is kept to detect its reuse)."""

    def authenticate_user(self, authorization_code):
        consent = _repo(Consents).get(authorization_code.row.consent_id)
        if not consent.is_active(storage.now()):
            raise InvalidGrantError("the consent this code was issued for is no longer authorised")
        return _repo(Holders).get(authorization_code.row.holder_id)


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = list(AUTH_METHODS)
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token):
        row = _repo(Tokens).authenticate_refresh(refresh_token, self.request.client.client_id)
        return BearerToken(row, storage.now()) if row else None

    def authenticate_user(self, refresh_token):
        consent_id = refresh_token.row.consent_id
        consent = _repo(Consents).get(consent_id) if consent_id else None
        if consent is None or not consent.is_active(storage.now()):
            raise InvalidGrantError("the consent this token was issued for is no longer authorised")
        return _repo(Holders).get(consent.holder_id)

    def revoke_old_credential(self, refresh_token):
        """Nothing to do: ``Tokens.rotate`` (in ``save_token``) spent and revoked it."""


def awaiting_consent(client_id: str, consent_id: str | None):
    """The client's consent, if it can still be authorised; else a page-worthy refusal.
    A consent found past its expiry is marked expired on the way (audited)."""
    if not consent_id:
        raise AuthorizationRefused("consent_id is missing", "The application did not say which consent it asks "
                                   "you to authorise (no consent_id).", status=400)
    consents = _repo(Consents)
    try:
        consent = consents.get_for_client(client_id, consent_id)
    except NotFound:
        raise AuthorizationRefused("unknown consent", "This application has no consent with this id: the link is "
                                   "wrong, or it belongs to another application.", status=404) from None
    if consent.expires_at <= storage.now():
        if consent.status in TRANSITIONS:
            consents.transition(consent, ConsentStatus.EXPIRED, actor=SYSTEM, reason="expiry date passed")
        raise AuthorizationRefused("consent expired", "This consent request has expired. Go back to the "
                                   "application and start again.", status=410)
    if consent.status != ConsentStatus.AWAITING_AUTHORISATION:
        raise AuthorizationRefused(f"consent {consent.status.value}",
                                   f"This consent was already decided on (it is {consent.status.value}); "
                                   "nothing more to do here.", status=409)
    return consent


def save_token(token: dict, request) -> None:
    """Store what authlib issued (by hash), bound to the code's consent or the rotated token's."""
    now = storage.now()
    tokens = _repo(Tokens)
    actor = f"client:{request.client.client_id}"
    access_expires_at = now + timedelta(seconds=token["expires_in"])
    refresh_expires_at = now + timedelta(seconds=request_settings().refresh_token_ttl)
    if isinstance(request.refresh_token, BearerToken):
        tokens.rotate(request.refresh_token.row, access_token=token["access_token"],
                      refresh_token=token["refresh_token"], scope=token.get("scope"), actor=actor,
                      lifetimes=TokenLifetimes(access_expires_at, refresh_expires_at))
    elif isinstance(request.authorization_code, Code):
        code = request.authorization_code.row
        tokens.store(access_token=token["access_token"], refresh_token=token.get("refresh_token"),
                     client_id=code.client_id, scope=token.get("scope", code.scope), consent_id=code.consent_id,
                     family_id=code.family_id, access_expires_at=access_expires_at,
                     refresh_expires_at=refresh_expires_at if token.get("refresh_token") else None, actor=actor)
    else:
        if token.get("refresh_token"):  # pragma: no cover - client credentials never get one
            raise InvalidRequestError("no refresh token without a consent")
        tokens.store(access_token=token["access_token"], client_id=request.client.client_id,
                     scope=token.get("scope", ""), access_expires_at=access_expires_at, actor=actor)


def request_settings():
    return current_app.config["GATEWAY_SETTINGS"]


def query_client(client_id: str) -> Client | None:
    row = _repo(Clients).find(client_id)
    return Client(row) if row is not None and row.disabled_at is None else None
