"""RFC 7523 client authentication: ``private_key_jwt`` (the name OpenID Connect and RFC 8414
give it), on authlib's :class:`JWTBearerClientAssertion`.

The client signs a short JWT with its private key and sends it as ``client_assertion``
(with ``client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer``)
instead of a secret; the gateway checks it against the public keys registered for the
client (``oauth_clients.jwks``).  An assertion is accepted only if:

* the client is registered for ``private_key_jwt`` (a ``client_secret_basic`` client
  cannot switch to assertions, and has no keys to check them with);
* it is signed with RS256 or ES256 by one of the client's keys (``alg: none``, HMAC
  with the public key as secret and every other algorithm are refused);
* ``iss`` and ``sub`` are the client id, ``aud`` is the token endpoint's URL (the same URL
  the metadata document gives; accepted at revocation and introspection too);
* ``exp`` has not passed and is at most :data:`MAX_LIFETIME` ahead (a long-lived
  assertion is a reusable credential, and its ``jti`` would have to be kept that long);
* its ``jti`` has not been seen before: accepted ones are stored until they expire
  (``ClientAssertions``), so a captured assertion cannot be replayed, by any worker.

Time comes from the request's clock (``storage.now``), like every other expiry check.
A replay is audited (``client.assertion_replayed``) and, like every refusal here, is
``invalid_client``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from authlib.oauth2.rfc6749 import InvalidClientError
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from flask import request, url_for
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from gateway.consent import storage
from gateway.persistence.models import AuthMethod
from gateway.persistence.repositories.assertions import ClientAssertions

ALGORITHMS = ("RS256", "ES256")
LEEWAY = timedelta(seconds=30)
MAX_LIFETIME = timedelta(minutes=5)


def token_endpoint_url() -> str:
    """The audience assertions must name: the token endpoint, as the metadata document gives it."""
    return request.host_url.rstrip("/") + url_for("oauth.token")


class PrivateKeyJWT(JWTBearerClientAssertion):
    CLIENT_AUTH_METHOD = AuthMethod.PRIVATE_KEY_JWT.value

    def __init__(self) -> None:
        super().__init__(validate_jti=True, leeway=int(LEEWAY.total_seconds()))

    def get_audiences(self) -> list[str]:
        return [token_endpoint_url()]

    def resolve_client_public_key(self, client) -> KeySet:
        row = client.row
        if row.token_endpoint_auth_method != AuthMethod.PRIVATE_KEY_JWT or not row.jwks:
            raise InvalidClientError(description="this client is not registered for private_key_jwt; "
                                                 "authenticate with the method it was registered for")
        if row.disabled_at is not None:
            raise InvalidClientError(description="the client is disabled")
        try:
            return KeySet.import_key_set(row.jwks)
        except (JoseError, ValueError, TypeError):
            raise InvalidClientError(description="the client's registered keys cannot be read") from None

    def process_assertion_claims(self, assertion, resolve_key):
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=list(ALGORITHMS))
        except (JoseError, ValueError, TypeError) as exc:
            description = getattr(exc, "description", None) or "signature or algorithm not accepted"
            raise InvalidClientError(description=f"client assertion refused: {description}") from None
        self.verify_claims(token.claims)
        return token.claims

    def verify_claims(self, claims) -> None:
        now = storage.now()
        registry = jwt.JWTClaimsRegistry(
            now=int(now.timestamp()), leeway=self.leeway,
            iss={"essential": True}, sub={"essential": True}, jti={"essential": True},
            aud={"essential": True, "values": self.get_audiences()}, exp={"essential": True})
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise InvalidClientError(description=f"client assertion refused: {exc.description or exc.error}") \
                from None
        if claims["sub"] != claims["iss"]:
            raise InvalidClientError(description="client assertion refused: iss and sub must both be the client id")
        expires_at = datetime.fromtimestamp(claims["exp"], UTC)
        if expires_at > now + MAX_LIFETIME + LEEWAY:
            raise InvalidClientError(description=f"client assertion refused: it expires more than "
                                                 f"{int(MAX_LIFETIME.total_seconds())} s from now")
        if not self.validate_jti(claims, claims["jti"]):
            raise InvalidClientError(description="client assertion refused: this jti was used before "
                                                 "(an assertion is good for one request)")

    def validate_jti(self, claims, jti) -> bool:
        expires_at = datetime.fromtimestamp(claims["exp"], UTC) + LEEWAY
        assertions = ClientAssertions(storage.session(), storage.clock())
        return assertions.use(claims["sub"], jti, expires_at)
