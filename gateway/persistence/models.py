"""The tables.  Secrets are columns named ``*_hash`` and hold SHA-256 (tokens,
codes, client secrets) or scrypt (passwords) output, never the value itself.

The one exception is ``account_holders.totp_secret``: a TOTP verifier must
compute the same codes as the holder's authenticator app, so it needs the
shared secret itself; a hash would make it useless.  It is stored as issued
(base32) and nothing else in the database reveals it.  Encrypting it at rest
with a key kept outside the database is the planned hardening, once the
service's configuration has a key store; the column is wide enough for a
ciphertext so that needs no migration of its width.

Scopes: what a client *may* ask for and what a consent covers are JSON lists
(configuration); what a code or token was *granted* is the space-separated
string OAuth puts on the wire.

``version`` columns make SQLAlchemy check, on every UPDATE of a consent, code
or token, that nobody changed the row since it was read (optimistic locking):
two concurrent refreshes or code redemptions cannot both win.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from gateway.persistence.types import Amount, JSONValue, UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> str:
    """A random, URL-safe, unguessable identifier (128 bits), never starting with ``-``: ids are
    typed as command-line arguments (``gateway clients disable ID``), where a leading dash would
    be taken for an option."""
    value = secrets.token_urlsafe(16)
    return "x" + value[1:] if value.startswith("-") else value


class ClientKind(StrEnum):
    WALLET_PROVIDER = "wallet_provider"
    BANK = "bank"


class AuthMethod(StrEnum):
    CLIENT_SECRET_BASIC = "client_secret_basic"
    PRIVATE_KEY_JWT = "private_key_jwt"


class ConsentKind(StrEnum):
    PAYMENTS = "payments"
    ACCOUNTS = "accounts"


class ConsentStatus(StrEnum):
    AWAITING_AUTHORISATION = "awaiting_authorisation"
    AUTHORISED = "authorised"
    CONSUMED = "consumed"
    REVOKED = "revoked"
    EXPIRED = "expired"
    REJECTED = "rejected"


def _enum(cls: type[StrEnum], name: str) -> Enum:
    """A VARCHAR plus CHECK constraint (not a native PostgreSQL ENUM, which is awkward to migrate)."""
    return Enum(cls, name=name, native_enum=False, create_constraint=True, length=32,
                values_callable=lambda members: [m.value for m in members])


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class OAuthClient(Base):
    __tablename__ = "oauth_clients"
    __table_args__ = (
        CheckConstraint("(token_endpoint_auth_method = 'client_secret_basic' AND client_secret_hash IS NOT NULL)"
                        " OR (token_endpoint_auth_method = 'private_key_jwt' AND jwks IS NOT NULL)",
                        name="credentials_for_auth_method"),
        CheckConstraint("(is_operator AND kind IS NULL) OR (NOT is_operator AND kind IS NOT NULL)",
                        name="operator_or_party"),
    )

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_secret_hash: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ClientKind | None] = mapped_column(_enum(ClientKind, "client_kind"))
    """A wallet provider or a bank; None for the operator's own client (``is_operator``)."""
    is_operator: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """The gateway operator's client: the only kind that may hold the ``admin`` scope, and it holds
    nothing else.  Set at registration, never changed (a party is never promoted to operator)."""
    redirect_uris: Mapped[list[str]] = mapped_column(JSONValue)
    scopes: Mapped[list[str]] = mapped_column(JSONValue)
    token_endpoint_auth_method: Mapped[AuthMethod] = mapped_column(_enum(AuthMethod, "auth_method"))
    jwks: Mapped[dict[str, Any] | None] = mapped_column(JSONValue)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AccountHolder(Base):
    __tablename__ = "account_holders"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    """The TOTP time step (Unix time // 30) of the last code accepted: a code is accepted only for a
    later step, so a code seen once (shoulder-surfed, phished, replayed) cannot sign in again."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BankAccount(Base):
    __tablename__ = "bank_accounts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    holder_id: Mapped[str] = mapped_column(ForeignKey("account_holders.id"), index=True)
    iban: Mapped[str] = mapped_column(String(34), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    name: Mapped[str] = mapped_column(String(140))
    bic: Mapped[str | None] = mapped_column(String(11))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


consent_accounts = Table(
    "consent_accounts", Base.metadata,
    Column("consent_id", ForeignKey("consents.id", ondelete="CASCADE"), primary_key=True),
    Column("bank_account_id", ForeignKey("bank_accounts.id"), primary_key=True),
)


class Consent(Base):
    __tablename__ = "consents"
    __table_args__ = (
        CheckConstraint("status NOT IN ('authorised', 'consumed') OR holder_id IS NOT NULL",
                        name="authorised_has_holder"),
        CheckConstraint("currency IS NOT NULL OR (max_amount_per_payment IS NULL AND max_total_amount IS NULL)",
                        name="limits_have_currency"),
        CheckConstraint("used_count >= 0 AND (max_count IS NULL OR max_count > 0)", name="counts"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.client_id"), index=True)
    kind: Mapped[ConsentKind] = mapped_column(_enum(ConsentKind, "consent_kind"))
    status: Mapped[ConsentStatus] = mapped_column(_enum(ConsentStatus, "consent_status"), index=True)
    permissions: Mapped[list[str]] = mapped_column(JSONValue)
    currency: Mapped[str | None] = mapped_column(String(3))
    max_amount_per_payment: Mapped[Decimal | None] = mapped_column(Amount)
    max_total_amount: Mapped[Decimal | None] = mapped_column(Amount)
    max_count: Mapped[int | None] = mapped_column(Integer)
    used_amount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    used_count: Mapped[int] = mapped_column(Integer, default=0)
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    holder_id: Mapped[str | None] = mapped_column(ForeignKey("account_holders.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer)

    accounts: Mapped[list[BankAccount]] = relationship(secondary=consent_accounts, lazy="selectin")
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}

    def is_active(self, now: datetime) -> bool:
        """Authorised and not past its expiry: the only state in which it may be used."""
        return self.status == ConsentStatus.AUTHORISED and now < self.expires_at


class AuthorizationCode(Base):
    __tablename__ = "authorization_codes"
    __table_args__ = (CheckConstraint("code_challenge_method = 'S256'", name="pkce_s256"),)

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.client_id"), index=True)
    consent_id: Mapped[str] = mapped_column(ForeignKey("consents.id"), index=True)
    holder_id: Mapped[str] = mapped_column(ForeignKey("account_holders.id"))
    redirect_uri: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text)
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(10))
    family_id: Mapped[str] = mapped_column(String(32), default=new_id)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}


class Token(Base):
    __tablename__ = "tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    access_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.client_id"), index=True)
    consent_id: Mapped[str | None] = mapped_column(ForeignKey("consents.id"), index=True)
    scope: Mapped[str] = mapped_column(Text)
    family_id: Mapped[str] = mapped_column(String(32), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    access_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    refresh_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replaced_by: Mapped[str | None] = mapped_column(ForeignKey("tokens.id"))
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}

    def access_is_active(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.access_expires_at

    def refresh_is_active(self, now: datetime) -> bool:
        """Live, not yet exchanged for a successor, not expired."""
        return (self.refresh_token_hash is not None and self.revoked_at is None and self.replaced_by is None
                and self.refresh_expires_at is not None and now < self.refresh_expires_at)


class AuditEvent(Base):
    """Append-only: the repository only inserts, and database triggers (see the
    migration) reject UPDATE and DELETE on both backends."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # no index: no query reads by time (0008)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONValue)


class ClientAssertion(Base):
    """A ``private_key_jwt`` client assertion that was accepted (RFC 7523 §3, item 7): its ``jti``
    (hashed: any string a client chose, of any length) is kept until the assertion expires, so the
    same assertion can never authenticate twice.  Expired rows are deleted as new ones come in."""

    __tablename__ = "client_assertions"

    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.client_id"), primary_key=True)
    jti_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SignInThrottle(Base):
    """Failed sign-ins (password or TOTP) per username, shared by every worker: after too many in a
    window the username is locked until ``locked_until``.  Keyed by the SHA-256 of the name typed,
    so unknown names are throttled alike (the lock says nothing about whether a name exists) and a
    password typed into the username field is not stored."""

    __tablename__ = "sign_in_throttles"

    username_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


# Payments, outbox, inbound messages, statements and reconciliation live in their own module
# (imported here so that ``Base.metadata`` always holds every table).
from gateway.persistence import payment_models as _payment_models  # noqa: F401
