"""RFC 8414 authorization server metadata at ``/.well-known/oauth-authorization-server``.

The issuer is the URL the request came in on (behind a reverse proxy, the proxy
must pass the original host); every endpoint is built from it so the document
never names a host the client did not use.
"""

from __future__ import annotations

from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from flask import request, url_for

from gateway.consent.models import AUTH_METHODS, GRANT_TYPES, SCOPES_SUPPORTED
from gateway.consent.rfc7523 import ALGORITHMS


def metadata() -> AuthorizationServerMetadata:
    issuer = request.host_url.rstrip("/")

    def url(endpoint: str) -> str:
        return issuer + url_for(endpoint)

    return AuthorizationServerMetadata({
        "issuer": issuer,
        "authorization_endpoint": url("holder.authorize"),
        "token_endpoint": url("oauth.token"),
        "revocation_endpoint": url("oauth.revoke"),
        "introspection_endpoint": url("oauth.introspect"),
        "scopes_supported": list(SCOPES_SUPPORTED),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": list(GRANT_TYPES),
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "token_endpoint_auth_signing_alg_values_supported": list(ALGORITHMS),
        "revocation_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "revocation_endpoint_auth_signing_alg_values_supported": list(ALGORITHMS),
        "introspection_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "introspection_endpoint_auth_signing_alg_values_supported": list(ALGORITHMS),
        "code_challenge_methods_supported": ["S256"],
    })
