"""Indexes that serve no query go, and two become partial: an accepted pay writes 4 B-trees fewer.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24

An accepted ``pay`` inserts into ``payments``, ``payment_events``, ``outgoing_messages``,
``audit_events`` and ``idempotency_keys``; on SQLite every B-tree it touches is at least one page
written to the WAL and checksummed.  Decided by the plans of the gateway's own statements (SQLite
``EXPLAIN QUERY PLAN``, without ANALYZE as the gateway runs; PostgreSQL ``EXPLAIN`` after ANALYZE),
on 100,000 payments shaped as a wallet makes them (one settlement account per client, 8 % under a
consent, 0.1 % held, 3 % rejected or returned, the newest in flight, the rest booked):

* ``ix_audit_events_at`` goes: nothing reads the audit log by time (``AuditLog.entries`` reads it
  in id order, by subject or action).
* ``ix_payments_bank_msgid`` (bank, MsgId) goes.  A pain.002's payments are found through their
  file instead: ``payments.outgoing_message_id = (SELECT id FROM outgoing_messages WHERE bank_id =
  ? AND message_id = ?)``, ``uq_outgoing_messages_bank_msgid`` then ``ix_payments_message`` on
  both databases.  The same rows: every payment has its file (NOT NULL), and ``store_payments``
  (operations and uploaded files alike) copies its bank and MsgId from that file.  A pacs.004's
  payment was and is found by its EndToEndId (``ix_payments_e2e``) on both; the bank and MsgId
  only filter that row.
* ``ix_payments_consent_id`` becomes ``ix_payments_consent_created`` (consent, created_at, id)
  ``WHERE consent_id IS NOT NULL``: a wallet payment (pay, withdraw, bulk payout) has no consent and
  writes nothing to it.  ``consent_id = ?`` implies the predicate on both databases, bound
  parameter or not.  With the consent alone SQLite never used it: it read the client's whole
  history from ``ix_payments_client_created`` for a consent-bound token's ``GET /payments``; with
  (created_at, id) it reads the consent's page in order, on both.
* ``ix_payments_status`` (every payment) becomes ``ix_payments_status_rare``, partial on every
  status but ``queued`` (each new payment, for seconds) and ``booked`` (most payments, for good,
  and never looked for by status): an accepted pay writes nothing to it.  Dropped outright, the
  plans got worse on PostgreSQL: ``gateway payments list --status held`` became a whole-table
  scan and sort; an end-of-day statement's "payments still awaiting booking" (sent, accepted,
  pending; ANDed with the account's indexes) read every payment ever sent from the wallet's
  settlement account (estimated cost 289 -> 3,040); ``GET /payments?status=held`` read all of the
  client's payments.  The partial index gives back each of those plans (and SQLite's for
  ``--status held``).  The statuses are equalities joined by OR, not IN: SQLite uses a partial
  index for ``status = ?`` only when the index's WHERE has that very term.
  ``GET /payments?status=queued`` reads the client's payments, as it always did on SQLite.

Every accepted ``pay`` writes 4 B-trees fewer: payments 11 -> 8, audit_events 3 -> 2
(24.7 -> 20.75 WAL pages per accepted pay).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

WITH_CONSENT = "consent_id IS NOT NULL"
RARE_STATUS = ("status = 'held' OR status = 'sent' OR status = 'accepted' OR status = 'pending'"
               " OR status = 'rejected' OR status = 'returned'")


def _partial(predicate: str) -> dict:
    return {"sqlite_where": sa.text(predicate), "postgresql_where": sa.text(predicate)}


def upgrade() -> None:
    op.drop_index("ix_audit_events_at", table_name="audit_events")
    op.drop_index("ix_payments_bank_msgid", table_name="payments")
    op.drop_index("ix_payments_consent_id", table_name="payments")
    op.create_index("ix_payments_consent_created", "payments", ["consent_id", "created_at", "id"], unique=False,
                    **_partial(WITH_CONSENT))
    op.drop_index("ix_payments_status", table_name="payments")
    op.create_index("ix_payments_status_rare", "payments", ["status"], unique=False, **_partial(RARE_STATUS))


def downgrade() -> None:
    op.drop_index("ix_payments_status_rare", table_name="payments")
    op.create_index("ix_payments_status", "payments", ["status"], unique=False)
    op.drop_index("ix_payments_consent_created", table_name="payments")
    op.create_index("ix_payments_consent_id", "payments", ["consent_id"], unique=False)
    op.create_index("ix_payments_bank_msgid", "payments", ["bank_id", "message_id"], unique=False)
    op.create_index("ix_audit_events_at", "audit_events", ["at"], unique=False)
