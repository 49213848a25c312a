"""One active webhook subscription per client and URL: ``uq_webhook_subscriptions_active_url``.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25

``Webhooks.subscribe`` looked for an active subscription of the URL before storing one, so two
requests subscribing the same URL at the same moment could each find none and each store one;
every event was then delivered twice, under two event ids.  A unique index on (client_id, url)
``WHERE disabled_at IS NULL`` lets the second insert do nothing instead.  Of active duplicates
already stored, the oldest (created_at, then id) stays active and the others are ended now: their
pending deliveries are no longer sent, as after ``DELETE /webhooks/{id}`` (but not audited, as
0004's resolutions were not).

Unlike 0004, the duplicates are ended by one UPDATE, not row by row in Python: printed as SQL
with ``--sql``, the script must end them too, or its CREATE UNIQUE INDEX fails on them (their
end is then the time the script was printed).

URLs are at most 2,000 bytes (``gateway.services.webhook_targets.MAX_URL``), so an entry fits
PostgreSQL's B-tree (2,704 bytes).  Before that bound was counted in bytes, a URL of 2,000
non-ASCII characters could be stored; on PostgreSQL an active one the index cannot hold fails
this upgrade, which then changes nothing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from gateway.persistence.types import UTCDateTime, utcnow

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TABLE = "webhook_subscriptions"
INDEX = "uq_webhook_subscriptions_active_url"
ACTIVE = "disabled_at IS NULL"


def upgrade() -> None:
    op.execute(_end_duplicates())
    op.create_index(INDEX, TABLE, ["client_id", "url"], unique=True, sqlite_where=sa.text(ACTIVE),
                    postgresql_where=sa.text(ACTIVE))


def downgrade() -> None:
    op.drop_index(INDEX, table_name=TABLE)


def _end_duplicates() -> sa.Update:
    """Ends every active subscription that has an older active one of the same client and URL."""
    table = sa.table(TABLE, sa.column("id", sa.String), sa.column("client_id", sa.String),
                     sa.column("url", sa.Text), sa.column("created_at", UTCDateTime),
                     sa.column("disabled_at", UTCDateTime))
    older = table.alias("older")
    has_older = sa.exists().where(older.c.client_id == table.c.client_id, older.c.url == table.c.url,
                                  older.c.disabled_at.is_(None),
                                  sa.tuple_(older.c.created_at, older.c.id) < sa.tuple_(table.c.created_at,
                                                                                        table.c.id))
    return table.update().where(table.c.disabled_at.is_(None), has_older).values(disabled_at=utcnow())
