"""Initial schema: OAuth clients, account holders and their bank accounts,
consents, authorization codes, tokens, and the append-only audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-23

The column types ``UTCDateTime``, ``Amount`` and ``JSONValue`` come from
``gateway.persistence.types``: they pick the right storage per dialect (exact
decimal text on SQLite, NUMERIC on PostgreSQL; JSONB on PostgreSQL), so this one
revision serves both backends.  They must stay importable for as long as this
revision exists.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from gateway.persistence.types import Amount, JSONValue, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

APPEND_ONLY = "audit_events is append-only"


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def _id(name: str = "id") -> sa.Column:
    return sa.Column(name, sa.String(32), nullable=False)


def upgrade() -> None:
    op.create_table(
        "oauth_clients",
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("client_secret_hash", sa.String(64)),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", _enum("client_kind", "wallet_provider", "bank"), nullable=False),
        sa.Column("redirect_uris", JSONValue, nullable=False),
        sa.Column("scopes", JSONValue, nullable=False),
        sa.Column("token_endpoint_auth_method", _enum("auth_method", "client_secret_basic", "private_key_jwt"),
                  nullable=False),
        sa.Column("jwks", JSONValue),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("disabled_at", UTCDateTime),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_oauth_clients")),
        sa.CheckConstraint("(token_endpoint_auth_method = 'client_secret_basic' AND client_secret_hash IS NOT NULL)"
                           " OR (token_endpoint_auth_method = 'private_key_jwt' AND jwks IS NOT NULL)",
                           name=op.f("ck_oauth_clients_credentials_for_auth_method")),
    )
    op.create_table(
        "account_holders",
        _id(),
        sa.Column("username", sa.String(150), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("totp_secret", sa.String(255)),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_holders")),
        sa.UniqueConstraint("username", name=op.f("uq_account_holders_username")),
    )
    op.create_table(
        "bank_accounts",
        _id(),
        _id("holder_id"),
        sa.Column("iban", sa.String(34), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("name", sa.String(140), nullable=False),
        sa.Column("bic", sa.String(11)),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_accounts")),
        sa.ForeignKeyConstraint(["holder_id"], ["account_holders.id"],
                                name=op.f("fk_bank_accounts_holder_id_account_holders")),
        sa.UniqueConstraint("iban", name=op.f("uq_bank_accounts_iban")),
    )
    op.create_index(op.f("ix_bank_accounts_holder_id"), "bank_accounts", ["holder_id"])
    op.create_table(
        "consents",
        _id(),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("kind", _enum("consent_kind", "payments", "accounts"), nullable=False),
        sa.Column("status", _enum("consent_status", "awaiting_authorisation", "authorised", "consumed", "revoked",
                                  "expired", "rejected"), nullable=False),
        sa.Column("permissions", JSONValue, nullable=False),
        sa.Column("currency", sa.String(3)),
        sa.Column("max_amount_per_payment", Amount(18)),
        sa.Column("max_total_amount", Amount(18)),
        sa.Column("max_count", sa.Integer),
        sa.Column("used_amount", Amount(18), nullable=False),
        sa.Column("used_count", sa.Integer, nullable=False),
        sa.Column("file_sha256", sa.String(64)),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("holder_id", sa.String(32)),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
        sa.ForeignKeyConstraint(["client_id"], ["oauth_clients.client_id"],
                                name=op.f("fk_consents_client_id_oauth_clients")),
        sa.ForeignKeyConstraint(["holder_id"], ["account_holders.id"],
                                name=op.f("fk_consents_holder_id_account_holders")),
        sa.CheckConstraint("status NOT IN ('authorised', 'consumed') OR holder_id IS NOT NULL",
                           name=op.f("ck_consents_authorised_has_holder")),
        sa.CheckConstraint("currency IS NOT NULL OR (max_amount_per_payment IS NULL AND max_total_amount IS NULL)",
                           name=op.f("ck_consents_limits_have_currency")),
        sa.CheckConstraint("used_count >= 0 AND (max_count IS NULL OR max_count > 0)", name=op.f("ck_consents_counts")),
    )
    op.create_index(op.f("ix_consents_client_id"), "consents", ["client_id"])
    op.create_index(op.f("ix_consents_holder_id"), "consents", ["holder_id"])
    op.create_index(op.f("ix_consents_status"), "consents", ["status"])
    op.create_table(
        "consent_accounts",
        _id("consent_id"),
        _id("bank_account_id"),
        sa.PrimaryKeyConstraint("consent_id", "bank_account_id", name=op.f("pk_consent_accounts")),
        sa.ForeignKeyConstraint(["consent_id"], ["consents.id"], ondelete="CASCADE",
                                name=op.f("fk_consent_accounts_consent_id_consents")),
        sa.ForeignKeyConstraint(["bank_account_id"], ["bank_accounts.id"],
                                name=op.f("fk_consent_accounts_bank_account_id_bank_accounts")),
    )
    op.create_table(
        "authorization_codes",
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        _id("consent_id"),
        _id("holder_id"),
        sa.Column("redirect_uri", sa.Text, nullable=False),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("code_challenge", sa.String(128), nullable=False),
        sa.Column("code_challenge_method", sa.String(10), nullable=False),
        _id("family_id"),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("used_at", UTCDateTime),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_authorization_codes")),
        sa.ForeignKeyConstraint(["client_id"], ["oauth_clients.client_id"],
                                name=op.f("fk_authorization_codes_client_id_oauth_clients")),
        sa.ForeignKeyConstraint(["consent_id"], ["consents.id"],
                                name=op.f("fk_authorization_codes_consent_id_consents")),
        sa.ForeignKeyConstraint(["holder_id"], ["account_holders.id"],
                                name=op.f("fk_authorization_codes_holder_id_account_holders")),
        sa.CheckConstraint("code_challenge_method = 'S256'", name=op.f("ck_authorization_codes_pkce_s256")),
    )
    op.create_index(op.f("ix_authorization_codes_client_id"), "authorization_codes", ["client_id"])
    op.create_index(op.f("ix_authorization_codes_consent_id"), "authorization_codes", ["consent_id"])
    op.create_table(
        "tokens",
        _id(),
        sa.Column("access_token_hash", sa.String(64), nullable=False),
        sa.Column("refresh_token_hash", sa.String(64)),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("consent_id", sa.String(32)),
        sa.Column("scope", sa.Text, nullable=False),
        _id("family_id"),
        sa.Column("issued_at", UTCDateTime, nullable=False),
        sa.Column("access_expires_at", UTCDateTime, nullable=False),
        sa.Column("refresh_expires_at", UTCDateTime),
        sa.Column("revoked_at", UTCDateTime),
        sa.Column("replaced_by", sa.String(32)),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tokens")),
        sa.UniqueConstraint("access_token_hash", name=op.f("uq_tokens_access_token_hash")),
        sa.UniqueConstraint("refresh_token_hash", name=op.f("uq_tokens_refresh_token_hash")),
        sa.ForeignKeyConstraint(["client_id"], ["oauth_clients.client_id"],
                                name=op.f("fk_tokens_client_id_oauth_clients")),
        sa.ForeignKeyConstraint(["consent_id"], ["consents.id"], name=op.f("fk_tokens_consent_id_consents")),
        sa.ForeignKeyConstraint(["replaced_by"], ["tokens.id"], name=op.f("fk_tokens_replaced_by_tokens")),
    )
    op.create_index(op.f("ix_tokens_client_id"), "tokens", ["client_id"])
    op.create_index(op.f("ix_tokens_consent_id"), "tokens", ["consent_id"])
    op.create_index(op.f("ix_tokens_family_id"), "tokens", ["family_id"])
    op.create_table(
        "audit_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), autoincrement=True, nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("subject_type", sa.String(32), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("details", JSONValue),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(op.f("ix_audit_events_at"), "audit_events", ["at"])
    op.create_index("ix_audit_events_subject", "audit_events", ["subject_type", "subject_id"])
    _create_append_only_triggers(op.get_bind().dialect.name)


def downgrade() -> None:
    _drop_append_only_triggers(op.get_bind().dialect.name)
    for table in ("audit_events", "tokens", "authorization_codes", "consent_accounts", "consents",
                  "bank_accounts", "account_holders", "oauth_clients"):
        op.drop_table(table)


def _create_append_only_triggers(dialect: str) -> None:
    """The database itself refuses to change or remove an audit event, whoever asks."""
    if dialect == "postgresql":
        op.execute("CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$"
                   f" BEGIN RAISE EXCEPTION '{APPEND_ONLY}: % refused', TG_OP"
                   " USING ERRCODE = 'restrict_violation'; END $$")
        op.execute("CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events"
                   " FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()")
        op.execute("CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events"
                   " FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()")
    elif dialect == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_events_no_{event.lower()} BEFORE {event} ON audit_events"
                       f" BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}: {event} refused'); END")
    else:
        raise NotImplementedError(f"no append-only trigger for {dialect}; add one before supporting it")


def _drop_append_only_triggers(dialect: str) -> None:
    if dialect == "postgresql":
        op.execute("DROP TRIGGER audit_events_no_truncate ON audit_events")
        op.execute("DROP TRIGGER audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION audit_events_append_only()")
    else:
        op.execute("DROP TRIGGER audit_events_no_update")
        op.execute("DROP TRIGGER audit_events_no_delete")
