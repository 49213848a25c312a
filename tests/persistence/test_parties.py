"""OAuth clients, account holders and their bank accounts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gateway.domain.errors import InvalidInput
from gateway.persistence import secrets
from gateway.persistence.errors import AlreadyExists, InvalidCredentials, InvalidTransition, NotFound
from gateway.persistence.models import AuthMethod, ClientKind
from gateway.persistence.repositories import AuditLog, BankAccounts, Clients, Holders, Tokens
from gateway.persistence.secrets import new_token

from .conftest import OPERATOR, PASSWORD

JWKS = {"keys": [{"kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                  "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}


def test_a_client_authenticates_with_the_secret_it_was_given_once(db, world, clock):
    client_id, secret = world.wallet.client.client_id, world.wallet.secret
    with db.transaction() as s:
        clients = Clients(s, clock)
        assert clients.authenticate(client_id, secret).name == "Wallet A"
        for wrong_id, wrong_secret in [(client_id, world.other_wallet.secret), (client_id, ""),
                                       ("no-such-client", secret)]:
            with pytest.raises(InvalidCredentials) as refused:
                clients.authenticate(wrong_id, wrong_secret)
            assert refused.value.code == "invalid_client"
        assert clients.get(client_id).client_secret_hash != secret


def test_a_private_key_jwt_client_has_a_jwks_and_no_secret(db, clock):
    with db.transaction() as s:
        clients = Clients(s, clock)
        with pytest.raises(InvalidInput) as refused:
            clients.create(name="Bank", kind=ClientKind.BANK, redirect_uris=[], scopes=["statements"],
                           auth_method=AuthMethod.PRIVATE_KEY_JWT, actor=OPERATOR)
        assert refused.value.code == "invalid_client_metadata"
        bank = clients.create(name="Bank", kind=ClientKind.BANK, redirect_uris=[], scopes=["statements"],
                              auth_method=AuthMethod.PRIVATE_KEY_JWT, jwks=JWKS, actor=OPERATOR, client_id="bank-1")
    assert bank.secret is None
    with db.transaction() as s:
        stored = Clients(s, clock).get("bank-1")
        assert (stored.jwks, stored.client_secret_hash, stored.kind) == (JWKS, None, ClientKind.BANK)
        with pytest.raises(InvalidCredentials):
            Clients(s, clock).authenticate("bank-1", "")


def test_client_ids_are_unique_and_unknown_ones_are_not_found(db, world, clock):
    with db.transaction() as s:
        clients = Clients(s, clock)
        with pytest.raises(AlreadyExists) as taken:
            clients.create(name="Copy", kind=ClientKind.WALLET_PROVIDER, redirect_uris=[], scopes=[],
                           client_id=world.wallet.client.client_id, actor=OPERATOR)
        with pytest.raises(NotFound) as missing:
            clients.get("nope")
    assert (taken.value.code, missing.value.code) == ("client_id_taken", "client_not_found")


def test_a_disabled_client_cannot_authenticate_and_its_tokens_are_revoked(db, world, clock):
    client_id = world.wallet.client.client_id
    with db.transaction() as s:
        token = Tokens(s, clock).store(access_token=new_token(), client_id=client_id, scope="payments",
                                       access_expires_at=clock.now + timedelta(minutes=5), actor=OPERATOR)
        Clients(s, clock).disable(client_id, actor=OPERATOR, reason="contract ended")
    with db.transaction() as s:
        with pytest.raises(InvalidCredentials):
            Clients(s, clock).authenticate(client_id, world.wallet.secret)
        assert s.get(type(token), token.id).revoked_at == clock.now
        actions = [e.action for e in AuditLog(s).entries(subject_id=client_id)]
    assert actions == ["client.created", "client.disabled"]
    with pytest.raises(InvalidTransition), db.transaction() as s:
        Clients(s, clock).disable(client_id, actor=OPERATOR, reason="again")


def test_a_holder_signs_in_with_the_right_password_only(db, world, clock):
    with db.transaction() as s:
        holders = Holders(s, clock)
        assert holders.authenticate("alice", PASSWORD).id == world.holder.id
        errors = []
        for username, password in [("alice", "wrong"), ("alice", ""), ("mallory", PASSWORD), ("bob", PASSWORD)]:
            with pytest.raises(InvalidCredentials) as refused:
                holders.authenticate(username, password)
            errors.append((refused.value.code, refused.value.message))
    assert set(errors) == {("invalid_credentials", "wrong username or password")}  # unknown user: same answer


def test_usernames_are_unique(db, world, clock):
    with pytest.raises(AlreadyExists) as taken, db.transaction() as s:
        Holders(s, clock).create(username="alice", password="another", actor=OPERATOR)
    assert taken.value.code == "username_taken"


def test_a_weak_password_hash_is_upgraded_at_sign_in(db, world, clock, monkeypatch):
    monkeypatch.setattr(secrets, "SCRYPT_N", 2**11)  # the operator raised the cost after alice enrolled
    with db.transaction() as s:
        Holders(s, clock).authenticate("alice", PASSWORD)
    with db.transaction() as s:
        holder = Holders(s, clock).get(world.holder.id)
        assert holder.password_hash.startswith("scrypt$2048$")
        assert Holders(s, clock).authenticate("alice", PASSWORD).id == holder.id


def test_bank_accounts_are_normalised_unique_and_their_holders_only(db, world, clock):
    with db.transaction() as s:
        accounts = BankAccounts(s, clock)
        assert [a.iban for a in accounts.for_holder(world.holder.id)] == ["DE89370400440532013000"]
        with pytest.raises(AlreadyExists) as taken:
            accounts.create(holder_id=world.other_holder.id, iban="de89370400440532013000", currency="EUR",
                            name="copy", actor=OPERATOR)
        with pytest.raises(NotFound) as not_theirs:
            accounts.get_for_holder(world.other_holder.id, world.account.id)
        with pytest.raises(NotFound) as no_holder:
            accounts.create(holder_id="ghost", iban="FR1420041010050500013M02606", currency="EUR", name="x",
                            actor=OPERATOR)
    assert (taken.value.code, not_theirs.value.code, no_holder.value.code) == (
        "iban_taken", "bank_account_not_found", "holder_not_found")
