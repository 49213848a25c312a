"""Authenticated reads: a bearer token, and the client's consent it asks about, in one
statement, as plain records.

Why not the ORM here: these run on every protected call, and most of a call's time went to
building statements and ORM objects, not to the database (bench/service.py measures it).
So the statements are built once, at import, with bind parameters; they select only the
columns a call uses (every column costs a conversion, and on psycopg a description object,
on every call); rows become frozen dataclasses, never tracked by a session; nothing is
written, so the caller may run them on a connection with no transaction at all
(``gateway.consent.storage.read``).  Anything that changes state goes through the ORM
repositories as before.

* ``token(access_token)``: the token's row by the hash of its value.
* ``token_with_consent(access_token, consent_id)``: the same, plus the consent with that id
  *if the token's client created it*, plus the consent's accounts: one statement (outer
  joins), whatever the answer.  Another client's consent reads as no consent.

Both run as :class:`~gateway.persistence.prepared.PreparedRead` (compiled once per dialect,
run on the DBAPI connection); that halves the time of a statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, bindparam, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from gateway.persistence.models import (
    BankAccount,
    Consent,
    ConsentKind,
    ConsentStatus,
    Token,
    consent_accounts,
)
from gateway.persistence.prepared import PreparedRead, connection_of
from gateway.persistence.secrets import hash_token


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """What authorising a call needs of a ``tokens`` row (its access side; no hashes)."""

    client_id: str
    consent_id: str | None
    scope: str
    access_expires_at: datetime
    revoked_at: datetime | None

    def access_is_active(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.access_expires_at


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """An account as a consent shows it."""

    id: str
    iban: str
    currency: str


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """What a consent's JSON shows of a ``consents`` row and its accounts, read-only, under the
    same attribute names as ``Consent`` (its client is the token's)."""

    id: str
    kind: ConsentKind
    status: ConsentStatus
    permissions: list[str]
    currency: str | None
    max_amount_per_payment: Decimal | None
    max_total_amount: Decimal | None
    max_count: int | None
    used_amount: Decimal
    used_count: int
    file_sha256: str | None
    expires_at: datetime
    created_at: datetime
    updated_at: datetime
    accounts: tuple[AccountRecord, ...]

    def is_active(self, now: datetime) -> bool:
        return self.status == ConsentStatus.AUTHORISED and now < self.expires_at


_tokens, _consents, _accounts = Token.__table__, Consent.__table__, BankAccount.__table__
_TOKEN = [_tokens.c[name] for name in TokenRecord.__slots__]
_CONSENT = [_consents.c[name].label(f"c_{name}") for name in ConsentRecord.__slots__ if name != "accounts"]
_ACCOUNT = [_accounts.c[name].label(f"a_{name}") for name in AccountRecord.__slots__]
"""Labelled: a token's ``consent_id`` and a consent's ``id`` must not meet under one name."""

TOKEN_BY_HASH = PreparedRead(select(*_TOKEN).where(_tokens.c.access_token_hash == bindparam("digest")))


TOKEN_WITH_CONSENT = PreparedRead(
    select(*_TOKEN, *_CONSENT, *_ACCOUNT)
    .select_from(_tokens
                 .outerjoin(_consents, and_(_consents.c.id == bindparam("consent_id"),
                                            _consents.c.client_id == _tokens.c.client_id))
                 .outerjoin(consent_accounts, consent_accounts.c.consent_id == _consents.c.id)
                 .outerjoin(_accounts, _accounts.c.id == consent_accounts.c.bank_account_id))
    .where(_tokens.c.access_token_hash == bindparam("digest"))
    .order_by(_accounts.c.iban)
)


def token(connection: Connection | Session, access_token: str) -> TokenRecord | None:
    if isinstance(connection, Session):
        connection = connection_of(connection)
    rows = TOKEN_BY_HASH.rows(connection, {"digest": hash_token(access_token)})
    return _token(rows[0]) if rows else None


def token_with_consent(connection: Connection, access_token: str,
                       consent_id: str) -> tuple[TokenRecord | None, ConsentRecord | None]:
    rows = TOKEN_WITH_CONSENT.rows(connection, {"digest": hash_token(access_token), "consent_id": consent_id})
    if not rows:
        return None, None
    return _token(rows[0]), _consent(rows)


_T, _C = len(_TOKEN), len(_TOKEN) + len(_CONSENT)
"""Where a row's token, consent and account columns start and end (rows are read by position)."""


def _token(row: Any) -> TokenRecord:
    return TokenRecord(*row[:_T])


def _consent(rows: list[Any]) -> ConsentRecord | None:
    first = rows[0]
    if first[_T] is None:  # no such consent for this client
        return None
    accounts = tuple(AccountRecord(*row[_C:]) for row in rows if row[_C] is not None)
    return ConsentRecord(*first[_T:_C], accounts=accounts)
