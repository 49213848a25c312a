"""authlib's model interfaces over the stored rows (``gateway.persistence.models``).

authlib asks its models questions (``check_client_secret``, ``is_expired``,
``get_scope`` ...); the rows know nothing of authlib (the persistence layer
may not import it), so thin adapters answer for them here.

Scopes:

* ``consents``: create, read and revoke the client's own consent resources;
  the only scope of the client-credentials grant.
* ``wallet``: move money from the wallet provider's own settlement account
  (pay, withdraw, bulk payout); ``bank``: a bank client collecting its files
  and posting its reports.  Both, like ``consents``, come with client
  credentials, if the client is registered for them.
* ``accounts`` / ``payments``: use an authorised consent of that kind; only
  ever granted through the authorization-code flow, bound to the consent, so
  the scope of a code or token is exactly its consent's kind.
* ``admin``: the operator's admin API (``/admin/...``); held only by the
  operator's own client (``is_operator``), which holds nothing else and only
  ever uses client credentials.
"""

from __future__ import annotations

from datetime import datetime

from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, ClientMixin, TokenMixin
from authlib.oauth2.rfc6749.util import list_to_scope, scope_to_list

from gateway.persistence.models import AuthMethod, AuthorizationCode, OAuthClient, Token
from gateway.persistence.repositories.parties import ADMIN_SCOPE
from gateway.persistence.secrets import token_matches

CONSENTS_SCOPE = "consents"
WALLET_SCOPE = "wallet"
"""Move money from the wallet provider's own accounts (pay, withdraw, bulk payout)."""
BANK_SCOPE = "bank"
"""A bank fetching the payment files addressed to it and posting its reports (bank-api connector)."""
CLIENT_CREDENTIALS_SCOPES = (CONSENTS_SCOPE, WALLET_SCOPE, BANK_SCOPE)
"""What a client may hold on its own behalf, without a holder's consent."""
CONSENT_SCOPES = ("accounts", "payments")
SCOPES_SUPPORTED = (*CLIENT_CREDENTIALS_SCOPES, *CONSENT_SCOPES, ADMIN_SCOPE)
GRANT_TYPES = ("authorization_code", "client_credentials", "refresh_token")
AUTH_METHODS = (AuthMethod.CLIENT_SECRET_BASIC.value, AuthMethod.PRIVATE_KEY_JWT.value)
"""Client authentication at the token, revocation and introspection endpoints (RFC 7523 in rfc7523.py)."""


class Client(ClientMixin):
    def __init__(self, row: OAuthClient) -> None:
        self.row = row
        self.client_id = row.client_id

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> None:
        """None: every authorization request names its redirect URI, compared exactly."""
        return None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """The requested scope if the client may have all of it, else None (refused, never narrowed)."""
        if not scope:
            return ""
        requested = scope_to_list(scope)
        return list_to_scope(requested) if set(requested) <= set(self.row.scopes) else None

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.row.redirect_uris  # exact string match, no prefixes or patterns

    def check_client_secret(self, client_secret: str) -> bool:
        return self.row.disabled_at is None and token_matches(client_secret, self.row.client_secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        """Only the one method the client registered: a secret client cannot switch to an assertion,
        nor a ``private_key_jwt`` client to a secret (it has none), nor either to an unknown method."""
        return self.row.disabled_at is None and method == self.row.token_endpoint_auth_method.value \
            and method in AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and not self.row.is_operator

    def check_grant_type(self, grant_type: str) -> bool:
        """The operator's client uses client credentials only: no holder ever grants it anything."""
        if self.row.is_operator:
            return grant_type == "client_credentials"
        return grant_type in GRANT_TYPES


class Code(AuthorizationCodeMixin):
    def __init__(self, row: AuthorizationCode) -> None:
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope


class BearerToken(TokenMixin):
    def __init__(self, row: Token, now: datetime, kind: str = "access_token") -> None:
        self.row = row
        self.now = now
        self.kind = kind  # which of the row's two tokens was presented

    @property
    def consent_id(self) -> str | None:
        return self.row.consent_id

    def check_client(self, client: Client) -> bool:
        return self.row.client_id == client.get_client_id()

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_in(self) -> int:
        return max(0, int((self.row.access_expires_at - self.now).total_seconds()))

    def is_expired(self) -> bool:
        if self.kind == "refresh_token":
            return self.row.refresh_expires_at is None or self.now >= self.row.refresh_expires_at
        return self.now >= self.row.access_expires_at

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None or (self.kind == "refresh_token" and self.row.replaced_by is not None)
