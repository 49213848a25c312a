"""Security: the operator's client, replay protection for client assertions and TOTP codes,
and sign-in throttling.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

* ``oauth_clients.is_operator`` (and ``kind`` nullable: the operator's client is neither a
  wallet provider nor a bank), with a CHECK that a client is exactly one of the two.  SQLite
  cannot alter a column or add a table CHECK in place, so there the table is rebuilt (Alembic's
  batch mode: copy, drop, rename; the migration connection has foreign keys off, and the
  tables that reference ``oauth_clients`` do so by name, so they follow the new table).
* ``account_holders.totp_last_step``: the last TOTP time step accepted.
* ``client_assertions``: the ``jti`` of every accepted ``private_key_jwt`` assertion until it expires.
* ``sign_in_throttles``: failed sign-ins per (hashed) username, and the lock they lead to.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from gateway.persistence.types import JSONValue, UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

KIND = sa.Enum("wallet_provider", "bank", name="client_kind", native_enum=False, create_constraint=True, length=32)
NAMING_CONVENTION = {"ck": "ck_%(table_name)s_%(constraint_name)s", "pk": "pk_%(table_name)s"}
"""The models' convention (as it was when 0001 ran) for the constraints of the copied table."""
OPERATOR_OR_PARTY = "(is_operator AND kind IS NULL) OR (NOT is_operator AND kind IS NOT NULL)"


def oauth_clients(*, operator: bool) -> sa.Table:
    """The table before (``operator=False``, as 0001 made it) or after this revision: batch mode
    copies from it instead of reflecting, so ``--sql`` works on SQLite and no constraint is lost."""
    extra = [sa.Column("is_operator", sa.Boolean(), server_default=sa.false(), nullable=False),
             sa.CheckConstraint(OPERATOR_OR_PARTY, name="operator_or_party")] if operator else []
    return sa.Table(
        "oauth_clients", sa.MetaData(naming_convention=NAMING_CONVENTION),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("client_secret_hash", sa.String(64)),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", KIND, nullable=operator),
        sa.Column("redirect_uris", JSONValue, nullable=False),
        sa.Column("scopes", JSONValue, nullable=False),
        sa.Column("token_endpoint_auth_method",
                  sa.Enum("client_secret_basic", "private_key_jwt", name="auth_method", native_enum=False,
                          create_constraint=True, length=32), nullable=False),
        sa.Column("jwks", JSONValue),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("disabled_at", UTCDateTime),
        sa.PrimaryKeyConstraint("client_id", name="pk_oauth_clients"),
        sa.CheckConstraint("(token_endpoint_auth_method = 'client_secret_basic' AND client_secret_hash IS NOT NULL)"
                           " OR (token_endpoint_auth_method = 'private_key_jwt' AND jwks IS NOT NULL)",
                           name="credentials_for_auth_method"),
        *extra,
    )


def upgrade() -> None:
    with op.batch_alter_table("oauth_clients", copy_from=oauth_clients(operator=False)) as batch:
        batch.add_column(sa.Column("is_operator", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.alter_column("kind", existing_type=KIND, nullable=True)
        batch.create_check_constraint(op.f("ck_oauth_clients_operator_or_party"), OPERATOR_OR_PARTY)
    op.add_column("account_holders", sa.Column("totp_last_step", sa.BigInteger()))
    op.create_table(
        "client_assertions",
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("jti_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("client_id", "jti_hash", name=op.f("pk_client_assertions")),
        sa.ForeignKeyConstraint(["client_id"], ["oauth_clients.client_id"],
                                name=op.f("fk_client_assertions_client_id_oauth_clients")),
    )
    op.create_index(op.f("ix_client_assertions_expires_at"), "client_assertions", ["expires_at"])
    op.create_table(
        "sign_in_throttles",
        sa.Column("username_hash", sa.String(64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", UTCDateTime, nullable=False),
        sa.Column("locked_until", UTCDateTime),
        sa.PrimaryKeyConstraint("username_hash", name=op.f("pk_sign_in_throttles")),
    )
    op.create_index(op.f("ix_sign_in_throttles_window_started_at"), "sign_in_throttles", ["window_started_at"])


def downgrade() -> None:
    op.drop_table("sign_in_throttles")
    op.drop_table("client_assertions")
    op.drop_column("account_holders", "totp_last_step")  # SQLite has DROP COLUMN since 3.35
    # An operator client cannot exist without the column that says what it is: it goes, with its tokens.
    operators = "SELECT client_id FROM oauth_clients WHERE is_operator"
    op.execute(f"DELETE FROM tokens WHERE client_id IN ({operators})")
    op.execute(f"DELETE FROM oauth_clients WHERE client_id IN ({operators})")
    with op.batch_alter_table("oauth_clients", copy_from=oauth_clients(operator=True)) as batch:
        batch.drop_constraint(op.f("ck_oauth_clients_operator_or_party"), type_="check")
        batch.alter_column("kind", existing_type=KIND, nullable=False)
        batch.drop_column("is_operator")
