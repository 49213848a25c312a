"""Tokens: lookup by hash, refresh rotation, reuse detection that revokes the
whole family, and authorization codes that work once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gateway.domain.errors import InvalidInput
from gateway.persistence.errors import ConcurrentUpdate, InvalidTransition
from gateway.persistence.models import AuthorizationCode, ConsentKind, Token
from gateway.persistence.repositories import AuditLog, AuthorizationCodes, Consents, TokenLifetimes, Tokens
from gateway.persistence.secrets import hash_token, new_token

from .conftest import OPERATOR


def lifetimes(clock) -> TokenLifetimes:
    return TokenLifetimes(clock.now + timedelta(minutes=5), clock.now + timedelta(days=30))


def issue(db, world, clock, *, family_id=None, consent_id=None) -> tuple[str, str, str]:
    """(token id, access token, refresh token)."""
    access, refresh = new_token(), new_token()
    life = lifetimes(clock)
    with db.transaction() as s:
        token = Tokens(s, clock).store(access_token=access, refresh_token=refresh, scope="accounts",
                                       client_id=world.wallet.client.client_id, consent_id=consent_id,
                                       family_id=family_id, access_expires_at=life.access_expires_at,
                                       refresh_expires_at=life.refresh_expires_at, actor="system")
    return token.id, access, refresh


def refresh(db, world, clock, refresh_token) -> tuple[str, str] | None:
    """What the refresh grant does: authenticate the refresh token, then rotate it."""
    access, new_refresh = new_token(), new_token()
    with db.transaction() as s:
        tokens = Tokens(s, clock)
        old = tokens.authenticate_refresh(refresh_token, world.wallet.client.client_id)
        if old is None:
            return None
        tokens.rotate(old, access_token=access, refresh_token=new_refresh, lifetimes=lifetimes(clock), actor="system")
    return access, new_refresh


def active(db, clock, access_token) -> bool:
    with db.transaction() as s:
        token = Tokens(s, clock).find_by_access_token(access_token)
        return token is not None and token.access_is_active(clock.now)


def test_a_token_is_found_by_its_value_and_expires(db, world, clock):
    token_id, access, refresh_token = issue(db, world, clock)
    with db.transaction() as s:
        tokens = Tokens(s, clock)
        found = tokens.find_by_access_token(access)
        assert (found.id, found.access_token_hash, found.family_id) == (token_id, hash_token(access), token_id)
        assert tokens.find_by_refresh_token(refresh_token).id == token_id
        assert tokens.find_by_access_token(refresh_token) is None
        assert tokens.find_by_access_token(new_token()) is None
    assert active(db, clock, access)
    clock.advance(minutes=5)
    assert not active(db, clock, access)


def test_rotation_keeps_the_family_and_spends_the_old_token(db, world, clock):
    token_id, access, refresh_token = issue(db, world, clock)
    clock.advance(minutes=10)
    new_access, new_refresh = refresh(db, world, clock, refresh_token)
    with db.transaction() as s:
        old, new = s.get(Token, token_id), Tokens(s, clock).find_by_access_token(new_access)
        assert (new.family_id, new.client_id, new.scope) == (token_id, old.client_id, "accounts")
        assert (old.replaced_by, old.revoked_at) == (new.id, clock.now)
    assert active(db, clock, new_access) and not active(db, clock, access)
    assert refresh(db, world, clock, new_refresh) is not None  # the new one rotates in turn


def test_a_reused_refresh_token_revokes_the_whole_family(db, world, clock):
    token_id, _, stolen = issue(db, world, clock)
    _, unrelated_access, _ = issue(db, world, clock)
    access_1, refresh_1 = refresh(db, world, clock, stolen)
    access_2, refresh_2 = refresh(db, world, clock, refresh_1)

    assert refresh(db, world, clock, stolen) is None  # the attacker (or the victim) replays the spent token

    assert not active(db, clock, access_1) and not active(db, clock, access_2)  # revoked and committed
    assert refresh(db, world, clock, refresh_2) is None
    assert active(db, clock, unrelated_access)
    with db.transaction() as s:
        family = s.scalars(select(Token).where(Token.family_id == token_id)).all()
        assert len(family) == 3 and all(t.revoked_at is not None for t in family)
        reused = AuditLog(s).entries(action="token.refresh_reused")
        last_id = Tokens(s, clock).find_by_refresh_token(refresh_2).id
    # the replay of the stolen token, then the (now revoked) last one presented above
    assert [(e.subject_id, e.actor) for e in reused] == [(token_id, "system"), (last_id, "system")]


def test_refresh_is_refused_for_another_client_or_after_expiry_without_revoking(db, world, clock):
    _, access, refresh_token = issue(db, world, clock)
    with db.transaction() as s:
        assert Tokens(s, clock).authenticate_refresh(refresh_token, world.other_wallet.client.client_id) is None
    clock.advance(days=30)
    assert refresh(db, world, clock, refresh_token) is None
    with db.transaction() as s:
        assert Tokens(s, clock).find_by_access_token(access).revoked_at is None
        assert AuditLog(s).entries(action="token.refresh_reused") == []


def test_a_spent_token_cannot_be_rotated_again(db, world, clock):
    token_id, _, refresh_token = issue(db, world, clock)
    refresh(db, world, clock, refresh_token)
    with pytest.raises(InvalidTransition) as refused, db.transaction() as s:
        Tokens(s, clock).rotate(s.get(Token, token_id), access_token=new_token(), refresh_token=new_token(),
                                lifetimes=lifetimes(clock), actor="system")
    assert refused.value.code == "invalid_grant"


def test_of_two_concurrent_rotations_only_one_wins(db, world, clock):
    token_id, _, refresh_token = issue(db, world, clock)
    with pytest.raises(ConcurrentUpdate), db.transaction() as first:
        stale = Tokens(first, clock).authenticate_refresh(refresh_token, world.wallet.client.client_id)
        assert refresh(db, world, clock, refresh_token) is not None  # the other request commits first
        Tokens(first, clock).rotate(stale, access_token=new_token(), refresh_token=new_token(),
                                    lifetimes=lifetimes(clock), actor="system")
    with db.transaction() as s:
        assert len(s.scalars(select(Token).where(Token.family_id == token_id)).all()) == 2


def test_revoking_a_family_is_audited_per_token(db, world, clock):
    token_id, _, refresh_token = issue(db, world, clock)
    new_access, _ = refresh(db, world, clock, refresh_token)
    with db.transaction() as s:
        revoked = Tokens(s, clock).revoke_family(token_id, actor="client:w", reason="RFC 7009 revocation")
    assert len(revoked) == 1  # the first one was already revoked by the rotation
    assert not active(db, clock, new_access)
    with db.transaction() as s:
        events = AuditLog(s).entries(action="token.revoked")
    assert [(e.subject_id, e.actor, e.reason) for e in events] == [(revoked[0].id, "client:w", "RFC 7009 revocation")]


def new_code(db, world, clock, **overrides) -> tuple[str, str]:
    """(code, consent id)."""
    code = new_token()
    with db.transaction() as s:
        consent = Consents(s, clock).create(client_id=world.wallet.client.client_id, kind=ConsentKind.ACCOUNTS,
                                            permissions=["balances"], expires_at=clock.now + timedelta(days=1),
                                            actor=OPERATOR)
        fields = {"code": code, "client_id": consent.client_id, "consent_id": consent.id,
                  "holder_id": world.holder.id, "redirect_uri": "https://w.example/cb", "scope": "accounts",
                  "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method": "S256",
                  "expires_at": clock.now + timedelta(minutes=1)}
        AuthorizationCodes(s, clock).store(**{**fields, **overrides})
    return code, consent.id


def test_a_code_works_once_and_its_reuse_revokes_the_tokens_it_gave(db, world, clock):
    code, consent_id = new_code(db, world, clock)
    with db.transaction() as s:
        row = AuthorizationCodes(s, clock).consume(code, world.wallet.client.client_id)
        assert (row.consent_id, row.holder_id, row.used_at) == (consent_id, world.holder.id, clock.now)
        family_id = row.family_id
    _, access, _ = issue(db, world, clock, family_id=family_id, consent_id=consent_id)

    with db.transaction() as s:
        assert AuthorizationCodes(s, clock).consume(code, world.wallet.client.client_id) is None
    assert not active(db, clock, access)
    with db.transaction() as s:
        assert [e.subject_id for e in AuditLog(s).entries(action="code.reused")] == [consent_id]


def test_a_code_is_refused_to_another_client_and_after_expiry(db, world, clock):
    code, _ = new_code(db, world, clock)
    with db.transaction() as s:
        codes = AuthorizationCodes(s, clock)
        assert codes.consume(code, world.other_wallet.client.client_id) is None
        assert codes.consume(new_token(), world.wallet.client.client_id) is None
    clock.advance(minutes=1)
    with db.transaction() as s:
        assert AuthorizationCodes(s, clock).consume(code, world.wallet.client.client_id) is None
        assert s.get(AuthorizationCode, hash_token(code)).used_at is None


def test_of_two_concurrent_redemptions_only_one_wins(db, world, clock):
    code, _ = new_code(db, world, clock)
    with pytest.raises(ConcurrentUpdate), db.transaction() as first:
        stale = first.get(AuthorizationCode, hash_token(code))
        with db.transaction() as second:
            assert AuthorizationCodes(second, clock).consume(code, world.wallet.client.client_id) is not None
        assert stale.used_at is None  # the first request read the code before the second used it
        stale.used_at = clock.now
        first.flush()


@pytest.mark.parametrize("method", ["plain", ""])
def test_only_s256_pkce_is_stored(db, world, clock, method):
    with pytest.raises(InvalidInput):
        new_code(db, world, clock, code_challenge_method=method)
    code, _ = new_code(db, world, clock)
    with pytest.raises(IntegrityError), db.transaction() as s:  # the database refuses it too
        s.get(AuthorizationCode, hash_token(code)).code_challenge_method = method or "none"


# -- client assertions (RFC 7523 jti) ---------------------------------------------------------------------

def test_an_assertion_jti_is_accepted_once_until_it_expires(db, world, clock):
    from gateway.persistence.models import ClientAssertion
    from gateway.persistence.repositories.assertions import ClientAssertions

    client_id, other = world.wallet.client.client_id, world.other_wallet.client.client_id
    expires = clock.now + timedelta(minutes=1)
    with db.transaction() as s:
        assertions = ClientAssertions(s, clock)
        assert assertions.use(client_id, "jti-1", expires)
        assert not assertions.use(client_id, "jti-1", expires)
        assert assertions.use(other, "jti-1", expires)  # another client's jti is its own
    with db.transaction() as s:
        assert not ClientAssertions(s, clock).use(client_id, "jti-1", expires)  # committed, still refused
        assert [e.subject_id for e in AuditLog(s).entries(action="client.assertion_replayed")] == [client_id] * 2
        assert {r.jti_hash for r in s.scalars(select(ClientAssertion))} == {hash_token("jti-1")}
    clock.advance(minutes=2)
    with db.transaction() as s:
        assert ClientAssertions(s, clock).use(client_id, "jti-2", clock.now + timedelta(minutes=1))
        assert [r.jti_hash for r in s.scalars(select(ClientAssertion))] == [hash_token("jti-2")]  # expired: gone


def test_of_two_concurrent_uses_of_one_jti_only_one_wins(db, world, clock):
    """Two open transactions insert the same jti: the second waits for the first's commit (the row
    lock on PostgreSQL, the writer lock and busy timeout on SQLite), then sees the conflict."""
    import threading

    from sqlalchemy.orm import Session

    from gateway.persistence.repositories.assertions import ClientAssertions

    client_id, expires = world.wallet.client.client_id, clock.now + timedelta(minutes=1)
    results: list[bool | str] = []
    first = Session(db.engine)
    try:
        results.append(ClientAssertions(first, clock).use(client_id, "race", expires))

        def second() -> None:
            with db.transaction() as s:
                results.append(ClientAssertions(s, clock).use(client_id, "race", expires))

        thread = threading.Thread(target=second)
        thread.start()
        thread.join(0.5)
        first.commit()
        thread.join(30)
    finally:
        first.close()
    assert results == [True, False], results
