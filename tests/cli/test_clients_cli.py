"""``gateway clients`` and ``gateway holders``: what an operator types and reads, and what
ends up in the database (on SQLite and on PostgreSQL).  Commands run in-process (exit
code and printed output, as ``gateway`` returns them); one runs as a real process."""

from __future__ import annotations

import importlib
import io
import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select

from gateway.cli import main as cli_main
from gateway.persistence import secrets
from gateway.persistence.db import Database, create_database_url_for_sqlite
from gateway.persistence.errors import InvalidCredentials
from gateway.persistence.migrate import current_revision, head_revision
from gateway.persistence.models import (
    AccountHolder,
    BankAccount,
    Base,
    OAuthClient,
    Token,
)
from gateway.persistence.repositories import AuditLog, Clients, Holders, Tokens
from gateway.persistence.secrets import hash_token, new_token
from gateway.persistence.types import utcnow

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a long enough password"
PUBLIC_JWK = {"kty": "EC", "crv": "P-256", "kid": "wallet-1", "use": "sig",
              "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}


def gateway(*argv: str) -> int:
    """``gateway ARGV`` in-process: through gateway.cli.main once it lists the command,
    through the command's own module until then."""
    if argv[0] in cli_main.COMMANDS:
        return cli_main.main(list(argv))
    return importlib.import_module(f"gateway.cli.{argv[0]}").main(list(argv[1:]))


@pytest.fixture
def fast_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """scrypt at a test-sized cost (production cost is ~0.3 s a hash)."""
    monkeypatch.setattr(secrets, "SCRYPT_N", 2**10)


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No GATEWAY_* setting of the developer's leaks in (the suite's schema store stays)."""
    for name in list(os.environ):
        if name.startswith("GATEWAY_") and name != "GATEWAY_SCHEMA_DIR":
            monkeypatch.delenv(name)
    return monkeypatch


@pytest.fixture
def db_env(database_url: str, settings_env: pytest.MonkeyPatch, fast_kdf: None) -> str:
    """The commands' database (from GATEWAY_DATABASE_URL, as an operator sets it): migrated, both backends."""
    settings_env.setenv("GATEWAY_DATABASE_URL", database_url)
    return database_url


def read(url: str, model):
    database = Database(url)
    try:
        with database.transaction() as session:
            return list(session.scalars(select(model)))
    finally:
        database.dispose()


def all_stored_text(url: str) -> str:
    """Every value of every row of every table, as text."""
    database = Database(url)
    try:
        with database.transaction() as session:
            return "\n".join(repr(tuple(row)) for table in Base.metadata.sorted_tables
                             for row in session.execute(table.select()))
    finally:
        database.dispose()


def create_wallet(*extra: str) -> int:
    return gateway("clients", "create", "--name", "Acme Wallet", "--kind", "wallet_provider",
                   "--redirect-uri", "https://wallet.example/cb", "--redirect-uri", "http://127.0.0.1:9999/cb",
                   "--scope", "payments", "--scope", "accounts", *extra)


# -- clients -------------------------------------------------------------------------------------------

def test_create_prints_the_secret_once_and_stores_only_its_hash(db_env, capsys):
    assert create_wallet() == 0
    out = capsys.readouterr().out
    client_id = re.search(r"client_id: +(\S+)", out).group(1)
    secret = re.search(r"client_secret: +(\S+)", out).group(1)
    assert "shown once" in out
    [client] = read(db_env, OAuthClient)
    assert client.client_id == client_id and client.name == "Acme Wallet" and client.kind.value == "wallet_provider"
    assert client.redirect_uris == ["https://wallet.example/cb", "http://127.0.0.1:9999/cb"]
    assert client.scopes == ["payments", "accounts"]
    assert client.client_secret_hash == hash_token(secret)
    assert secret not in all_stored_text(db_env)
    database = Database(db_env)
    with database.transaction() as session:
        assert Clients(session).authenticate(client_id, secret).client_id == client_id
        [event] = AuditLog(session).entries(action="client.created")
        assert event.actor.startswith("operator:") and event.subject_id == client_id
    database.dispose()
    assert gateway("clients", "list") == 0
    listing = capsys.readouterr().out
    assert client_id in listing and "enabled" in listing and secret not in listing


def test_private_key_jwt_client_registers_its_public_keys(db_env, tmp_path, capsys):
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [PUBLIC_JWK]}))
    assert gateway("clients", "create", "--name", "Bank", "--kind", "bank", "--scope", "payments",
                   "--auth-method", "private_key_jwt", "--jwks", str(jwks), "--json") == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["client_secret"] is None and printed["token_endpoint_auth_method"] == "private_key_jwt"
    [client] = read(db_env, OAuthClient)
    assert client.jwks == {"keys": [PUBLIC_JWK]} and client.client_secret_hash is None
    assert client.kind.value == "bank" and client.redirect_uris == []


