"""``entries.day``: an account's transactions are read a page at a time from an index.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

``GET /accounts/{id}/transactions`` lists entries by booking date, else value date, entries
with neither last.  Sorted on that expression, every page sorted all of the account's
entries.  ``day`` is that expression as a column the database computes (virtual on SQLite,
stored on PostgreSQL), with ``UNDATED`` (9999-12-31) for an entry with neither date, and
``ix_entries_account_day`` (account, day, id) gives the pages in order.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

DAY = "coalesce(booking_date, value_date, '9999-12-31')"
"""As in ``StoredEntry.day`` (written out: a migration does not change when the model does)."""
INDEX = "ix_entries_account_day"


def upgrade() -> None:
    stored = op.get_context().dialect.name == "postgresql"  # PostgreSQL < 18 has only stored ones;
    # SQLite can add only a virtual one to an existing table (and can index it all the same)
    op.add_column("entries", sa.Column("day", sa.Date(), sa.Computed(DAY, persisted=stored), nullable=True))
    op.create_index(INDEX, "entries", ["account_iban", "day", "id"], unique=False)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="entries")
    with op.batch_alter_table("entries") as batch:  # SQLite drops a generated column by a table copy
        batch.drop_column("day")
