"""Fixtures of the OAuth and consent tests: an app on a fresh database (SQLite and
PostgreSQL, ``tests/pg.py``), a hand-moved clock, two wallets, two holders.

Every response goes through the OpenAPI-checking client of ``tests/api``.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets as pysecrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pyotp
import pytest

from gateway.api import create_app
from gateway.config import Settings
from gateway.consent import storage
from gateway.persistence.db import Database
from gateway.persistence.models import ClientKind
from gateway.persistence.repositories import BankAccounts, Clients, Holders
from tests.api.conftest import checked_client, spec  # noqa: F401  (spec is a fixture)

OPERATOR = "operator:test"
PASSWORD = "correct horse battery staple"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # 160 bits, as pyotp.random_base32() makes
REDIRECT = "https://wallet.example/cb"


@dataclass
class Party:
    client_id: str
    secret: str

    @property
    def basic(self) -> dict:
        raw = f"{self.client_id}:{self.secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


@dataclass
class World:
    wallet: Party
    other: Party
    alice_accounts: list[str]
    bob_account: str


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings.load(env={}).with_overrides(database_url=database_url)


@pytest.fixture
def app(settings, clock, fast_kdf):
    application = create_app(settings)
    application.extensions[storage.CLOCK] = clock
    yield application
    storage.dispose(application)


@pytest.fixture
def world(settings, clock, fast_kdf) -> World:
    database = Database(settings.database_url)
    with database.transaction() as s:
        clients, holders, accounts = Clients(s, clock), Holders(s, clock), BankAccounts(s, clock)
        wallets = [clients.create(name=name, kind=ClientKind.WALLET_PROVIDER, redirect_uris=[REDIRECT],
                                  scopes=["consents", "accounts", "payments"], actor=OPERATOR)
                   for name in ("Wallet A", "Wallet B")]
        alice = holders.create(username="alice", password=PASSWORD, totp_secret=TOTP_SECRET, actor=OPERATOR)
        bob = holders.create(username="bob", password=PASSWORD, totp_secret=TOTP_SECRET, actor=OPERATOR)
        mine = [accounts.create(holder_id=alice.id, iban=iban, currency="EUR", name=name, actor=OPERATOR).id
                for iban, name in (("DE89370400440532013000", "Alice current"),
                                   ("FR1420041010050500013M02606", "Alice savings"))]
        theirs = accounts.create(holder_id=bob.id, iban="GB29NWBK60161331926819", currency="GBP", name="Bob",
                                 actor=OPERATOR).id
    database.dispose()
    return World(Party(wallets[0].client.client_id, wallets[0].secret),
                 Party(wallets[1].client.client_id, wallets[1].secret), mine, theirs)


@pytest.fixture
def client(app, spec):  # noqa: F811
    yield from checked_client(app, spec)


# --- helpers -------------------------------------------------------------------------------------------

def pkce() -> tuple[str, str]:
    verifier = pysecrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def token(client, party: Party, **form) -> dict:
    response = client.post("/oauth/token", data=form, headers=party.basic)
    return {"status": response.status_code, **response.json}


def cc_token(client, party: Party) -> str:
    answer = token(client, party, grant_type="client_credentials", scope="consents")
    assert answer["status"] == 200, answer
    return answer["access_token"]


def bearer(access_token: str) -> dict:
    return {"Authorization": f"Bearer {access_token}"}


def create_consent(client, party: Party, clock, kind: str = "accounts", minutes: int = 60) -> str:
    expires = clock.now.replace(microsecond=0) + timedelta(minutes=minutes)
    body = {"kind": kind, "expires_at": expires.isoformat().replace("+00:00", "Z")}
    if kind == "accounts":
        body["permissions"] = ["balances", "transactions"]
    else:
        body["limits"] = {"currency": "EUR", "per_payment": "100.00", "total": "500", "count": 10}
    response = client.post("/consents", json=body, headers=bearer(cc_token(client, party)))
    assert response.status_code == 201, response.json
    return response.json["id"]


def authorize_url(party: Party, consent_id: str, challenge: str | None, **extra) -> str:
    params = {"response_type": "code", "client_id": party.client_id, "redirect_uri": REDIRECT, "state": "xyz",
              "consent_id": consent_id}
    if challenge is not None:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    params.update(extra)
    return "/oauth/authorize?" + urlencode({k: v for k, v in params.items() if v is not None})


def csrf_of(response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)
    return match.group(1)


def sign_in(client, url: str, clock, username: str = "alice"):
    """Password then TOTP; returns the consent page (or whatever the last step answered)."""
    page = client.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)
    page = client.post(url, data={"csrf_token": csrf_of(page), "step": "password", "username": username,
                                  "password": PASSWORD})
    assert page.status_code == 200, page.get_data(as_text=True)
    code = pyotp.TOTP(TOTP_SECRET).at(clock.now)
    return client.post(url, data={"csrf_token": csrf_of(page), "step": "totp", "code": code})


def approve(client, url: str, page, accounts: list[str]):
    return client.post(url, data={"csrf_token": csrf_of(page), "step": "decide", "decision": "approve",
                                  "account": accounts})


def redirect_params(response) -> dict:
    assert response.status_code == 302, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def code_flow(client, world: World, clock, kind: str = "accounts", minutes: int = 60) -> dict:
    """Consent, sign-in, approval, code and tokens: the whole happy path; returns what each step gave."""
    consent_id = create_consent(client, world.wallet, clock, kind, minutes)
    verifier, challenge = pkce()
    url = authorize_url(world.wallet, consent_id, challenge)
    page = sign_in(client, url, clock)
    params = redirect_params(approve(client, url, page, world.alice_accounts[:1]))
    assert params["state"] == "xyz"
    tokens = token(client, world.wallet, grant_type="authorization_code", code=params["code"],
                   redirect_uri=REDIRECT, code_verifier=verifier)
    assert tokens["status"] == 200, tokens
    return {"consent_id": consent_id, "code": params["code"], "verifier": verifier, **tokens}
