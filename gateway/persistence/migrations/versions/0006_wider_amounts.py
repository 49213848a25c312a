"""Amounts with 18 integer digits: ``NUMERIC(23, 5)`` on PostgreSQL.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23

An ISO 20022 amount may have 18 digits in all, so up to 18 before the decimal point; the
columns held 13 (``NUMERIC(18, 5)``), and a valid payment file, operation or statement with a
larger amount (a big balance in IDR, say) failed to store with a 500.  Widening a numeric's
precision at the same scale rewrites nothing on PostgreSQL.  SQLite keeps amounts as text,
whose declared length it does not enforce: nothing to change there.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COLUMNS = {"consents": ("max_amount_per_payment", "max_total_amount", "used_amount"),
           "payments": ("amount",), "statements": ("opening", "closing", "booked_net"), "entries": ("amount",)}


def upgrade() -> None:
    _retype(sa.Numeric(18, 5), sa.Numeric(23, 5))


def downgrade() -> None:
    _retype(sa.Numeric(23, 5), sa.Numeric(18, 5))


def _retype(old: sa.Numeric, new: sa.Numeric) -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    for table, columns in COLUMNS.items():
        for column in columns:
            op.alter_column(table, column, type_=new, existing_type=old)
