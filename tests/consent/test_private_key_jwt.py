"""``private_key_jwt`` client authentication (RFC 7523) at the token, revocation and
introspection endpoints, with keys generated here; every refusal has its test.
SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets as pysecrets
from dataclasses import dataclass
from datetime import timedelta

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from gateway.persistence.db import Database
from gateway.persistence.models import AuthMethod, ClientAssertion, ClientKind
from gateway.persistence.repositories import AuditLog, Clients
from gateway.persistence.secrets import hash_token
from tests.consent.conftest import OPERATOR, bearer, cc_token, create_consent

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_URL = "http://localhost/oauth/token"


@dataclass
class Signer:
    """A private_key_jwt client as the test drives it: its id and its private key."""

    client_id: str
    key: RSAKey | ECKey
    alg: str

    def assertion(self, clock, *, aud: str = TOKEN_URL, seconds: int = 60, jti: str | None = None,
                  key=None, **claims) -> str:
        body = {"iss": self.client_id, "sub": self.client_id, "aud": aud,
                "iat": int(clock.now.timestamp()), "exp": int(clock.now.timestamp()) + seconds,
                "jti": jti or pysecrets.token_urlsafe(16), **claims}
        body = {k: v for k, v in body.items() if v is not None}
        signing_key = key or self.key
        return jwt.encode({"alg": self.alg, "kid": signing_key.kid}, body, signing_key)

    def form(self, clock, **extra) -> dict:
        assertion = extra.pop("assertion", None) or self.assertion(clock)
        return {"client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion, **extra}


def register(settings, clock, key, *, kind=ClientKind.BANK, scopes=("consents",)) -> str:
    database = Database(settings.database_url)
    try:
        with database.transaction() as s:
            new = Clients(s, clock).create(name=f"JWT {key.kid}", kind=kind, redirect_uris=[], scopes=list(scopes),
                                           auth_method=AuthMethod.PRIVATE_KEY_JWT,
                                           jwks={"keys": [key.as_dict(private=False)]}, actor=OPERATOR)
            return new.client.client_id
    finally:
        database.dispose()


@pytest.fixture(scope="module")
def rsa_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "rsa-1", "use": "sig"})


@pytest.fixture(scope="module")
def ec_key() -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": "ec-1", "use": "sig"})


@pytest.fixture
def bank(settings, clock, rsa_key, world) -> Signer:
    return Signer(register(settings, clock, rsa_key), rsa_key, "RS256")


@pytest.fixture
def ec_bank(settings, clock, ec_key, world) -> Signer:
    return Signer(register(settings, clock, ec_key), ec_key, "ES256")


def client_credentials(client, signer: Signer, clock, **form):
    data = {"grant_type": "client_credentials", "scope": "consents", **signer.form(clock, **form)}
    return client.post("/oauth/token", data=data)


def refused(response, fragment: str) -> None:
    assert response.status_code in (400, 401), response.json
    assert response.json["error"] == "invalid_client", response.json
    assert fragment in response.json.get("error_description", ""), response.json


def audit_actions(settings, action: str) -> list:
    database = Database(settings.database_url)
    try:
        with database.transaction() as s:
            return AuditLog(s).entries(action=action)
    finally:
        database.dispose()


def test_rs256_and_es256_assertions_get_tokens_that_work(client, bank, ec_bank, clock):
    for signer in (bank, ec_bank):
        response = client_credentials(client, signer, clock)
        assert response.status_code == 200, response.json
        assert response.json["scope"] == "consents" and "refresh_token" not in response.json
        created = client.post("/consents", headers=bearer(response.json["access_token"]), json={
            "kind": "accounts", "permissions": ["balances"],
            "expires_at": (clock.now + timedelta(days=1)).isoformat()})
        assert created.status_code == 201, created.json


def test_the_jti_is_kept_hashed_until_the_assertion_expires(client, bank, clock, settings):
    jti = "jti-to-remember"
    assert client_credentials(client, bank, clock, assertion=bank.assertion(clock, jti=jti)).status_code == 200
    database = Database(settings.database_url)
    try:
        with database.transaction() as s:
            [row] = s.query(ClientAssertion).all()
            assert (row.client_id, row.jti_hash) == (bank.client_id, hash_token(jti))
            assert row.expires_at > clock.now + timedelta(seconds=60)  # exp plus the leeway
    finally:
        database.dispose()


def test_an_assertion_signed_with_another_key_is_refused(client, bank, clock, ec_key):
    other = RSAKey.generate_key(2048, parameters={"kid": bank.key.kid})  # same kid, different key
    refused(client_credentials(client, bank, clock, assertion=bank.assertion(clock, key=other)), "refused")
    refused(client_credentials(client, bank, clock, assertion=Signer(bank.client_id, ec_key, "ES256")
                               .assertion(clock)), "refused")


def test_an_expired_assertion_is_refused(client, bank, clock):
    expired = bank.assertion(clock, seconds=-120)  # past the 30 s leeway
    refused(client_credentials(client, bank, clock, assertion=expired), "expired")
    within_leeway = bank.assertion(clock, seconds=-10)
    assert client_credentials(client, bank, clock, assertion=within_leeway).status_code == 200


def test_an_assertion_that_lives_too_long_is_refused(client, bank, clock):
    refused(client_credentials(client, bank, clock, assertion=bank.assertion(clock, seconds=3600)),
            "more than 300 s")


def test_the_clock_of_the_request_decides_expiry(client, bank, clock):
    assertion = bank.assertion(clock, seconds=60)
    clock.advance(minutes=5)
    refused(client_credentials(client, bank, clock, assertion=assertion), "expired")


def test_a_wrong_audience_is_refused(client, bank, clock):
    for aud in ("http://localhost", "http://localhost/oauth/revoke", "https://other.example/oauth/token",
                ["https://other.example/oauth/token"]):
        refused(client_credentials(client, bank, clock, assertion=bank.assertion(clock, aud=aud)), "aud")
    as_list = bank.assertion(clock, aud=[TOKEN_URL, "https://other.example"])
    assert client_credentials(client, bank, clock, assertion=as_list).status_code == 200


def test_a_replayed_jti_is_refused_and_audited(client, bank, clock, settings):
    assertion = bank.assertion(clock)
    assert client_credentials(client, bank, clock, assertion=assertion).status_code == 200
    refused(client_credentials(client, bank, clock, assertion=assertion), "used before")
    again = bank.assertion(clock, jti=json.loads(base64.urlsafe_b64decode(
        assertion.split(".")[1] + "==").decode())["jti"])  # a new assertion with the old jti
    refused(client_credentials(client, bank, clock, assertion=again), "used before")
    events = audit_actions(settings, "client.assertion_replayed")
    assert [(e.subject_id, e.actor) for e in events] == [(bank.client_id, "system")] * 2


def test_the_same_jti_from_two_clients_is_two_assertions(client, bank, ec_bank, clock):
    for signer in (bank, ec_bank):
        assert client_credentials(client, signer, clock, assertion=signer.assertion(clock, jti="shared")) \
            .status_code == 200


def test_claims_must_name_the_client(client, bank, ec_bank, clock):
    refused(client_credentials(client, bank, clock, assertion=bank.assertion(clock, iss=ec_bank.client_id)),
            "iss and sub")
    missing_jti = bank.assertion(clock, jti="x")
    header, payload, _ = missing_jti.split(".")
    claims = {k: v for k, v in json.loads(base64.urlsafe_b64decode(payload + "==")).items() if k != "jti"}
    refused(client_credentials(client, bank, clock, assertion=jwt.encode({"alg": "RS256"}, claims, bank.key)),
            "jti")
    unknown = bank.assertion(clock, sub="nobody", iss="nobody")
    refused(client_credentials(client, bank, clock, assertion=unknown), "the client id is unknown")


def _unsigned(claims: dict, alg: str, secret: bytes | None = None) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()
    head = part({"alg": alg, "typ": "JWT"}) + "." + part(claims)
    signature = hmac.new(secret, head.encode(), hashlib.sha256).digest() if secret else b""
    return head + "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()


def test_alg_none_and_hmac_with_the_public_key_are_refused(client, bank, clock):
    now = int(clock.now.timestamp())
    claims = {"iss": bank.client_id, "sub": bank.client_id, "aud": TOKEN_URL, "exp": now + 60,
              "jti": pysecrets.token_hex(8)}
    public = json.dumps(bank.key.as_dict(private=False)).encode()
    for forged in (_unsigned(claims, "none"), _unsigned(claims, "HS256", public)):
        refused(client_credentials(client, bank, clock, assertion=forged), "refused")
    refused(client_credentials(client, bank, clock, assertion="not.a.jwt"), "Invalid JWT")


def test_a_secret_client_cannot_switch_to_an_assertion(client, world, clock, rsa_key):
    impostor = Signer(world.wallet.client_id, rsa_key, "RS256")  # a valid signature, but no keys registered
    refused(client_credentials(client, impostor, clock), "not registered for private_key_jwt")


def test_a_jwt_client_cannot_use_a_secret(client, bank, clock):
    raw = base64.b64encode(f"{bank.client_id}:anything".encode()).decode()
    response = client.post("/oauth/token", data={"grant_type": "client_credentials", "scope": "consents"},
                           headers={"Authorization": f"Basic {raw}"})
    assert response.status_code == 401 and response.json["error"] == "invalid_client"
    nothing = client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": bank.client_id})
    assert nothing.status_code == 401 and nothing.json["error"] == "invalid_client"


def test_a_disabled_client_cannot_authenticate(client, bank, clock, settings):
    database = Database(settings.database_url)
    with database.transaction() as s:
        Clients(s, clock).disable(bank.client_id, actor=OPERATOR, reason="key compromised")
    database.dispose()
    refused(client_credentials(client, bank, clock), "the client id is unknown")


def test_revocation_and_introspection_take_assertions(client, bank, clock):
    token = client_credentials(client, bank, clock).json["access_token"]
    seen = client.post("/oauth/introspect", data={"token": token, **bank.form(clock)})
    assert seen.status_code == 200 and seen.json["active"] is True and seen.json["client_id"] == bank.client_id
    assert client.post("/oauth/revoke", data={"token": token, **bank.form(clock)}).status_code == 200
    assert client.post("/oauth/introspect", data={"token": token, **bank.form(clock)}).json == {"active": False}
    assert client.get("/consents/x", headers=bearer(token)).status_code == 401


def test_a_jwt_wallet_does_the_code_flow(client, world, clock, settings, ec_key):
    """The authorization code grant with private_key_jwt at the token endpoint."""
    from tests.consent.conftest import REDIRECT, Party, approve, authorize_url, pkce, redirect_params, sign_in

    database = Database(settings.database_url)
    with database.transaction() as s:
        wallet = Clients(s, clock).create(name="JWT wallet", kind=ClientKind.WALLET_PROVIDER, redirect_uris=[REDIRECT],
                                          scopes=["consents", "accounts"], auth_method=AuthMethod.PRIVATE_KEY_JWT,
                                          jwks={"keys": [ec_key.as_dict(private=False)]}, actor=OPERATOR)
        wallet_id = wallet.client.client_id
    database.dispose()
    signer = Signer(wallet_id, ec_key, "ES256")
    token = client_credentials(client, signer, clock).json["access_token"]
    consent = client.post("/consents", headers=bearer(token), json={
        "kind": "accounts", "permissions": ["balances"], "expires_at": (clock.now + timedelta(hours=1)).isoformat()})
    verifier, challenge = pkce()
    url = authorize_url(Party(wallet_id, ""), consent.json["id"], challenge)
    code = redirect_params(approve(client, url, sign_in(client, url, clock), world.alice_accounts[:1]))["code"]
    issued = client.post("/oauth/token", data={"grant_type": "authorization_code", "code": code,
                                               "redirect_uri": REDIRECT, "code_verifier": verifier,
                                               **signer.form(clock)})
    assert issued.status_code == 200 and issued.json["scope"] == "accounts", issued.json
    accounts = client.get("/accounts", headers=bearer(issued.json["access_token"]))
    assert [a["id"] for a in accounts.json["accounts"]] == world.alice_accounts[:1]
    # and a basic wallet's consent is still its own
    assert create_consent(client, world.wallet, clock) and cc_token(client, world.wallet)