@pytest.mark.parametrize(("args", "message"), [
    (("--auth-method", "private_key_jwt"), "needs --jwks"),
    (("--redirect-uri", "http://wallet.example/cb"), "only allowed on a loopback host"),
    (("--redirect-uri", "https://wallet.example/cb#done"), "must not contain a fragment"),
    (("--redirect-uri", "/cb"), "must be an absolute https://"),
    (("--scope", "payment"), "unknown scope 'payment'"),
    (("--jwks", "missing.json", "--auth-method", "private_key_jwt"), "cannot read the JWKS file"),
    (("--name", "  "), "--name must not be empty"),
])
def test_create_refuses_bad_metadata_and_registers_nothing(args, message, db_env, capsys):
    assert gateway("clients", "create", "--name", "W", "--kind", "wallet_provider", "--scope", "accounts",
                   *args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert read(db_env, OAuthClient) == []


def test_a_jwks_with_a_private_key_is_refused(db_env, tmp_path, capsys):
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [{**PUBLIC_JWK, "d": "private-part"}]}))
    assert gateway("clients", "create", "--name", "Bank", "--kind", "bank", "--scope", "payments",
                   "--auth-method", "private_key_jwt", "--jwks", str(jwks)) == 2
    assert "private key material (d)" in capsys.readouterr().err
    assert read(db_env, OAuthClient) == []


def test_disable_refuses_the_client_revokes_its_tokens_and_audits_the_reason(db_env, capsys):
    assert create_wallet("--json") == 0
    created = json.loads(capsys.readouterr().out)
    client_id, secret = created["client_id"], created["client_secret"]
    database = Database(db_env)
    with database.transaction() as session:
        token = Tokens(session).store(access_token=new_token(), client_id=client_id, scope="payments",
                                      access_expires_at=utcnow() + timedelta(minutes=5), actor="system")
        token_id = token.id
    assert gateway("clients", "disable", client_id, "--reason", "key leaked on a forum") == 0
    assert f"disabled client {client_id}" in capsys.readouterr().out
    with database.transaction() as session:
        with pytest.raises(InvalidCredentials, match="client authentication failed"):
            Clients(session).authenticate(client_id, secret)
        [event] = AuditLog(session).entries(action="client.disabled")
        assert event.reason == "key leaked on a forum" and event.actor.startswith("operator:")
        assert session.get(Token, token_id).revoked_at is not None
    database.dispose()
    assert gateway("clients", "list", "--json") == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert listed["client_id"] == client_id and listed["disabled_at"] is not None
    assert gateway("clients", "disable", client_id, "--reason", "again") == 2
    assert "already disabled" in capsys.readouterr().err
    assert gateway("clients", "disable", "no-such-client", "--reason", "typo") == 2
    assert "client_not_found" in capsys.readouterr().err


def test_list_with_no_clients_says_how_to_add_one(db_env, capsys):
    assert gateway("clients", "list") == 0
    assert "gateway clients create" in capsys.readouterr().out


# -- holders -------------------------------------------------------------------------------------------

def create_holder(monkeypatch, username: str = "carol", password: str = PASSWORD) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    return gateway("holders", "create", "--username", username, "--password-stdin")


def test_holder_gets_a_hashed_password_and_a_working_totp_secret(db_env, settings_env, capsys):
    assert create_holder(settings_env) == 0
    out = capsys.readouterr().out
    secret = re.search(r"TOTP secret: ([A-Z2-7]+)", out).group(1)
    uri = re.search(r"otpauth URI: (\S+)", out).group(1)
    assert pyotp.parse_uri(uri).secret == secret and "issuer=ISO%2020022%20Gateway" in uri
    [holder] = read(db_env, AccountHolder)
    assert holder.username == "carol" and holder.password_hash.startswith("scrypt$")
    assert PASSWORD not in all_stored_text(db_env)
    assert pyotp.TOTP(holder.totp_secret).verify(pyotp.TOTP(secret).now())
    database = Database(db_env)
    with database.transaction() as session:
        assert Holders(session).authenticate("carol", PASSWORD).id == holder.id
    database.dispose()


