"""RFC 7009 token revocation at ``POST /oauth/revoke``.

Revoking an access or a refresh token revokes its whole family (every token
issued from the same code or refresh chain), as RFC 7009 §2.1 allows.  A token
the client does not own, or one unknown, is answered 200 and left alone: the
client learns nothing about other clients' tokens.
"""

from __future__ import annotations

from authlib.oauth2 import rfc7009

from gateway.consent import storage
from gateway.consent.models import BearerToken
from gateway.consent.models import AUTH_METHODS
from gateway.persistence.repositories import Tokens


def find_token(token_string: str, hint: str | None) -> BearerToken | None:
    """Look the token up as the hinted type first, then as the other (the hint is only a hint)."""
    tokens = Tokens(storage.session(), storage.clock())
    finders = [("access_token", tokens.find_by_access_token), ("refresh_token", tokens.find_by_refresh_token)]
    if hint == "refresh_token":
        finders.reverse()
    for kind, find in finders:
        row = find(token_string)
        if row is not None:
            return BearerToken(row, storage.now(), kind)
    return None


class RevocationEndpoint(rfc7009.RevocationEndpoint):
    CLIENT_AUTH_METHODS = list(AUTH_METHODS)

    def authenticate_token(self, request, client):
        self.check_params(request, client)
        token = self.query_token(request.form["token"], request.form.get("token_type_hint"))
        return token if token is not None and token.check_client(client) else None

    def query_token(self, token_string, token_type_hint):
        return find_token(token_string, token_type_hint)

    def revoke_token(self, token, request):
        Tokens(storage.session(), storage.clock()).revoke_family(
            token.row.family_id, actor=f"client:{request.client.client_id}", reason="revoked by the client (RFC 7009)")
