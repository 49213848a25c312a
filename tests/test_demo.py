"""Demo data (``gateway.demo.seed`` and ``gateway demo seed``), on SQLite and PostgreSQL:
idempotent, secrets stored hashed, and the printed TOTP secret gives codes that verify."""

from __future__ import annotations

import json
import re
import stat
import subprocess
import sys
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import func, select

from gateway import demo
from gateway.domain.rules.identifiers import bic_problem, iban_problem
from gateway.persistence.db import Database, create_database_url_for_sqlite
from gateway.persistence.migrate import upgrade
from gateway.persistence.models import (
    AccountHolder,
    AuditEvent,
    BankAccount,
    OAuthClient,
)
from gateway.persistence.repositories import BankAccounts, Clients, Holders
from gateway.persistence.secrets import hash_token
from tests.cli.test_clients_cli import (  # noqa: F401
    all_stored_text,
    db_env,
    fast_kdf,
    gateway,
    settings_env,
)

ROOT = Path(__file__).resolve().parents[1]
BASE = "http://127.0.0.1:8080"


@pytest.fixture
def db(database_url: str, fast_kdf: None):  # noqa: F811
    database = Database(database_url)
    yield database
    database.dispose()


def counts(db: Database) -> dict[str, int]:
    with db.transaction() as session:
        return {model.__name__: session.scalar(select(func.count()).select_from(model))
                for model in (OAuthClient, AccountHolder, BankAccount, AuditEvent)}


def test_seed_creates_a_client_a_holder_and_accounts_that_work(db, tmp_path):
    data = demo.seed(db, base_url=BASE, secrets_file=tmp_path / "demo-client.json")
    assert data.client_created and data.holder_created and data.accounts_created == [a.iban for a in demo.ACCOUNTS]
    assert data.client_id == "demo-wallet" and data.client_name == "Demo Wallet"
    assert data.scopes == ["consents", "payments", "accounts", "wallet"]
    assert data.redirect_uris == ["http://127.0.0.1:8765/callback", f"{BASE}/demo/callback"]
    with db.transaction() as session:
        assert Clients(session).authenticate(data.client_id, data.client_secret).name == "Demo Wallet"
        holder = Holders(session).authenticate("alice", data.password)
        accounts = BankAccounts(session).for_holder(holder.id)
    assert sorted(a.iban for a in accounts) == sorted(a.iban for a in demo.ACCOUNTS)
    assert all(iban_problem(a.iban) is None and bic_problem(a.bic) is None for a in accounts)
    assert {a.currency for a in accounts} == {"EUR", "GBP"}
    saved = json.loads((tmp_path / "demo-client.json").read_text())
    assert saved["client_id"] == "demo-wallet" and saved["client_secret"] == data.client_secret
    assert "DEVELOPMENT ONLY" in saved["warning"]
    assert stat.S_IMODE((tmp_path / "demo-client.json").stat().st_mode) == 0o600


def test_seed_is_idempotent(db, tmp_path):
    file = tmp_path / "demo-client.json"
    first = demo.seed(db, base_url=BASE, secrets_file=file)
    before = counts(db)
    assert before["AuditEvent"] == 7  # client, holder, three accounts, the wallet's two own accounts
    second = demo.seed(db, base_url=BASE, secrets_file=file)
    assert counts(db) == before
    assert not second.created_anything and second.accounts_held_elsewhere == []
    assert (second.client_id, second.client_secret, second.totp_secret) == (
        first.client_id, first.client_secret, first.totp_secret)
    assert json.loads(file.read_text())["client_secret"] == first.client_secret
    # A server on another port: its callback is added to the same client, once, and audited.
    third = demo.seed(db, base_url="http://127.0.0.1:9000", secrets_file=file)
    assert third.redirect_uris == [*first.redirect_uris, "http://127.0.0.1:9000/demo/callback"]
    assert counts(db) == {**before, "AuditEvent": before["AuditEvent"] + 1}
    demo.seed(db, base_url="http://127.0.0.1:9000", secrets_file=file)
    assert counts(db)["AuditEvent"] == before["AuditEvent"] + 1


def test_secrets_are_not_stored_in_clear(db, database_url, tmp_path):
    data = demo.seed(db, base_url=BASE, secrets_file=tmp_path / "demo-client.json")
    stored = all_stored_text(database_url)
    assert data.client_secret not in stored and data.password not in stored
    with db.transaction() as session:
        client = Clients(session).get(data.client_id)
        holder = Holders(session).find_by_username("alice")
    assert client.client_secret_hash == hash_token(data.client_secret)
    assert holder.password_hash.startswith("scrypt$")
    # The one secret kept as issued (a verifier needs it; see models.py), and only in its column.
    assert holder.totp_secret == data.totp_secret and stored.count(data.totp_secret) == 1


