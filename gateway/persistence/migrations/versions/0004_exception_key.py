"""One open reconciliation exception per finding: ``reconciliation_exceptions.open_key``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

Two workers reading statements about one account at once could each find no open exception
for a finding and each store one.  ``open_key`` (the SHA-256 of kind, payment, entry and
reason while the exception is open, NULL once resolved) under a unique index lets the second
insert do nothing instead.  Open exceptions already stored get their key; of duplicates
already stored, the oldest keeps it and the others are resolved as duplicates.  (Printed as
SQL with ``--sql`` there are no rows to read: exceptions open at that time get no key, so only
findings raised after the upgrade are kept single.)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from gateway.domain.reconciliation.keys import exception_key
from gateway.persistence.types import UTCDateTime, utcnow

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

INDEX = "uq_reconciliation_exceptions_open_key"


def upgrade() -> None:
    op.add_column("reconciliation_exceptions", sa.Column("open_key", sa.String(64), nullable=True))
    table = sa.table("reconciliation_exceptions", sa.column("id", sa.String), sa.column("kind", sa.String),
                     sa.column("payment_id", sa.String), sa.column("entry_id", sa.String),
                     sa.column("reason", sa.Text), sa.column("created_at", UTCDateTime),
                     sa.column("resolved_at", UTCDateTime), sa.column("open_key", sa.String))
    if op.get_context().as_sql:  # printed for a DBA: no rows to read; open exceptions keep no key
        op.create_index(INDEX, "reconciliation_exceptions", ["open_key"], unique=True)
        return
    connection = op.get_bind()
    seen: set[str] = set()
    rows = connection.execute(sa.select(table.c.id, table.c.kind, table.c.payment_id, table.c.entry_id,
                                        table.c.reason).where(table.c.resolved_at.is_(None))
                              .order_by(table.c.created_at, table.c.id)).all()
    for row_id, kind, payment_id, entry_id, reason in rows:
        key = exception_key(kind, payment_id, entry_id, reason)
        change = {"open_key": key} if key not in seen else {"resolved_at": utcnow()}
        seen.add(key)
        connection.execute(table.update().where(table.c.id == row_id).values(**change))
    op.create_index(INDEX, "reconciliation_exceptions", ["open_key"], unique=True)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="reconciliation_exceptions")
    op.drop_column("reconciliation_exceptions", "open_key")
