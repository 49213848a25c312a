"""Grants and refusals at the token, revocation and introspection endpoints, and the
resource protector; each test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import base64

from gateway.persistence.db import Database
from gateway.persistence.repositories import AuditLog
from tests.consent.conftest import (
    REDIRECT,
    approve,
    authorize_url,
    bearer,
    cc_token,
    code_flow,
    create_consent,
    pkce,
    redirect_params,
    sign_in,
    token,
)


def audit_actions(settings, subject_type=None) -> list[str]:
    database = Database(settings.database_url)
    try:
        with database.transaction() as s:
            return [e.action for e in AuditLog(s).entries(subject_type=subject_type)]
    finally:
        database.dispose()


def test_metadata_describes_the_server(client):
    response = client.get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    meta = response.json
    assert meta["issuer"] == "http://localhost"
    assert meta["token_endpoint"] == "http://localhost/oauth/token"
    assert meta["authorization_endpoint"] == "http://localhost/oauth/authorize"
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["token_endpoint_auth_methods_supported"] == ["client_secret_basic", "private_key_jwt"]
    assert meta["token_endpoint_auth_signing_alg_values_supported"] == ["RS256", "ES256"]
    assert set(meta["grant_types_supported"]) == {"authorization_code", "client_credentials", "refresh_token"}


def test_client_credentials_token_is_short_lived_and_stored_hashed(client, world, settings):
    answer = token(client, world.wallet, grant_type="client_credentials", scope="consents")
    assert answer["status"] == 200 and answer["token_type"] == "Bearer"
    assert answer["expires_in"] == settings.access_token_ttl and "refresh_token" not in answer
    assert answer["scope"] == "consents"
    database = Database(settings.database_url)
    with database.engine.connect() as connection:
        dump = " ".join(str(row) for row in connection.exec_driver_sql("SELECT * FROM tokens"))
    database.dispose()
    assert answer["access_token"] not in dump
    assert "token.issued" in audit_actions(settings, "token")


def test_wrong_client_secret_is_refused(client, world):
    world.wallet.secret = "not-the-secret"
    response = client.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=world.wallet.basic)
    assert response.status_code == 401 and response.json["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert "the secret is wrong" in response.json["error_description"]


def test_an_unknown_client_id_is_refused_as_a_wrong_secret_is(client, world):
    """The same words for both: the answer does not tell a caller which client ids exist."""
    wrong_secret = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                               headers={"Authorization": "Basic " + base64.b64encode(
                                   f"{world.wallet.client_id}:not-the-secret".encode()).decode()})
    unknown = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                          headers={"Authorization": "Basic " + base64.b64encode(b"no-such-client:x").decode()})
    assert unknown.status_code == wrong_secret.status_code == 401
    assert unknown.json == wrong_secret.json and unknown.json["error"] == "invalid_client"
    assert "does not exist" not in unknown.json["error_description"]


def test_client_secret_post_is_refused(client, world):
    response = client.post("/oauth/token", data={"grant_type": "client_credentials", "scope": "consents",
                                                 "client_id": world.wallet.client_id,
                                                 "client_secret": world.wallet.secret})
    assert response.status_code == 401 and response.json["error"] == "invalid_client"


def test_client_credentials_cannot_escalate_to_consent_scopes(client, world):
    for scope in ("accounts", "consents payments", "admin"):
        answer = token(client, world.wallet, grant_type="client_credentials", scope=scope)
        assert answer["status"] == 400 and answer["error"] == "invalid_scope", scope


def test_code_flow_issues_consent_bound_tokens(client, world, clock, settings):
    flow = code_flow(client, world, clock)
    assert flow["scope"] == "accounts" and flow["refresh_token"]
    accounts = client.get("/accounts", headers=bearer(flow["access_token"]))
    assert accounts.status_code == 200
    assert accounts.json["consent_id"] == flow["consent_id"]
    assert [a["id"] for a in accounts.json["accounts"]] == world.alice_accounts[:1]
    consent = client.get(f"/consents/{flow['consent_id']}", headers=bearer(cc_token(client, world.wallet)))
    assert consent.json["status"] == "authorised" and len(consent.json["accounts"]) == 1
    actions = audit_actions(settings)
    assert {"consent.created", "consent.authorised", "code.issued", "token.issued"} <= set(actions)


def test_introspection_shows_own_tokens_only(client, world, clock):
    flow = code_flow(client, world, clock)
    mine = client.post("/oauth/introspect", data={"token": flow["access_token"]}, headers=world.wallet.basic)
    assert mine.status_code == 200 and mine.json["active"] is True
    assert mine.json["consent_id"] == flow["consent_id"] and mine.json["scope"] == "accounts"
    theirs = client.post("/oauth/introspect", data={"token": flow["access_token"]}, headers=world.other.basic)
    assert theirs.status_code == 200 and theirs.json == {"active": False}
    unknown = client.post("/oauth/introspect", data={"token": "nope"}, headers=world.wallet.basic)
    assert unknown.json == {"active": False}


def test_missing_pkce_is_refused_by_redirect_without_code(client, world, clock):
    consent_id = create_consent(client, world.wallet, clock)
    params = redirect_params(client.get(authorize_url(world.wallet, consent_id, None)))
    assert params["error"] == "invalid_request" and "code" not in params and params["state"] == "xyz"


def test_plain_pkce_is_refused(client, world, clock):
    consent_id = create_consent(client, world.wallet, clock)
    verifier, _ = pkce()
    for method in ("plain", None):
        url = authorize_url(world.wallet, consent_id, None, code_challenge=verifier, code_challenge_method=method)
        params = redirect_params(client.get(url))
        assert params["error"] == "invalid_request" and "code" not in params


def test_wrong_code_verifier_is_refused(client, world, clock):
    consent_id = create_consent(client, world.wallet, clock)
    _, challenge = pkce()
    url = authorize_url(world.wallet, consent_id, challenge)
    code = redirect_params(approve(client, url, sign_in(client, url, clock), world.alice_accounts))["code"]
    wrong, _ = pkce()
    answer = token(client, world.wallet, grant_type="authorization_code", code=code, redirect_uri=REDIRECT,
                   code_verifier=wrong)
    assert answer["status"] == 400 and answer["error"] == "invalid_grant"
    missing = token(client, world.wallet, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert missing["status"] == 400


def test_code_reuse_is_refused_and_revokes_its_tokens(client, world, clock, settings):
    flow = code_flow(client, world, clock)
    again = token(client, world.wallet, grant_type="authorization_code", code=flow["code"], redirect_uri=REDIRECT,
                  code_verifier=flow["verifier"])
    assert again["status"] == 400 and again["error"] == "invalid_grant"
    refused = client.get("/accounts", headers=bearer(flow["access_token"]))
    assert refused.status_code == 401 and refused.json["code"] == "invalid_token"
    refresh = token(client, world.wallet, grant_type="refresh_token", refresh_token=flow["refresh_token"])
    assert refresh["status"] == 400
    assert "code.reused" in audit_actions(settings)


def test_code_of_another_client_is_refused(client, world, clock):
    consent_id = create_consent(client, world.wallet, clock)
    verifier, challenge = pkce()
    url = authorize_url(world.wallet, consent_id, challenge)
    code = redirect_params(approve(client, url, sign_in(client, url, clock), world.alice_accounts))["code"]
    answer = token(client, world.other, grant_type="authorization_code", code=code, redirect_uri=REDIRECT,
                   code_verifier=verifier)
    assert answer["status"] == 400 and answer["error"] == "invalid_grant"


def test_redirect_uri_mismatch_at_the_token_endpoint_is_refused(client, world, clock):
    consent_id = create_consent(client, world.wallet, clock)
    verifier, challenge = pkce()
    url = authorize_url(world.wallet, consent_id, challenge)
    code = redirect_params(approve(client, url, sign_in(client, url, clock), world.alice_accounts))["code"]
    answer = token(client, world.wallet, grant_type="authorization_code", code=code,
                   redirect_uri=REDIRECT + "/other", code_verifier=verifier)
    assert answer["status"] == 400 and answer["error"] == "invalid_grant"


def test_refresh_rotates_and_reuse_revokes_the_family(client, world, clock, settings):
    flow = code_flow(client, world, clock)
    first = token(client, world.wallet, grant_type="refresh_token", refresh_token=flow["refresh_token"])
    assert first["status"] == 200 and first["refresh_token"] != flow["refresh_token"]
    assert first["scope"] == "accounts"
    assert client.get("/accounts", headers=bearer(first["access_token"])).status_code == 200
    reused = token(client, world.wallet, grant_type="refresh_token", refresh_token=flow["refresh_token"])
    assert reused["status"] == 400 and reused["error"] == "invalid_grant"
    # the whole family is gone, including the token the reuse did not touch
    assert client.get("/accounts", headers=bearer(first["access_token"])).status_code == 401
    later = token(client, world.wallet, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert later["status"] == 400
    assert "token.refresh_reused" in audit_actions(settings)


def test_refresh_cannot_escalate_scope_or_be_used_by_another_client(client, world, clock):
    flow = code_flow(client, world, clock)
    wider = token(client, world.wallet, grant_type="refresh_token", refresh_token=flow["refresh_token"],
                  scope="accounts payments")
    assert wider["status"] == 400 and wider["error"] == "invalid_scope"
    other = token(client, world.other, grant_type="refresh_token", refresh_token=flow["refresh_token"])
    assert other["status"] == 400 and other["error"] == "invalid_grant"


def test_authorization_scope_must_match_the_consent(client, world, clock):
    consent_id = create_consent(client, world.wallet, clock)
    _, challenge = pkce()
    params = redirect_params(client.get(authorize_url(world.wallet, consent_id, challenge, scope="payments")))
    assert params["error"] == "invalid_scope"


def test_expired_access_token_is_refused(client, world, clock, settings):
    flow = code_flow(client, world, clock)
    clock.advance(seconds=settings.access_token_ttl)
    response = client.get("/accounts", headers=bearer(flow["access_token"]))
    assert response.status_code == 401 and response.json["code"] == "invalid_token"
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_missing_and_unknown_tokens_are_refused(client, world):
    missing = client.get("/accounts")
    assert missing.status_code == 401 and missing.json["code"] == "missing_token"
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    unknown = client.get("/accounts", headers=bearer("made-up"))
    assert unknown.status_code == 401 and unknown.json["code"] == "invalid_token"


def test_revoked_token_is_refused(client, world, clock, settings):
    flow = code_flow(client, world, clock)
    # another client's revocation changes nothing (and says nothing)
    theirs = client.post("/oauth/revoke", data={"token": flow["access_token"]}, headers=world.other.basic)
    assert theirs.status_code == 200
    assert client.get("/accounts", headers=bearer(flow["access_token"])).status_code == 200
    revoked = client.post("/oauth/revoke", data={"token": flow["refresh_token"],
                                                 "token_type_hint": "refresh_token"}, headers=world.wallet.basic)
    assert revoked.status_code == 200
    response = client.get("/accounts", headers=bearer(flow["access_token"]))
    assert response.status_code == 401 and response.json["code"] == "invalid_token"
    assert token(client, world.wallet, grant_type="refresh_token", refresh_token=flow["refresh_token"])["status"] == 400
    assert "token.revoked" in audit_actions(settings, "token")


def test_client_credentials_token_cannot_read_accounts(client, world):
    response = client.get("/accounts", headers=bearer(cc_token(client, world.wallet)))
    assert response.status_code == 403 and response.json["code"] == "insufficient_scope"


def test_expired_consent_stops_its_live_token(client, world, clock):
    flow = code_flow(client, world, clock, minutes=2)
    assert client.get("/accounts", headers=bearer(flow["access_token"])).status_code == 200
    clock.advance(minutes=3)  # the token (5 minutes) is still live; its consent is not
    response = client.get("/accounts", headers=bearer(flow["access_token"]))
    assert response.status_code == 403 and response.json["code"] == "consent_not_active"
    refresh = token(client, world.wallet, grant_type="refresh_token", refresh_token=flow["refresh_token"])
    assert refresh["status"] == 400 and refresh["error"] == "invalid_grant"


def test_client_revoking_its_consent_revokes_its_tokens(client, world, clock, settings):
    flow = code_flow(client, world, clock)
    cc = bearer(cc_token(client, world.wallet))
    deleted = client.delete(f"/consents/{flow['consent_id']}", headers=cc)
    assert deleted.status_code == 200 and deleted.json["status"] == "revoked"
    assert client.get("/accounts", headers=bearer(flow["access_token"])).status_code == 401
    again = client.delete(f"/consents/{flow['consent_id']}", headers=cc)
    assert again.status_code == 409 and again.json["code"] == "invalid_transition"
    assert "consent.revoked" in audit_actions(settings, "consent")
