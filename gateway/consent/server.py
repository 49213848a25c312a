"""The authorization server (authlib's Flask integration) and its machine endpoints:
``POST /oauth/token``, ``POST /oauth/revoke``, ``POST /oauth/introspect`` and
``GET /.well-known/oauth-authorization-server``.  The holder-facing
``/oauth/authorize`` is in ``authorize.py``.

OAuth errors keep the RFC 6749 §5.2 shape (``{"error", "error_description"}``,
``application/json``), not problem+json: every OAuth client library parses them.
"""

from __future__ import annotations

from authlib.integrations.flask_oauth2 import AuthorizationServer as FlaskAuthorizationServer
from authlib.oauth2.rfc6749 import InvalidClientError
from flask import Blueprint, Flask, current_app

from gateway.config import Settings
from gateway.consent import rfc6749, rfc8414
from gateway.consent.models import GRANT_TYPES, SCOPES_SUPPORTED
from gateway.consent.rfc7009 import RevocationEndpoint
from gateway.consent.rfc7523 import PrivateKeyJWT
from gateway.consent.rfc7636 import S256CodeChallenge
from gateway.consent.rfc7662 import IntrospectionEndpoint

EXTENSION = "gateway.oauth"
bp = Blueprint("oauth", __name__)


UNKNOWN_OR_WRONG = ("client authentication failed: the client id is unknown, the secret is wrong, or the client "
                    "is not registered for this method (client_secret_basic or private_key_jwt)")
_AUTHLIB_GENERIC = ("The client cannot authenticate with methods", "The client does not exist on this server")


class AuthorizationServer(FlaskAuthorizationServer):
    def authenticate_client(self, request, methods, endpoint="token"):
        """authlib's own refusals said "does not exist" for an unknown client id and "cannot
        authenticate with methods: [...]" for a wrong secret: the first tells a caller which ids
        exist, the second reads as a wrong method.  One message for both; the gateway's own
        refusals (a disabled client, a client assertion) keep theirs."""
        try:
            return super().authenticate_client(request, methods, endpoint)
        except InvalidClientError as exc:
            if exc.description and exc.description.startswith(_AUTHLIB_GENERIC):
                exc.description = UNKNOWN_OR_WRONG
            raise


def create_server(app: Flask, settings: Settings) -> AuthorizationServer:
    app.config.update(
        OAUTH2_SCOPES_SUPPORTED=list(SCOPES_SUPPORTED),
        OAUTH2_REFRESH_TOKEN_GENERATOR=True,
        OAUTH2_TOKEN_EXPIRES_IN=dict.fromkeys(GRANT_TYPES, settings.access_token_ttl),
    )
    server = AuthorizationServer(app, query_client=rfc6749.query_client, save_token=rfc6749.save_token)
    server.register_client_auth_method(PrivateKeyJWT.CLIENT_AUTH_METHOD, PrivateKeyJWT())
    server.register_grant(rfc6749.ClientCredentialsGrant)
    server.register_grant(rfc6749.AuthorizationCodeGrant, [S256CodeChallenge()])
    server.register_grant(rfc6749.RefreshTokenGrant)
    server.register_endpoint(RevocationEndpoint)
    server.register_endpoint(IntrospectionEndpoint)
    app.extensions[EXTENSION] = server
    return server


def server() -> AuthorizationServer:
    return current_app.extensions[EXTENSION]


@bp.post("/oauth/token")
def token():
    return server().create_token_response()


@bp.post("/oauth/revoke")
def revoke():
    return server().create_endpoint_response(RevocationEndpoint.ENDPOINT_NAME)


@bp.post("/oauth/introspect")
def introspect():
    return server().create_endpoint_response(IntrospectionEndpoint.ENDPOINT_NAME)


@bp.get("/.well-known/oauth-authorization-server")
def server_metadata():
    return dict(rfc8414.metadata())
