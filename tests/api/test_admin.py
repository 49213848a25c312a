"""The operator's admin API: who may call it (the operator's client, and nobody else ever),
what it registers and refuses, what it shows (no secrets but the one-time ones), and the
audit trail.  SQLite and PostgreSQL; every response is checked against the OpenAPI document."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest
from joserfc.jwk import ECKey
from sqlalchemy import update

from gateway.api import create_app
from gateway.config import Settings
from gateway.consent import storage
from gateway.persistence.db import Database
from gateway.persistence.models import AccountHolder, ClientKind, OAuthClient, Token
from gateway.persistence.repositories import AuditLog, Clients, Tokens
from gateway.persistence.secrets import hash_token, new_token
from tests.api.conftest import checked_client

SCHEMAS = Path(__file__).resolve().parents[2] / "gateway" / "api" / "schemas" / "admin"
OPERATOR = "operator:test"
PASSWORD = "a long enough password"
WALLET = {"name": "Acme Wallet", "kind": "wallet_provider", "scopes": ["consents", "accounts"],
          "redirect_uris": ["https://wallet.example/cb"]}


@dataclass
class Caller:
    client_id: str
    secret: str

    @property
    def basic(self) -> dict:
        return {"Authorization": "Basic " + base64.b64encode(f"{self.client_id}:{self.secret}".encode()).decode()}


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings.load(env={}).with_overrides(database_url=database_url)


@pytest.fixture
def database(settings):
    db = Database(settings.database_url)
    yield db
    db.dispose()


@pytest.fixture
def app(settings, clock, fast_kdf):
    application = create_app(settings)
    application.extensions[storage.CLOCK] = clock
    yield application
    storage.dispose(application)


@pytest.fixture
def client(app, spec):
    yield from checked_client(app, spec)


@pytest.fixture
def ops(database, clock) -> Caller:
    with database.transaction() as s:
        new = Clients(s, clock).create(name="Operations", kind=None, operator=True, scopes=["admin"],
                                       redirect_uris=[], actor=OPERATOR)
    return Caller(new.client.client_id, new.secret)


@pytest.fixture
def wallet(database, clock) -> Caller:
    with database.transaction() as s:
        new = Clients(s, clock).create(name="Wallet", kind=ClientKind.WALLET_PROVIDER, scopes=["consents"],
                                       redirect_uris=[], actor=OPERATOR)
    return Caller(new.client.client_id, new.secret)


def token(client, caller: Caller, scope: str | None = "admin") -> dict:
    form = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
    response = client.post("/oauth/token", data=form, headers=caller.basic)
    return {"status": response.status_code, **response.json}


@pytest.fixture
def admin(client, ops) -> dict:
    answer = token(client, ops)
    assert answer["status"] == 200 and answer["scope"] == "admin", answer
    return {"Authorization": f"Bearer {answer['access_token']}"}


def findings_fields(response) -> list:
    return [f.get("field") for f in response.json.get("findings", [])]


def stored_text(database) -> str:
    with database.engine.connect() as connection:
        return " ".join(str(row) for table in ("oauth_clients", "account_holders", "audit_events")
                        for row in connection.exec_driver_sql(f"SELECT * FROM {table}"))


# -- who may call it -----------------------------------------------------------------------------------

def test_only_the_operators_client_gets_an_admin_token(client, ops, wallet):
    assert token(client, ops, scope=None)["scope"] == "admin"  # its default
    for scope in ("consents", "admin consents"):
        assert token(client, ops, scope=scope)["error"] == "invalid_scope"
    for scope in ("admin", "consents admin"):
        refused = token(client, wallet, scope=scope)
        assert refused["status"] == 400 and refused["error"] == "invalid_scope"


def test_the_admin_api_refuses_everyone_else(client, wallet, admin):
    assert client.get("/admin/clients").status_code == 401
    other = {"Authorization": f"Bearer {token(client, wallet, 'consents')['access_token']}"}
    for method, path in (("get", "/admin/clients"), ("post", "/admin/clients"), ("get", "/admin/holders"),
                         ("post", "/admin/holders"), ("post", "/admin/clients/x/disable")):
        response = getattr(client, method)(path, headers=other, json={})
        assert response.status_code == 403 and response.json["code"] == "insufficient_scope", path
    assert client.get("/admin/clients", headers=admin).status_code == 200


def test_a_party_row_with_admin_in_its_scopes_still_gets_no_admin_token(client, database, wallet, clock):
    """Defence in depth: even a row edited by hand past the repository's checks."""
    with database.transaction() as s:
        s.execute(update(OAuthClient).where(OAuthClient.client_id == wallet.client_id)
                  .values(scopes=["consents", "admin"]))
    assert token(client, wallet, "admin")["error"] == "invalid_scope"
    with database.transaction() as s:  # and an admin-scoped token of a party, stored by hand, opens nothing
        forged = new_token()
        Tokens(s, clock).store(access_token=forged, client_id=wallet.client_id, scope="admin",
                               access_expires_at=clock.now.replace(year=2030), actor=OPERATOR)
    response = client.get("/admin/clients", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 403 and response.json["code"] == "insufficient_scope"


def test_the_operators_client_cannot_use_the_code_flow(client, ops):
    response = client.get(f"/oauth/authorize?response_type=code&client_id={ops.client_id}"
                          "&redirect_uri=https://x.example/cb&consent_id=c&code_challenge=abc"
                          "&code_challenge_method=S256")
    assert response.status_code == 400 and "Location" not in response.headers


def test_a_disabled_operator_client_is_locked_out(client, database, ops, admin, clock):
    with database.transaction() as s:
        Clients(s, clock).disable(ops.client_id, actor=OPERATOR, reason="rotated")
    assert client.get("/admin/clients", headers=admin).status_code == 401
    assert token(client, ops)["error"] == "invalid_client"


# -- clients -------------------------------------------------------------------------------------------

def test_register_a_wallet_its_secret_is_shown_once(client, admin, ops, database):
    created = client.post("/admin/clients", headers=admin, json=WALLET)
    assert created.status_code == 201, created.json
    body = created.json
    secret = body["client_secret"]
    assert created.headers["Location"] == f"/admin/clients/{body['client_id']}"
    assert body["kind"] == "wallet_provider" and body["scopes"] == ["consents", "accounts"]
    assert body["token_endpoint_auth_method"] == "client_secret_basic" and body["jwks"] is None
    assert token(client, Caller(body["client_id"], secret), "consents")["status"] == 200
    for shown in (client.get("/admin/clients", headers=admin), client.get(created.headers["Location"], headers=admin)):
        assert shown.status_code == 200 and secret not in shown.get_data(as_text=True)
        assert hash_token(secret) not in shown.get_data(as_text=True)
    listed = client.get("/admin/clients", headers=admin).json["clients"]
    assert sorted(c["kind"] for c in listed) == ["operator", "wallet_provider"]
    assert secret not in stored_text(database)
    with database.transaction() as s:
        [event] = [e for e in AuditLog(s).entries(action="client.created") if e.subject_id == body["client_id"]]
    assert event.actor == f"operator:client:{ops.client_id}"


def test_register_a_private_key_jwt_bank(client, admin):
    key = ECKey.generate_key("P-256", parameters={"kid": "bank-1"})
    jwks = {"keys": [key.as_dict(private=False)]}
    created = client.post("/admin/clients", headers=admin, json={
        "name": "Bank", "kind": "bank", "scopes": ["consents"], "token_endpoint_auth_method": "private_key_jwt",
        "jwks": jwks})
    assert created.status_code == 201, created.json
    assert created.json["client_secret"] is None and created.json["jwks"] == jwks
    private = client.post("/admin/clients", headers=admin, json={
        "name": "Bank", "kind": "bank", "scopes": ["consents"], "token_endpoint_auth_method": "private_key_jwt",
        "jwks": {"keys": [key.as_dict(private=True)]}})
    assert private.status_code == 422 and private.json["code"] == "invalid_jwks"
    assert "private key material" in private.json["detail"]
    hmac_key = client.post("/admin/clients", headers=admin, json={
        "name": "Bank", "kind": "bank", "scopes": ["consents"], "token_endpoint_auth_method": "private_key_jwt",
        "jwks": {"keys": [{"kty": "oct"}]}})
    assert hmac_key.status_code == 422 and hmac_key.json["code"] == "invalid_jwks"


@pytest.mark.parametrize(("change", "code", "field"), [
    ({"scopes": ["consents", "admin"]}, "invalid_scope", "scopes.1"),
    ({"scopes": ["payment"]}, "invalid_scope", "scopes.0"),
    ({"kind": "operator"}, "invalid_admin_request", "kind"),
    ({"redirect_uris": ["http://wallet.example/cb"]}, "invalid_redirect_uri", "redirect_uris.0"),
    ({"redirect_uris": ["https://wallet.example/cb#x"]}, "invalid_redirect_uri", "redirect_uris.0"),
    ({"name": "   "}, "invalid_client_metadata", "name"),
    ({"jwks": {"keys": [{"kty": "EC"}]}}, "invalid_admin_request", None),  # keys without private_key_jwt
    ({"token_endpoint_auth_method": "private_key_jwt"}, "invalid_admin_request", None),  # and no keys
    ({"client_secret": "mine"}, "invalid_admin_request", None),
    ({"scopes": []}, "invalid_admin_request", "scopes"),
])
def test_client_registrations_are_checked(client, admin, change, code, field):
    response = client.post("/admin/clients", headers=admin, json={**WALLET, **change})
    assert response.status_code == 422 and response.json["code"] == code, response.json
    if field:
        assert field in findings_fields(response), response.json
    assert [c["kind"] for c in client.get("/admin/clients", headers=admin).json["clients"]] == ["operator"]


def test_missing_fields_are_named(client, admin):
    response = client.post("/admin/clients", headers=admin, json={"name": "W"})
    assert response.status_code == 422 and response.json["code"] == "invalid_admin_request"
    assert "'kind' is a required property" in [f["message"] for f in response.json["findings"]]
    assert client.post("/admin/clients", headers=admin, data="name=W").status_code == 415


def test_disable_a_client_revokes_its_tokens_and_audits_why(client, admin, ops, wallet, database):
    live = token(client, wallet, "consents")["access_token"]
    disabled = client.post(f"/admin/clients/{wallet.client_id}/disable", headers=admin,
                           json={"reason": "contract ended"})
    assert disabled.status_code == 200 and disabled.json["disabled_at"] is not None
    assert client.get("/consents/x", headers={"Authorization": f"Bearer {live}"}).status_code == 401
    assert token(client, wallet, "consents")["error"] == "invalid_client"
    with database.transaction() as s:
        [event] = AuditLog(s).entries(action="client.disabled")
        assert (event.reason, event.actor) == ("contract ended", f"operator:client:{ops.client_id}")
        assert s.query(Token).filter_by(client_id=wallet.client_id).one().revoked_at is not None
    again = client.post(f"/admin/clients/{wallet.client_id}/disable", headers=admin, json={"reason": "again"})
    assert again.status_code == 409 and again.json["code"] == "invalid_transition"
    unknown = client.post("/admin/clients/nobody/disable", headers=admin, json={"reason": "typo"})
    assert unknown.status_code == 404 and unknown.json["code"] == "client_not_found"
    assert client.get("/admin/clients/nobody", headers=admin).json["code"] == "client_not_found"
    for body in ({}, {"reason": "  "}, {"reason": "x", "more": 1}):
        refused = client.post(f"/admin/clients/{ops.client_id}/disable", headers=admin, json=body)
        assert refused.status_code == 422 and refused.json["code"] == "invalid_admin_request", body


# -- holders and accounts ------------------------------------------------------------------------------

def test_enrol_a_holder_who_can_then_sign_in(client, admin, database, clock):
    created = client.post("/admin/holders", headers=admin, json={"username": "carol", "password": PASSWORD})
    assert created.status_code == 201, created.json
    holder, totp = created.json, created.json["totp"]
    assert holder["username"] == "carol" and holder["totp_enrolled"] is True
    assert pyotp.parse_uri(totp["otpauth_uri"]).secret == totp["secret"]
    assert created.headers["Location"] == f"/admin/holders/{holder['id']}/accounts"
    listed = client.get("/admin/holders", headers=admin)
    assert listed.json["holders"] == [{k: v for k, v in holder.items() if k != "totp"}]
    assert totp["secret"] not in listed.get_data(as_text=True) and PASSWORD not in stored_text(database)
    with database.transaction() as s:
        stored = s.query(AccountHolder).one()
        assert stored.password_hash.startswith("scrypt$") and stored.totp_secret == totp["secret"]
    # the holder signs in on the gateway's pages with what the operator handed over
    from tests.consent.conftest import csrf_of
    page = client.get("/account/consents")
    page = client.post("/account/consents", data={"csrf_token": csrf_of(page), "step": "password",
                                                  "username": "carol", "password": PASSWORD})
    done = client.post("/account/consents", data={"csrf_token": csrf_of(page), "step": "totp",
                                                  "code": pyotp.TOTP(totp["secret"]).at(clock.now)})
    assert done.status_code == 200 and 'name="password"' not in done.get_data(as_text=True)


def test_holder_enrolments_are_checked(client, admin):
    assert client.post("/admin/holders", headers=admin, json={"username": "carol", "password": PASSWORD}) \
        .status_code == 201
    taken = client.post("/admin/holders", headers=admin, json={"username": "carol", "password": PASSWORD})
    assert taken.status_code == 409 and taken.json["code"] == "username_taken"
    for body, field in (({"username": "two words", "password": PASSWORD}, "username"),
                        ({"username": "dave", "password": "short"}, "password"),
                        ({"username": "dave"}, None)):
        refused = client.post("/admin/holders", headers=admin, json=body)
        assert refused.status_code == 422 and refused.json["code"] == "invalid_admin_request", body
        if field:
            assert field in findings_fields(refused)
    assert [h["username"] for h in client.get("/admin/holders", headers=admin).json["holders"]] == ["carol"]


def test_enrol_bank_accounts_for_a_holder(client, admin, ops, database):
    holder_id = client.post("/admin/holders", headers=admin,
                            json={"username": "carol", "password": PASSWORD}).json["id"]
    url = f"/admin/holders/{holder_id}/accounts"
    created = client.post(url, headers=admin, json={"iban": "nl91 abna 0417 1643 00", "currency": "eur",
                                                    "name": "Carol current", "bic": "ABNANL2A"})
    assert created.status_code == 201, created.json
    assert (created.json["iban"], created.json["currency"], created.json["bic"]) == ("NL91ABNA0417164300", "EUR",
                                                                                      "ABNANL2A")
    assert client.get(url, headers=admin).json["accounts"] == [created.json]
    for body, code in (({"iban": "NL91ABNA0417164301", "currency": "EUR", "name": "x"}, "invalid_iban"),
                       ({"iban": "DE89370400440532013000", "currency": "EUX", "name": "x"},
                        "invalid_account_currency"),
                       ({"iban": "DE89370400440532013000", "currency": "EUR", "name": "x", "bic": "COBAXXFF"},
                        "invalid_bic"),
                       ({"iban": "DE89370400440532013000", "currency": "EUR", "name": " "}, "invalid_account_name"),
                       ({"iban": "DE89370400440532013000", "currency": "EURO", "name": "x"},
                        "invalid_admin_request")):
        refused = client.post(url, headers=admin, json=body)
        assert refused.status_code == 422 and refused.json["code"] == code, (body, refused.json)
    taken = client.post(url, headers=admin, json={"iban": "NL91ABNA0417164300", "currency": "EUR", "name": "again"})
    assert taken.status_code == 409 and taken.json["code"] == "iban_taken"
    for response in (client.get("/admin/holders/nobody/accounts", headers=admin),
                     client.post("/admin/holders/nobody/accounts", headers=admin,
                                 json={"iban": "DE89370400440532013000", "currency": "EUR", "name": "x"})):
        assert response.status_code == 404 and response.json["code"] == "holder_not_found"
    with database.transaction() as s:
        actors = {e.actor for e in AuditLog(s).entries(subject_type="bank_account")}
    assert actors == {f"operator:client:{ops.client_id}"}


# -- the document and the schemas agree ------------------------------------------------------------------

@pytest.mark.parametrize(("schema", "component"), [
    ("client", "AdminClientRequest"), ("disable", "AdminDisableRequest"), ("holder", "AdminHolderRequest"),
    ("account", "AdminAccountRequest")])
def test_the_openapi_bodies_are_the_json_schemas(spec, schema, component):
    validated = json.loads((SCHEMAS / f"{schema}.json").read_text())
    documented = spec["components"]["schemas"][component]
    assert set(documented["properties"]) == set(validated["properties"])
    assert documented["required"] == validated["required"]
    assert documented.get("additionalProperties") is validated.get("additionalProperties") is False


def test_no_answer_ever_carries_a_stored_secret(client, admin, wallet, database):
    client.post("/admin/holders", headers=admin, json={"username": "carol", "password": PASSWORD})
    with database.transaction() as s:
        hashes = [c.client_secret_hash for c in s.query(OAuthClient) if c.client_secret_hash]
        hashes += [h.password_hash for h in s.query(AccountHolder)] + [h.totp_secret for h in s.query(AccountHolder)]
    answers = " ".join(client.get(path, headers=admin).get_data(as_text=True)
                       for path in ("/admin/clients", "/admin/holders", f"/admin/clients/{wallet.client_id}"))
    assert hashes and not [h for h in hashes if h in answers]
