"""No secret value is ever written in clear: read every raw row and look for it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from gateway.persistence.models import Base, ConsentKind
from gateway.persistence.repositories import AuthorizationCodes, Consents, Tokens
from gateway.persistence.secrets import hash_token, new_token

from .conftest import OPERATOR, PASSWORD


def raw_dump(db) -> str:
    """Every column of every row of every table, as the database returns it."""
    with db.transaction() as s:
        rows = [row for table in Base.metadata.sorted_tables
                for row in s.execute(text(f"SELECT * FROM {table.name}"))]
    return "\n".join(" | ".join(map(str, row)) for row in rows)


def test_no_secret_is_stored_in_clear(db, world, clock):
    code, access, refresh = new_token(), new_token(), new_token()
    with db.transaction() as s:
        consent = Consents(s, clock).create(client_id=world.wallet.client.client_id, kind=ConsentKind.ACCOUNTS,
                                            permissions=["balances"], expires_at=clock.now + timedelta(days=1),
                                            actor=OPERATOR)
        AuthorizationCodes(s, clock).store(code=code, client_id=consent.client_id, consent_id=consent.id,
                                           holder_id=world.holder.id, redirect_uri="https://w.example/cb",
                                           scope="accounts", code_challenge="x" * 43, code_challenge_method="S256",
                                           expires_at=clock.now + timedelta(minutes=1))
        Tokens(s, clock).store(access_token=access, refresh_token=refresh, client_id=consent.client_id,
                               consent_id=consent.id, scope="accounts", actor=OPERATOR,
                               access_expires_at=clock.now + timedelta(minutes=5),
                               refresh_expires_at=clock.now + timedelta(days=1))

    dump = raw_dump(db)
    secrets = {"client secret": world.wallet.secret, "other client secret": world.other_wallet.secret,
               "password": PASSWORD, "code": code, "access token": access, "refresh token": refresh}
    assert all(secret for secret in secrets.values())
    for name, secret in secrets.items():
        assert secret not in dump, f"the {name} is stored in clear"
    for name in ("client secret", "code", "access token", "refresh token"):  # the rows are there, hashed
        assert hash_token(secrets[name]) in dump, f"the {name}'s hash is missing: did the test read the rows?"
    assert "scrypt$" in dump
    assert "JBSWY3DPEHPK3PXP" in dump  # the TOTP secret is the documented exception (see models.py)
