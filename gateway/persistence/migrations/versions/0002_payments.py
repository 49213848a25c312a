"""Payments, the outbox, inbound messages, statements and reconciliation, idempotency keys
and webhooks (see gateway/persistence/payment_models.py for what each table is for).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from gateway.persistence.types import Amount, JSONValue, UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TABLES = ('inbound_messages', 'client_accounts', 'idempotency_keys', 'outgoing_messages', 'statements', 'webhook_subscriptions', 'delivery_attempts', 'payments', 'webhook_deliveries', 'entries', 'payment_events', 'reconciliation_exceptions')
"""In creation order (foreign keys point backwards); dropped in reverse."""


def upgrade() -> None:
    op.create_table('inbound_messages',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('bank_id', sa.String(length=64), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=False),
    sa.Column('family', sa.String(length=16), nullable=True),
    sa.Column('message_type', sa.String(length=40), nullable=True),
    sa.Column('message_id', sa.String(length=35), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('received_at', UTCDateTime, nullable=False),
    sa.Column('processed_at', UTCDateTime, nullable=True),
    sa.Column('outcome', sa.String(length=32), nullable=True),
    sa.Column('findings', JSONValue, nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_messages')),
    sa.UniqueConstraint('bank_id', 'external_id', name='uq_inbound_messages_bank_external')
    )
    op.create_index(op.f('ix_inbound_messages_bank_id'), 'inbound_messages', ['bank_id'], unique=False)
    op.create_index('ix_inbound_messages_processed_at', 'inbound_messages', ['processed_at'], unique=False)
    op.create_table('client_accounts',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('role', sa.Enum('settlement', 'collection', name='account_role', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('iban', sa.String(length=34), nullable=False),
    sa.Column('bic', sa.String(length=11), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('name', sa.String(length=140), nullable=False),
    sa.Column('created_at', UTCDateTime, nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['oauth_clients.client_id'], name=op.f('fk_client_accounts_client_id_oauth_clients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client_accounts')),
    sa.UniqueConstraint('client_id', 'role', name='uq_client_accounts_client_role')
    )
    op.create_table('idempotency_keys',
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('request_sha256', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('response', JSONValue, nullable=False),
    sa.Column('created_at', UTCDateTime, nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['oauth_clients.client_id'], name=op.f('fk_idempotency_keys_client_id_oauth_clients')),
    sa.PrimaryKeyConstraint('client_id', 'key', name=op.f('pk_idempotency_keys'))
    )
    op.create_table('outgoing_messages',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('bank_id', sa.String(length=64), nullable=False),
    sa.Column('message_type', sa.String(length=40), nullable=False),
    sa.Column('message_id', sa.String(length=35), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.Enum('held', 'pending', 'delivered', 'refused', 'cancelled', name='message_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('hold_reasons', JSONValue, nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', UTCDateTime, nullable=False),
    sa.Column('claimed_until', UTCDateTime, nullable=True),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('bank_reference', sa.String(length=200), nullable=True),
    sa.Column('created_at', UTCDateTime, nullable=False),
    sa.Column('delivered_at', UTCDateTime, nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['oauth_clients.client_id'], name=op.f('fk_outgoing_messages_client_id_oauth_clients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outgoing_messages')),
    sa.UniqueConstraint('bank_id', 'message_id', name='uq_outgoing_messages_bank_msgid')
    )
    op.create_index(op.f('ix_outgoing_messages_bank_id'), 'outgoing_messages', ['bank_id'], unique=False)
    op.create_index(op.f('ix_outgoing_messages_client_id'), 'outgoing_messages', ['client_id'], unique=False)
    op.create_index('ix_outgoing_messages_due', 'outgoing_messages', ['status', 'next_attempt_at'], unique=False)
    op.create_table('statements',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('bank_id', sa.String(length=64), nullable=False),
    sa.Column('inbound_message_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('account_iban', sa.String(length=34), nullable=False),
    sa.Column('statement_id', sa.String(length=35), nullable=False),
    sa.Column('sequence_number', BIGINT, nullable=True),
    sa.Column('from_date', sa.Date(), nullable=True),
    sa.Column('to_date', sa.Date(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('opening', Amount(18), nullable=True),
    sa.Column('closing', Amount(18), nullable=True),
    sa.Column('entry_count', sa.Integer(), nullable=False),
    sa.Column('booked_net', Amount(18), nullable=True),
    sa.Column('created_at', UTCDateTime, nullable=False),
    sa.ForeignKeyConstraint(['inbound_message_id'], ['inbound_messages.id'], name=op.f('fk_statements_inbound_message_id_inbound_messages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statements')),
    sa.UniqueConstraint('bank_id', 'kind', 'account_iban', 'statement_id', name='uq_statements_identity')
    )
    op.create_index(op.f('ix_statements_account_iban'), 'statements', ['account_iban'], unique=False)
    op.create_index(op.f('ix_statements_inbound_message_id'), 'statements', ['inbound_message_id'], unique=False)
    op.create_table('webhook_subscriptions',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('secret', sa.String(length=128), nullable=False),
    sa.Column('created_at', UTCDateTime, nullable=False),
    sa.Column('disabled_at', UTCDateTime, nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['oauth_clients.client_id'], name=op.f('fk_webhook_subscriptions_client_id_oauth_clients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_subscriptions'))
    )
    op.create_index(op.f('ix_webhook_subscriptions_client_id'), 'webhook_subscriptions', ['client_id'], unique=False)
    op.create_table('delivery_attempts',
    sa.Column('id', BIGINT, autoincrement=True, nullable=False),
    sa.Column('outgoing_message_id', sa.String(length=32), nullable=False),
    sa.Column('at', UTCDateTime, nullable=False),
    sa.Column('worker', sa.String(length=64), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['outgoing_message_id'], ['outgoing_messages.id'], name=op.f('fk_delivery_attempts_outgoing_message_id_outgoing_messages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_attempts'))
    )
    op.create_index(op.f('ix_delivery_attempts_outgoing_message_id'), 'delivery_attempts', ['outgoing_message_id'], unique=False)
    op.create_table('payments',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('consent_id', sa.String(length=32), nullable=True),
    sa.Column('operation', sa.String(length=32), nullable=False),
    sa.Column('status', sa.Enum('held', 'queued', 'sent', 'accepted', 'pending', 'booked', 'rejected', 'returned', name='payment_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('reason_code', sa.String(length=35), nullable=True),
    sa.Column('reason_text', sa.Text(), nullable=True),
    sa.Column('amount', Amount(18), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('end_to_end_id', sa.String(length=35), nullable=False),
    sa.Column('message_id', sa.String(length=35), nullable=False),
    sa.Column('payment_information_id', sa.String(length=35), nullable=False),
    sa.Column('outgoing_message_id', sa.String(length=32), nullable=False),
    sa.Column('bank_id', sa.String(length=64), nullable=False),
    sa.Column('debtor', JSONValue, nullable=False),
    sa.Column('creditor', JSONValue, nullable=False),
    sa.Column('debtor_iban', sa.String(length=34), nullable=True),
    sa.Column('creditor_iban', sa.String(length=34), nullable=True),
    sa.Column('remittance', sa.Text(), nullable=True),
    sa.Column('requested_execution_date', sa.Date(), nullable=False),
    sa.Column('created_at', UTCDateTime, nullable=False),
    sa.Column('updated_at', UTCDateTime, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['oauth_clients.client_id'], name=op.f('fk_payments_client_id_oauth_clients')),
    sa.ForeignKeyConstraint(['consent_id'], ['consents.id'], name=op.f('fk_payments_consent_id_consents')),
    sa.ForeignKeyConstraint(['outgoing_message_id'], ['outgoing_messages.id'], name=op.f('fk_payments_outgoing_message_id_outgoing_messages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('client_id', 'end_to_end_id', name='uq_payments_client_e2e')
    )
    op.create_index(op.f('ix_payments_client_id'), 'payments', ['client_id'], unique=False)
    op.create_index(op.f('ix_payments_consent_id'), 'payments', ['consent_id'], unique=False)
    op.create_index(op.f('ix_payments_debtor_iban'), 'payments', ['debtor_iban'], unique=False)
    op.create_index('ix_payments_message', 'payments', ['outgoing_message_id'], unique=False)
    op.create_index('ix_payments_bank_msgid', 'payments', ['bank_id', 'message_id'], unique=False)
    op.create_index('ix_payments_e2e', 'payments', ['end_to_end_id'], unique=False)
    op.create_index('ix_payments_creditor_iban', 'payments', ['creditor_iban'], unique=False)
    op.create_index(op.f('ix_payments_status'), 'payments', ['status'], unique=False)
    op.create_table('webhook_deliveries',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('subscription_id', sa.String(length=32), nullable=False),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.Column('payload', JSONValue, nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', UTCDateTime, nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', UTCDateTime, nullable=False),
    sa.Column('delivered_at', UTCDateTime, nullable=True),
    sa.ForeignKeyConstraint(['subscription_id'], ['webhook_subscriptions.id'], name=op.f('fk_webhook_deliveries_subscription_id_webhook_subscriptions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries'))
    )
    op.create_index('ix_webhook_deliveries_due', 'webhook_deliveries', ['status', 'next_attempt_at'], unique=False)
    op.create_index(op.f('ix_webhook_deliveries_subscription_id'), 'webhook_deliveries', ['subscription_id'], unique=False)
    op.create_table('entries',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('statement_id', sa.String(length=32), nullable=False),
    sa.Column('entry_key', sa.String(length=255), nullable=False),
    sa.Column('account_iban', sa.String(length=34), nullable=False),
    sa.Column('amount', Amount(18), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('credit_debit', sa.String(length=4), nullable=False),
    sa.Column('booking_date', sa.Date(), nullable=True),
    sa.Column('value_date', sa.Date(), nullable=True),
    sa.Column('end_to_end_id', sa.String(length=35), nullable=True),
    sa.Column('counterparty_name', sa.String(length=140), nullable=True),
    sa.Column('counterparty_iban', sa.String(length=34), nullable=True),
    sa.Column('remittance', sa.Text(), nullable=True),
    sa.Column('return_reason', sa.String(length=35), nullable=True),
    sa.Column('payment_id', sa.String(length=32), nullable=True),
    sa.Column('matched_by', sa.String(length=32), nullable=True),
    sa.Column('match_role', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_entries_payment_id_payments')),
    sa.ForeignKeyConstraint(['statement_id'], ['statements.id'], name=op.f('fk_entries_statement_id_statements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entries')),
    sa.UniqueConstraint('entry_key', name=op.f('uq_entries_entry_key'))
    )
    op.create_index('ix_entries_account_date', 'entries', ['account_iban', 'booking_date'], unique=False)
    op.create_index(op.f('ix_entries_end_to_end_id'), 'entries', ['end_to_end_id'], unique=False)
    op.create_index(op.f('ix_entries_payment_id'), 'entries', ['payment_id'], unique=False)
    op.create_index(op.f('ix_entries_statement_id'), 'entries', ['statement_id'], unique=False)
    op.create_table('payment_events',
    sa.Column('id', BIGINT, autoincrement=True, nullable=False),
    sa.Column('payment_id', sa.String(length=32), nullable=False),
    sa.Column('at', UTCDateTime, nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('reason_code', sa.String(length=35), nullable=True),
    sa.Column('reason_text', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_payment_events_payment_id_payments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_events'))
    )
    op.create_index(op.f('ix_payment_events_payment_id'), 'payment_events', ['payment_id'], unique=False)
    op.create_table('reconciliation_exceptions',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('account_iban', sa.String(length=34), nullable=True),
    sa.Column('payment_id', sa.String(length=32), nullable=True),
    sa.Column('entry_id', sa.String(length=32), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('details', JSONValue, nullable=True),
    sa.Column('created_at', UTCDateTime, nullable=False),
    sa.Column('resolved_at', UTCDateTime, nullable=True),
    sa.ForeignKeyConstraint(['entry_id'], ['entries.id'], name=op.f('fk_reconciliation_exceptions_entry_id_entries')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_reconciliation_exceptions_payment_id_payments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconciliation_exceptions'))
    )
    op.create_index(op.f('ix_reconciliation_exceptions_account_iban'), 'reconciliation_exceptions', ['account_iban'], unique=False)
    op.create_index(op.f('ix_reconciliation_exceptions_kind'), 'reconciliation_exceptions', ['kind'], unique=False)
    op.create_index(op.f('ix_reconciliation_exceptions_payment_id'), 'reconciliation_exceptions', ['payment_id'], unique=False)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
