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


# -- the operator's client -----------------------------------------------------------------------------

def test_only_the_operators_client_holds_admin_and_it_holds_nothing_else(db, clock):
    with db.transaction() as s:
        clients = Clients(s, clock)
        ops = clients.create(name="Ops", kind=None, operator=True, scopes=["admin"], redirect_uris=[],
                             actor=OPERATOR)
        refusals = [
            dict(kind=ClientKind.WALLET_PROVIDER, scopes=["consents", "admin"], redirect_uris=[]),  # a party
            dict(kind=None, scopes=["consents"], redirect_uris=[]),  # a party without a kind
            dict(kind=None, operator=True, scopes=["admin", "consents"], redirect_uris=[]),
            dict(kind=ClientKind.BANK, operator=True, scopes=["admin"], redirect_uris=[]),
            dict(kind=None, operator=True, scopes=["admin"], redirect_uris=["https://ops.example/cb"]),
        ]
        for fields in refusals:
            with pytest.raises(InvalidInput) as refused:
                clients.create(name="X", actor=OPERATOR, **fields)
            assert refused.value.code == "invalid_client_metadata", fields
    assert ops.secret
    with db.transaction() as s:
        stored = Clients(s, clock).get(ops.client.client_id)
        assert (stored.is_operator, stored.kind, stored.scopes) == (True, None, ["admin"])
        [event] = AuditLog(s).entries(action="client.created")
        assert event.details["kind"] == "operator"


def test_the_table_keeps_operators_and_parties_apart(db, world, clock):
    """The CHECK constraint, past the repository: a party cannot be turned into an operator."""
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    from gateway.persistence.models import OAuthClient
    for values in ({"is_operator": True}, {"kind": None}):
        with pytest.raises(IntegrityError), db.transaction() as s:
            s.execute(update(OAuthClient).where(OAuthClient.client_id == world.wallet.client.client_id)
                      .values(**values))


def test_clients_and_holders_are_listed(db, world, clock):
    with db.transaction() as s:
        assert {c.name for c in Clients(s, clock).list()} == {"Wallet A", "Wallet B"}
        assert [h.username for h in Holders(s, clock).list()] == ["alice", "bob"]


# -- TOTP replay -----------------------------------------------------------------------------------------

def test_a_totp_step_is_accepted_once_and_only_forwards(db, world, clock):
    with db.transaction() as s:
        holders = Holders(s, clock)
        holder = holders.get(world.holder.id)
        assert holders.accept_totp_step(holder, 1000) and holder.totp_last_step == 1000
        assert not holders.accept_totp_step(holder, 1000)  # the same code again
        assert not holders.accept_totp_step(holder, 999)  # an older one
        assert holders.accept_totp_step(holder, 1001)
    with db.transaction() as s:
        assert Holders(s, clock).get(world.holder.id).totp_last_step == 1001


def test_of_two_concurrent_uses_of_one_step_only_one_wins(db, world, clock):
    """Two workers' transactions, the second started before the first commits: it waits for the
    first (row lock on PostgreSQL, writer lock on SQLite), then finds the step taken."""
    import threading

    from sqlalchemy.orm import Session

    results: list[bool] = []
    first = Session(db.engine)
    try:
        results.append(Holders(first, clock).accept_totp_step(Holders(first, clock).get(world.holder.id), 2000))

        def second() -> None:
            with db.transaction() as s:
                results.append(Holders(s, clock).accept_totp_step(Holders(s, clock).get(world.holder.id), 2000))

        thread = threading.Thread(target=second)
        thread.start()
        thread.join(0.5)
        first.commit()
        thread.join(30)
    finally:
        first.close()
    assert results == [True, False]


# -- sign-in throttling ----------------------------------------------------------------------------------

def test_failures_lock_a_name_for_a_while_and_a_success_clears_them(db, world, clock):
    from gateway.persistence.repositories.signin import LockPolicy, SignInThrottles

    policy = LockPolicy(max_failures=3, window=timedelta(minutes=10), lockout=timedelta(minutes=5))
    with db.transaction() as s:
        throttles = SignInThrottles(s, clock)
        assert throttles.record_failure("alice", policy, holder=world.holder) is None
        assert throttles.record_failure("alice", policy, holder=world.holder) is None
        assert throttles.locked_until("alice") is None
        until = throttles.record_failure("alice", policy, holder=world.holder)
        assert until == clock.now + timedelta(minutes=5) == throttles.locked_until("alice")
        assert throttles.locked_until("bob") is None
    clock.advance(minutes=5)
    with db.transaction() as s:
        throttles = SignInThrottles(s, clock)
        assert throttles.locked_until("alice") is None
        throttles.record_failure("alice", policy)
        throttles.record_failure("alice", policy)
        throttles.record_success("alice")
        assert throttles.record_failure("alice", policy) is None  # counting starts again
        [event] = AuditLog(s).entries(action="holder.locked")
        assert (event.subject_id, event.actor) == (world.holder.id, "system")


def test_concurrent_failures_all_count(db, world, clock):
    """Two transactions recording failures for one name: both are counted (an upsert, not read-then-write)."""
    from gateway.persistence.repositories.signin import LockPolicy, SignInThrottles

    policy = LockPolicy(max_failures=10)
    for _ in range(2):
        with db.transaction() as s:
            SignInThrottles(s, clock).record_failure("alice", policy)
    from gateway.persistence.models import SignInThrottle
    with db.transaction() as s:
        assert s.query(SignInThrottle).one().failures == 2


def test_stale_throttle_rows_are_forgotten(db, world, clock):
    from gateway.persistence.models import SignInThrottle
    from gateway.persistence.repositories.signin import LockPolicy, SignInThrottles

    policy = LockPolicy()
    with db.transaction() as s:
        SignInThrottles(s, clock).record_failure("typo-1", policy)
    clock.advance(minutes=16)
    with db.transaction() as s:
        SignInThrottles(s, clock).record_failure("typo-2", policy)
        assert s.query(SignInThrottle).count() == 1


# -- migration 0003 keeps what was there -----------------------------------------------------------------

def test_upgrading_to_0003_keeps_the_clients_as_parties(blank_database_url, clock):
    from sqlalchemy import create_engine, pool, text

    from gateway.persistence import migrate

    migrate.upgrade(blank_database_url, "0002")
    engine = create_engine(blank_database_url, poolclass=pool.NullPool)
    try:
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO oauth_clients (client_id, client_secret_hash, name, kind, redirect_uris, scopes, "
                "token_endpoint_auth_method, created_at) VALUES ('w1', :h, 'Wallet', 'wallet_provider', '[]', "
                "'[\"consents\"]', 'client_secret_basic', '2026-11-23 09:00:00')"), {"h": "0" * 64})
        migrate.upgrade(blank_database_url)
        with engine.connect() as connection:
            row = connection.execute(text("SELECT kind, is_operator FROM oauth_clients")).one()
        assert (row.kind, bool(row.is_operator)) == ("wallet_provider", False)
        migrate.downgrade(blank_database_url, "0002")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT client_id FROM oauth_clients")).scalars().all() == ["w1"]
    finally:
        engine.dispose()