def test_holder_refusals(db_env, settings_env, capsys):
    assert create_holder(settings_env, password="short") == 2
    assert "too short" in capsys.readouterr().err
    assert create_holder(settings_env, username="two words") == 2
    assert "without spaces" in capsys.readouterr().err
    settings_env.setattr(sys, "stdin", io.StringIO(""))  # not a terminal, and no --password-stdin
    assert gateway("holders", "create", "--username", "carol") == 2
    assert "--password-stdin" in capsys.readouterr().err
    assert read(db_env, AccountHolder) == []
    assert create_holder(settings_env) == 0
    assert create_holder(settings_env) == 2
    assert "username_taken" in capsys.readouterr().err


def test_holder_password_prompt_asks_twice(db_env, settings_env, capsys):
    answers = iter([PASSWORD, PASSWORD + "x"])
    settings_env.setattr("getpass.getpass", lambda prompt="": next(answers))
    settings_env.setattr(sys, "stdin", type("Tty", (io.StringIO,), {"isatty": lambda self: True})())
    assert gateway("holders", "create", "--username", "carol") == 2
    assert "the two passwords differ" in capsys.readouterr().err
    answers = iter([PASSWORD, PASSWORD])
    assert gateway("holders", "create", "--username", "carol") == 0
    assert [h.username for h in read(db_env, AccountHolder)] == ["carol"]


def test_add_account_checks_and_normalises_the_iban(db_env, settings_env, capsys):
    assert create_holder(settings_env) == 0
    assert gateway("holders", "add-account", "--username", "carol", "--iban", "nl91 abna 0417 1643 00",
                   "--currency", "eur", "--name", "Carol current", "--bic", "ABNANL2A") == 0
    assert "enrolled NL91ABNA0417164300 (EUR" in capsys.readouterr().out
    [account] = read(db_env, BankAccount)
    assert (account.iban, account.currency, account.name, account.bic) == (
        "NL91ABNA0417164300", "EUR", "Carol current", "ABNANL2A")
    refusals = [
        (("--iban", "NL91ABNA0417164301", "--currency", "EUR"), "check digits do not match"),
        (("--iban", "DE89370400440532013000", "--currency", "EUX"), "not an ISO 4217 currency code"),
        (("--iban", "DE89370400440532013000", "--currency", "EUR", "--bic", "COBADEF"), "not a valid BIC"),
        (("--iban", "NL91ABNA0417164300", "--currency", "EUR"), "iban_taken"),
    ]
    for args, message in refusals:
        assert gateway("holders", "add-account", "--username", "carol", "--name", "x", *args) == 2, message
        assert message in capsys.readouterr().err
    assert gateway("holders", "add-account", "--username", "nobody", "--iban", "DE89370400440532013000",
                   "--currency", "EUR", "--name", "x") == 2
    assert "holder_not_found" in capsys.readouterr().err
    assert len(read(db_env, BankAccount)) == 1


# -- the database the commands open --------------------------------------------------------------------

def test_development_commands_migrate_a_fresh_database(settings_env, tmp_path, capsys):
    url = create_database_url_for_sqlite(tmp_path / "sub" / "fresh.db")
    assert gateway("clients", "list", "--database-url", url) == 0
    assert "no clients registered" in capsys.readouterr().out
    assert current_revision(url) == head_revision()


def test_production_refuses_a_database_that_is_not_migrated(settings_env, tmp_path, capsys):
    url = create_database_url_for_sqlite(tmp_path / "fresh.db")
    settings_env.setenv("GATEWAY_PROFILE", "production")
    settings_env.setenv("GATEWAY_SECRET_KEY", "x" * 48)
    settings_env.setenv("GATEWAY_DATABASE_URL", url)
    assert gateway("clients", "list") == 2
    err = capsys.readouterr().err
    assert "database_not_migrated" in err and "gateway db upgrade" in err
    assert current_revision(url) is None


def test_the_command_runs_as_a_process(tmp_path):
    """What an operator runs, in a separate process: the secret on standard output, exit 0."""
    url = create_database_url_for_sqlite(tmp_path / "gateway.db")
    command = ["-m", "gateway.cli.main"] if "clients" in cli_main.COMMANDS else ["-m", "gateway.cli.clients"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_") or k == "GATEWAY_SCHEMA_DIR"}
    done = subprocess.run([sys.executable, *command, *(["clients"] if "clients" in cli_main.COMMANDS else []),
                           "create", "--name", "W", "--kind", "wallet_provider", "--scope", "consents",
                           "--database-url", url], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    secret = re.search(r"client_secret: +(\S+)", done.stdout).group(1)
    [client] = read(url, OAuthClient)
    assert client.client_secret_hash == hash_token(secret)