def test_a_secrets_file_of_another_database_is_not_trusted(db, tmp_path):
    file = tmp_path / "demo-client.json"
    mine = demo.seed(db, secrets_file=file)
    other_url = create_database_url_for_sqlite(tmp_path / "other.db")
    upgrade(other_url)
    other_db = Database(other_url)
    theirs = demo.seed(other_db, secrets_file=file)  # a new client there: the file now holds its secret
    other_db.dispose()
    assert theirs.client_secret != mine.client_secret
    again = demo.seed(db, secrets_file=file)
    assert again.client_secret is None and not again.client_created
    assert json.loads(file.read_text())["client_secret"] == theirs.client_secret  # left as it was


def test_demo_accounts_held_by_someone_else_are_left_alone(db, tmp_path):
    with db.transaction() as session:
        bob = Holders(session).create(username="bob", password="bob's password!", actor="operator:test")
        BankAccounts(session).create(holder_id=bob.id, iban=demo.ACCOUNTS[0].iban, currency="EUR", name="Bob",
                                     actor="operator:test")
    data = demo.seed(db, secrets_file=tmp_path / "demo-client.json")
    assert data.accounts_held_elsewhere == [demo.ACCOUNTS[0].iban]
    assert data.accounts_created == [a.iban for a in demo.ACCOUNTS[1:]]


def test_demo_seed_command_prints_a_totp_secret_whose_codes_verify(db_env, tmp_path, capsys):  # noqa: F811
    file = tmp_path / "demo-client.json"
    assert gateway("demo", "seed", "--secrets-file", str(file)) == 0
    out = capsys.readouterr().out
    assert "DEVELOPMENT ONLY" in out and "created" in out
    printed_secret = re.search(r"TOTP secret: +([A-Z2-7]+)", out).group(1)
    client_secret = re.search(r"client_secret: +(\S+)", out).group(1)
    command = re.search(r"current code: +(python -c .+)$", out, re.MULTILINE).group(1)
    for url in ("curl http://127.0.0.1:8080/health", "http://127.0.0.1:8080/docs"):
        assert url in out
    # The one-liner the output suggests prints a code, and that code verifies against what is stored.
    code = subprocess.run(command.replace("python", sys.executable, 1), shell=True, capture_output=True,
                          text=True, timeout=60, check=True).stdout.strip()
    assert re.fullmatch(r"\d{6}", code)
    database = Database(db_env)
    with database.transaction() as session:
        holder = Holders(session).find_by_username("alice")
        assert pyotp.TOTP(holder.totp_secret).verify(code, valid_window=1)
        assert not pyotp.TOTP(holder.totp_secret).verify(f"{(int(code) + 1) % 1_000_000:06d}")
        assert Clients(session).authenticate("demo-wallet", client_secret)
    database.dispose()
    assert holder.totp_secret == printed_secret
    # Again: nothing new, the same secrets printed.
    assert gateway("demo", "seed", "--secrets-file", str(file)) == 0
    again = capsys.readouterr().out
    assert "created" not in again.replace("already there, kept", "")
    assert printed_secret in again and client_secret in again


def test_demo_seed_refuses_the_production_profile(settings_env, tmp_path, capsys):  # noqa: F811
    url = create_database_url_for_sqlite(tmp_path / "gateway.db")
    upgrade(url)
    settings_env.setenv("GATEWAY_PROFILE", "production")
    settings_env.setenv("GATEWAY_SECRET_KEY", "y" * 48)
    assert gateway("demo", "seed", "--database-url", url, "--secrets-file", str(tmp_path / "f.json")) == 2
    assert "development only" in capsys.readouterr().err
    assert not (tmp_path / "f.json").exists()
    database = Database(url)
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(OAuthClient)) == 0
    database.dispose()


def test_the_default_secrets_file_is_git_ignored():
    assert demo.DEFAULT_SECRETS_FILE == ROOT / "var" / "demo-client.json"
    done = subprocess.run(["git", "check-ignore", "-q", "var/demo-client.json"], cwd=ROOT, check=False)
    assert done.returncode == 0, "var/demo-client.json holds a secret in clear: it must stay git-ignored"
