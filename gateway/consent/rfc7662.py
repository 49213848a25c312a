"""RFC 7662 token introspection at ``POST /oauth/introspect``.

A client introspects only its own tokens: another client's token, like an
unknown, expired or revoked one, is ``{"active": false}``.  The answer adds
``consent_id`` for tokens bound to a consent.
"""

from __future__ import annotations

from authlib.oauth2 import rfc7662

from gateway.consent.models import AUTH_METHODS
from gateway.consent.rfc7009 import find_token


class IntrospectionEndpoint(rfc7662.IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = list(AUTH_METHODS)

    def query_token(self, token_string, token_type_hint):
        return find_token(token_string, token_type_hint)

    def check_permission(self, token, client, request):
        return token.check_client(client)

    def introspect_token(self, token):
        row = token.row
        body = {"active": True, "client_id": row.client_id, "scope": row.scope, "token_type": "Bearer",
                "exp": int(row.access_expires_at.timestamp()), "iat": int(row.issued_at.timestamp())}
        if row.consent_id:
            body["consent_id"] = row.consent_id
        return body
