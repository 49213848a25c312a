"""The holder's pages and the consent resources: sign-in, CSRF, decisions, error pages
that never redirect, consent validation and ownership; SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pyotp

from gateway.persistence.db import Database
from gateway.persistence.repositories import AuditLog
from tests.consent.conftest import (
    PASSWORD,
    REDIRECT,
    TOTP_SECRET,
    approve,
    authorize_url,
    bearer,
    cc_token,
    code_flow,
    create_consent,
    csrf_of,
    pkce,
    redirect_params,
    sign_in,
)


def consent_status(client, world, consent_id: str) -> str:
    return client.get(f"/consents/{consent_id}", headers=bearer(cc_token(client, world.wallet))).json["status"]


def test_unregistered_redirect_uri_is_never_redirected_to(client, world, clock):
    consent_id = create_consent(client, world.wallet, clock)
    _, challenge = pkce()
    for uri in ("https://evil.example/cb", REDIRECT + "/more", None):
        response = client.get(authorize_url(world.wallet, consent_id, challenge, redirect_uri=uri))
        assert response.status_code == 400 and "Location" not in response.headers
        assert response.mimetype == "text/html" and "not been sent back" in response.get_data(as_text=True)
    unknown_client = client.get(authorize_url(world.wallet, consent_id, challenge, client_id="nobody"))
    assert unknown_client.status_code == 400 and "Location" not in unknown_client.headers


def test_another_clients_consent_is_an_error_page(client, world, clock):
    consent_id = create_consent(client, world.other, clock)
    _, challenge = pkce()
    response = client.get(authorize_url(world.wallet, consent_id, challenge))
    assert response.status_code == 404 and "Location" not in response.headers
    assert "belongs to another application" in response.get_data(as_text=True)


def test_expired_consent_is_an_error_page_and_is_marked_expired(client, world, clock):
    consent_id = create_consent(client, world.wallet, clock, minutes=5)
    clock.advance(minutes=6)
    _, challenge = pkce()
    response = client.get(authorize_url(world.wallet, consent_id, challenge))
    assert response.status_code == 410 and "expired" in response.get_data(as_text=True)
    assert consent_status(client, world, consent_id) == "expired"


def test_pages_are_not_frameable_and_load_nothing_external(client, world, clock):
    consent_id = create_consent(client, world.wallet, clock)
    _, challenge = pkce()
    page = client.get(authorize_url(world.wallet, consent_id, challenge))
    assert page.status_code == 200
    assert page.headers["X-Frame-Options"] == "DENY"
    csp = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src" not in csp and "default-src 'none'" in csp
    assert "HttpOnly" in page.headers["Set-Cookie"] and "SameSite=Lax" in page.headers["Set-Cookie"]


def test_consent_page_says_who_asks_for_what(client, world, clock):
    consent_id = create_consent(client, world.wallet, clock, kind="payments")
    _, challenge = pkce()
    url = authorize_url(world.wallet, consent_id, challenge)
    text = sign_in(client, url, clock).get_data(as_text=True)
    assert "Wallet A" in text and "make payments" in text
    assert "at most 100.00 EUR per payment" in text and "500.00 EUR in total" in text and "10 payments" in text
    assert "DE89370400440532013000" in text and "GB29NWBK60161331926819" not in text  # only the holder's own


def test_csrf_token_missing_or_wrong_is_refused(client, world, clock):
    consent_id = create_consent(client, world.wallet, clock)
    _, challenge = pkce()
    url = authorize_url(world.wallet, consent_id, challenge)
    page = client.get(url)
    form = {"step": "password", "username": "alice", "password": PASSWORD}
    missing = client.post(url, data=form)
    wrong = client.post(url, data={**form, "csrf_token": csrf_of(page)[:-2] + "xx"})
    for response in (missing, wrong):
        assert response.status_code == 403 and "form has expired" in response.get_data(as_text=True)
    # not signed in: the right token still gets the password step, not the TOTP step
    assert 'name="password"' in client.get(url).get_data(as_text=True)


def test_csrf_is_checked_on_the_decision_too(client, world, clock):
    consent_id = create_consent(client, world.wallet, clock)
    _, challenge = pkce()
    url = authorize_url(world.wallet, consent_id, challenge)
    sign_in(client, url, clock)
    response = client.post(url, data={"step": "decide", "decision": "approve", "account": world.alice_accounts})
    assert response.status_code == 403
    assert consent_status(client, world, consent_id) == "awaiting_authorisation"


def test_wrong_password_and_wrong_totp_are_refused(client, world, clock):
    consent_id = create_consent(client, world.wallet, clock)
    _, challenge = pkce()
    url = authorize_url(world.wallet, consent_id, challenge)
    page = client.get(url)
    wrong = client.post(url, data={"csrf_token": csrf_of(page), "step": "password", "username": "alice",
                                   "password": "guess"})
    assert wrong.status_code == 401 and "Wrong username or password" in wrong.get_data(as_text=True)
    page = client.post(url, data={"csrf_token": csrf_of(wrong), "step": "password", "username": "alice",
                                  "password": PASSWORD})
    stale = pyotp.TOTP(TOTP_SECRET).at(clock.now - timedelta(minutes=5))
    refused = client.post(url, data={"csrf_token": csrf_of(page), "step": "totp", "code": stale})
    assert refused.status_code == 401 and "not right" in refused.get_data(as_text=True)
    decide = client.post(url, data={"csrf_token": csrf_of(refused), "step": "decide", "decision": "approve",
                                    "account": world.alice_accounts})
    assert decide.status_code == 200 and 'name="code"' in decide.get_data(as_text=True)  # still the TOTP step
    assert consent_status(client, world, consent_id) == "awaiting_authorisation"


def test_deny_rejects_the_consent_and_redirects_access_denied(client, world, clock):
    consent_id = create_consent(client, world.wallet, clock)
    _, challenge = pkce()
    url = authorize_url(world.wallet, consent_id, challenge)
    page = sign_in(client, url, clock)
    params = redirect_params(client.post(url, data={"csrf_token": csrf_of(page), "step": "decide",
                                                    "decision": "deny"}))
    assert params == {"error": "access_denied", "error_description": params["error_description"], "state": "xyz"}
    assert consent_status(client, world, consent_id) == "rejected"
    again = client.get(url)
    assert again.status_code == 409 and "Location" not in again.headers


def test_approve_needs_one_of_the_holders_own_accounts(client, world, clock):
    consent_id = create_consent(client, world.wallet, clock)
    _, challenge = pkce()
    url = authorize_url(world.wallet, consent_id, challenge)
    page = sign_in(client, url, clock)
    none = approve(client, url, page, [])
    assert none.status_code == 422 and "Pick at least one" in none.get_data(as_text=True)
    theirs = approve(client, url, none, [world.bob_account])
    assert theirs.status_code == 422
    assert consent_status(client, world, consent_id) == "awaiting_authorisation"


def test_holder_lists_and_revokes_consents_and_the_token_stops(client, world, clock, settings):
    flow = code_flow(client, world, clock)
    page = client.get("/account/consents")  # signed in by the flow
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Wallet A" in text and "authorised" in text
    revoked = client.post("/account/consents", data={"csrf_token": csrf_of(page), "step": "revoke",
                                                     "consent_id": flow["consent_id"]})
    assert revoked.status_code == 303
    assert "revoked" in client.get("/account/consents").get_data(as_text=True)
    assert client.get("/accounts", headers=bearer(flow["access_token"])).status_code == 401
    assert consent_status(client, world, flow["consent_id"]) == "revoked"
    database = Database(settings.database_url)
    with database.transaction() as s:
        actors = {e.actor for e in AuditLog(s).entries(action="consent.revoked")}
    database.dispose()
    assert actors == {"holder:alice"}


def test_holder_cannot_revoke_without_csrf_or_someone_elses_consent(client, world, clock):
    flow = code_flow(client, world, clock)
    page = client.get("/account/consents")
    assert client.post("/account/consents", data={"step": "revoke", "consent_id": flow["consent_id"]}).status_code == 403
    other = client.post("/account/consents", data={"csrf_token": csrf_of(page), "step": "revoke",
                                                   "consent_id": "not-hers"})
    assert other.status_code == 404
    assert consent_status(client, world, flow["consent_id"]) == "authorised"


def test_account_page_asks_for_sign_in(client, world):
    page = client.get("/account/consents")
    assert page.status_code == 200 and 'name="password"' in page.get_data(as_text=True)


# --- consent resources ---------------------------------------------------------------------------------

def test_consent_lifecycle_for_its_client(client, world, clock):
    headers = bearer(cc_token(client, world.wallet))
    expires = (clock.now + timedelta(days=30)).isoformat()
    created = client.post("/consents", headers=headers, json={
        "kind": "payments", "expires_at": expires, "file_sha256": "ab" * 32,
        "limits": {"currency": "EUR", "per_payment": "12.50", "count": 1}})
    assert created.status_code == 201, created.json
    body = created.json
    assert body["status"] == "awaiting_authorisation" and created.headers["Location"] == f"/consents/{body['id']}"
    assert body["limits"] == {"currency": "EUR", "per_payment": "12.50", "count": 1}
    assert client.get(f"/consents/{body['id']}", headers=headers).json == body
    deleted = client.delete(f"/consents/{body['id']}", headers=headers)
    assert deleted.status_code == 200 and deleted.json["status"] == "revoked"


def test_another_clients_consent_is_not_found(client, world, clock):
    consent_id = create_consent(client, world.wallet, clock)
    theirs = bearer(cc_token(client, world.other))
    for response in (client.get(f"/consents/{consent_id}", headers=theirs),
                     client.delete(f"/consents/{consent_id}", headers=theirs),
                     client.get("/consents/no-such-id", headers=theirs)):
        assert response.status_code == 404 and response.json["code"] == "consent_not_found"
    assert consent_status(client, world, consent_id) == "awaiting_authorisation"


def test_consent_requests_are_validated_with_located_findings(client, world, clock):
    headers = bearer(cc_token(client, world.wallet))
    future = (clock.now + timedelta(days=1)).isoformat()
    cases = {
        "limits.per_payment": {"kind": "payments", "expires_at": future, "limits": {"currency": "EUR", "per_payment": 12.5}},
        "permissions.0": {"kind": "accounts", "expires_at": future, "permissions": ["everything"]},
        "limits": {"kind": "accounts", "expires_at": future, "permissions": ["balances"], "limits": {"currency": "EUR", "count": 1}},
        "expires_at": {"kind": "accounts", "expires_at": (clock.now - timedelta(days=1)).isoformat(), "permissions": ["balances"]},
    }
    for field, body in cases.items():
        response = client.post("/consents", headers=headers, json=body)
        assert response.status_code == 422 and response.json["code"] == "invalid_consent", body
        assert field in [f.get("field") for f in response.json["findings"]], (field, response.json)
    zero = client.post("/consents", headers=headers, json={"kind": "payments", "expires_at": future,
                                                           "limits": {"currency": "EUR", "total": "0.00"}})
    assert zero.status_code == 422 and zero.json["findings"][0]["field"] == "limits.total"
    not_json = client.post("/consents", headers=headers, data="kind=accounts")
    assert not_json.status_code == 415


def test_consents_need_the_consents_scope(client, world, clock):
    flow = code_flow(client, world, clock)
    response = client.get(f"/consents/{flow['consent_id']}", headers=bearer(flow["access_token"]))
    assert response.status_code == 403 and response.json["code"] == "insufficient_scope"
    assert client.post("/consents", json={}).status_code == 401
