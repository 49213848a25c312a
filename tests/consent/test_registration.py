"""Registration rules shared by the command line and the admin API, and the command line's
new doors: ``gateway clients create --auth private_key_jwt --jwks FILE`` and ``--kind operator``.
The commands run in-process against a migrated database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import re

import pytest
from joserfc.jwk import ECKey, RSAKey

from gateway.cli import main as cli_main
from gateway.consent import registration
from gateway.domain.errors import InvalidInput
from gateway.persistence.db import Database
from gateway.persistence.models import OAuthClient


@pytest.fixture
def db_env(database_url, monkeypatch, fast_kdf) -> str:
    for name in [n for n in __import__("os").environ if n.startswith("GATEWAY_") and n != "GATEWAY_SCHEMA_DIR"]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("GATEWAY_DATABASE_URL", database_url)
    return database_url


def clients(url: str) -> list[OAuthClient]:
    database = Database(url)
    try:
        with database.transaction() as s:
            return list(s.query(OAuthClient))
    finally:
        database.dispose()


def test_cli_registers_a_private_key_jwt_client_with_auth(db_env, tmp_path, capsys):
    key = RSAKey.generate_key(2048, parameters={"kid": "bank-1"})
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
    assert cli_main.main(["clients", "create", "--name", "Bank", "--kind", "bank", "--scope", "consents",
                          "--auth", "private_key_jwt", "--jwks", str(jwks)]) == 0
    out = capsys.readouterr().out
    assert "no secret: the client authenticates with private_key_jwt (1 key(s) registered)" in out
    [client] = clients(db_env)
    assert client.token_endpoint_auth_method.value == "private_key_jwt" and client.client_secret_hash is None


@pytest.mark.parametrize(("keys", "message"), [
    ([{"kty": "RSA", "n": "AQAB" * 10, "e": "AQAB"}], "shorter than 2048 bits"),
    ([{"kty": "EC", "crv": "P-384", "x": "a", "y": "b"}], "other than P-256"),
    ([{"kty": "OKP", "crv": "Ed25519", "x": "a"}], "has kty 'OKP'"),
    ([{"kty": "EC", "crv": "P-256", "x": "a", "y": "b", "use": "enc"}], "not for signatures"),
    ([{"kty": "EC", "crv": "P-256", "x": "a", "y": "b", "alg": "HS256"}], "RS256 and ES256"),
    ([{"kty": "EC", "crv": "P-256", "x": "not-a-point", "y": "b"}], "cannot be read"),
])
def test_cli_refuses_keys_the_gateway_cannot_verify_with(db_env, tmp_path, capsys, keys, message):
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": keys}))
    assert cli_main.main(["clients", "create", "--name", "Bank", "--kind", "bank", "--scope", "consents",
                          "--auth", "private_key_jwt", "--jwks", str(jwks)]) == 2
    assert message in capsys.readouterr().err
    assert clients(db_env) == []


def test_cli_registers_the_operators_client(db_env, capsys):
    assert cli_main.main(["clients", "create", "--name", "Operations", "--kind", "operator", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["kind"] == "operator" and printed["scopes"] == ["admin"] and printed["client_secret"]
    [client] = clients(db_env)
    assert client.is_operator and client.kind is None
    assert cli_main.main(["clients", "list"]) == 0
    assert re.search(r"'Operations'\s+operator\s+client_secret_basic\s+enabled", capsys.readouterr().out)


@pytest.mark.parametrize(("args", "message"), [
    (("--kind", "operator", "--scope", "consents"), "holds the 'admin' scope and nothing else"),
    (("--kind", "operator", "--redirect-uri", "https://ops.example/cb"), "no --redirect-uri"),
    (("--kind", "wallet_provider", "--scope", "admin"), "only the operator's client may hold the 'admin' scope"),
    (("--kind", "bank",), "at least one scope"),
])
def test_cli_never_gives_admin_to_a_party(db_env, capsys, args, message):
    assert cli_main.main(["clients", "create", "--name", "X", *args]) == 2
    assert message in capsys.readouterr().err
    assert clients(db_env) == []


def test_the_known_scopes_are_the_servers_without_admin():
    from gateway.consent.models import SCOPES_SUPPORTED
    assert set(registration.PARTY_SCOPES) == set(SCOPES_SUPPORTED) - {"admin"}
    assert "admin" in SCOPES_SUPPORTED


def test_checks_name_the_field_they_refuse():
    cases = [
        (lambda: registration.check_redirect_uris(["https://ok.example/cb", "ftp://x"]), "redirect_uris.1"),
        (lambda: registration.check_scopes(["consents", "nope"]), "scopes.1"),
        (lambda: registration.check_username("a b"), "username"),
        (lambda: registration.check_password("short"), "password"),
        (lambda: registration.check_account("DE00", "EUR", "x", None), "iban"),
        (lambda: registration.check_jwks({"keys": []}), "jwks"),
    ]
    for call, field in cases:
        with pytest.raises(InvalidInput) as refused:
            call()
        assert refused.value.findings[0].to_dict()["field"] == field


def test_a_good_jwks_passes_as_given():
    jwks = {"keys": [ECKey.generate_key("P-256").as_dict(private=False),
                     RSAKey.generate_key(2048).as_dict(private=False)]}
    assert registration.check_jwks(jwks) is jwks
