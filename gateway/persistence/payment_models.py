"""Tables of the payment side.

* ``client_accounts``: the wallet provider's own bank accounts (settlement, collection);
* ``payments`` and ``payment_events``: one row per credit transfer, one lifecycle, its history;
* ``outgoing_messages`` and ``delivery_attempts``: the transactional outbox.  A payment row and
  the pain.001 that carries it are inserted in the same transaction, so a payment is never
  stored without its message nor sent without being stored; the worker delivers and records
  every attempt;
* ``inbound_messages``: everything a bank sent, stored raw before it is interpreted (so a
  crash while interpreting loses nothing) and unique per bank and connector id (so collecting
  twice stores once);
* ``statements`` and ``entries``: camt.053/054/052 as stored facts, entries matched to payments;
* ``reconciliation_exceptions``: what did not match, and why;
* ``idempotency_keys``: the first answer to each ``Idempotency-Key`` of a client;
* ``webhook_subscriptions`` and ``webhook_deliveries``: status changes pushed to wallet providers.

Amounts are ``Amount`` (exact decimals on both backends); MsgId, PmtInfId and EndToEndId are
unique per client so that an identifier is never reused for a different payment.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Computed,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from gateway.persistence.models import Base, _enum, new_id
from gateway.persistence.types import Amount, JSONValue, UTCDateTime, utcnow

_BIGINT = BigInteger().with_variant(Integer, "sqlite")


class PaymentStatus(StrEnum):
    HELD = "held"            # a risk rule holds it for review; its message is not sent
    QUEUED = "queued"        # in the outbox, not yet delivered
    SENT = "sent"            # the bank has the file
    ACCEPTED = "accepted"    # pain.002 ACCP/ACTC/ACSP/ACWC...
    PENDING = "pending"      # pain.002 PDNG
    BOOKED = "booked"        # on a camt.054/camt.053: the money moved
    REJECTED = "rejected"    # pain.002 RJCT (or the operator rejected a held payment)
    RETURNED = "returned"    # pacs.004 / a return entry after it was booked


class MessageStatus(StrEnum):
    HELD = "held"            # waits for the operator (risk hold)
    PENDING = "pending"      # due for delivery
    DELIVERED = "delivered"  # the bank took it (or already had it: duplicate of our own send)
    REFUSED = "refused"      # the bank refused it for good
    CANCELLED = "cancelled"  # a held message the operator rejected


class AccountRole(StrEnum):
    SETTLEMENT = "settlement"
    COLLECTION = "collection"


class ClientAccount(Base):
    __tablename__ = "client_accounts"
    __table_args__ = (UniqueConstraint("client_id", "role", name="uq_client_accounts_client_role"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.client_id"))
    role: Mapped[AccountRole] = mapped_column(_enum(AccountRole, "account_role"))
    iban: Mapped[str] = mapped_column(String(34))
    bic: Mapped[str | None] = mapped_column(String(11))
    currency: Mapped[str] = mapped_column(String(3))
    name: Mapped[str] = mapped_column(String(140))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutgoingMessage(Base):
    __tablename__ = "outgoing_messages"
    __table_args__ = (
        # The bank sees only the MsgId: unique per bank, so a bank's "duplicate" always means ours.
        UniqueConstraint("bank_id", "message_id", name="uq_outgoing_messages_bank_msgid"),  # and a bank's files
        Index("ix_outgoing_messages_due", "status", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.client_id"), index=True)
    bank_id: Mapped[str] = mapped_column(String(64))
    message_type: Mapped[str] = mapped_column(String(40))
    message_id: Mapped[str] = mapped_column(String(35))
    sha256: Mapped[str] = mapped_column(String(64))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[MessageStatus] = mapped_column(_enum(MessageStatus, "message_status"))
    hold_reasons: Mapped[list[str] | None] = mapped_column(JSONValue)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    bank_reference: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}


class DeliveryAttempt(Base):
    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True, autoincrement=True)
    outgoing_message_id: Mapped[str] = mapped_column(ForeignKey("outgoing_messages.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    worker: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(32))
    """delivered | duplicate | unavailable | refused | error"""
    detail: Mapped[str | None] = mapped_column(Text)


WITH_CONSENT = "consent_id IS NOT NULL"
"""The rows of ``ix_payments_consent_created``: payments made under a holder's consent (top-up,
transfer, a payment file)."""

RARE_STATUS = " OR ".join(f"status = '{status.value}'" for status in PaymentStatus
                         if status not in (PaymentStatus.QUEUED, PaymentStatus.BOOKED))
"""The rows of ``ix_payments_status_rare``: every status but ``queued`` (each new payment, for
seconds) and ``booked`` (most payments, for good).  Written as equalities joined by OR, not IN:
SQLite uses a partial index for ``status = ?`` only when the index's WHERE has that very term.
Derived from the enum, so a new status changes it and the migrations test asks for a migration."""


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("client_id", "end_to_end_id", name="uq_payments_client_e2e"),
        Index("ix_payments_message", "outgoing_message_id"),       # a file's payments; every pain.002
        Index("ix_payments_e2e", "end_to_end_id"),                 # returns
        Index("ix_payments_creditor_iban", "creditor_iban"),       # credits on the wallet's accounts
        Index("ix_payments_client_created", "client_id", "created_at", "id"),  # GET /payments, a page in order
        Index("ix_payments_debtor_created", "debtor_iban", "created_at"),      # a day's use of an account
        # Partial (migration 0008): a wallet payment (pay, withdraw, bulk payout) has no consent, and a
        # new payment is queued (or held), so an accepted pay writes to neither.
        Index("ix_payments_consent_created", "consent_id", "created_at", "id", sqlite_where=text(WITH_CONSENT),
              postgresql_where=text(WITH_CONSENT)),                # a consent's payments, a page in order
        Index("ix_payments_status_rare", "status", sqlite_where=text(RARE_STATUS),
              postgresql_where=text(RARE_STATUS)),                 # held ones; in flight; rejected, returned
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.client_id"))
    consent_id: Mapped[str | None] = mapped_column(ForeignKey("consents.id"))
    operation: Mapped[str] = mapped_column(String(32))
    status: Mapped[PaymentStatus] = mapped_column(_enum(PaymentStatus, "payment_status"))
    reason_code: Mapped[str | None] = mapped_column(String(35))
    reason_text: Mapped[str | None] = mapped_column(Text)
    amount: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    end_to_end_id: Mapped[str] = mapped_column(String(35))
    message_id: Mapped[str] = mapped_column(String(35))
    payment_information_id: Mapped[str] = mapped_column(String(35))
    outgoing_message_id: Mapped[str] = mapped_column(ForeignKey("outgoing_messages.id"))
    bank_id: Mapped[str] = mapped_column(String(64))
    debtor: Mapped[dict[str, Any]] = mapped_column(JSONValue)
    creditor: Mapped[dict[str, Any]] = mapped_column(JSONValue)
    debtor_iban: Mapped[str | None] = mapped_column(String(34))
    creditor_iban: Mapped[str | None] = mapped_column(String(34))
    remittance: Mapped[str | None] = mapped_column(Text)
    requested_execution_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}


def status_is(*statuses: PaymentStatus | str) -> ColumnElement[bool]:
    """``Payment.status`` is one of ``statuses``, their values written into the SQL, not bound.

    Why: ``ix_payments_status_rare`` is partial, and a database can use it only for values it sees.
    psycopg prepares a statement on the server after its fifth run on a connection, and PostgreSQL
    then keeps to a generic plan, made without the parameters' values: GET /payments?status=held
    went from the 50 held payments read through the index (0.14 ms) to all 100,000 of the client's
    read in order (32 ms).  With the values in the text, each list of statuses is a statement of
    its own, planned for them.  They come from the enum, never from a request's text.  One status
    is an equality: SQLite takes the partial index for ``status = 'held'``, not for ``IN ('held')``."""
    values = sorted(PaymentStatus(status).value for status in statuses)
    if len(values) == 1:
        return Payment.status == bindparam(None, values[0], literal_execute=True)
    return Payment.status.in_(bindparam(None, values, expanding=True, literal_execute=True))


class PaymentEvent(Base):
    """One step of a payment's lifecycle; the history ``GET /payments/{id}`` shows."""

    __tablename__ = "payment_events"

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True, autoincrement=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(32))
    reason_code: Mapped[str | None] = mapped_column(String(35))
    reason_text: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(200))


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"

    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.client_id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_sha256: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSONValue)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InboundMessage(Base):
    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("bank_id", "external_id", name="uq_inbound_messages_bank_external"),
                      Index("ix_inbound_messages_processed_at", "processed_at"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    bank_id: Mapped[str] = mapped_column(String(64), index=True)
    external_id: Mapped[str] = mapped_column(String(255))
    family: Mapped[str | None] = mapped_column(String(16))
    message_type: Mapped[str | None] = mapped_column(String(40))
    message_id: Mapped[str | None] = mapped_column(String(35))
    sha256: Mapped[str] = mapped_column(String(64))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(32))
    """processed | invalid | failed (applying it raised: kept with the error for the operator)"""
    findings: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONValue)


class StoredStatement(Base):
    """A camt.053 statement, camt.054 notification or camt.052 report of one account."""

    __tablename__ = "statements"
    __table_args__ = (
        UniqueConstraint("bank_id", "kind", "account_iban", "statement_id", name="uq_statements_identity"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    bank_id: Mapped[str] = mapped_column(String(64))
    inbound_message_id: Mapped[str] = mapped_column(ForeignKey("inbound_messages.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    account_iban: Mapped[str] = mapped_column(String(34), index=True)
    statement_id: Mapped[str] = mapped_column(String(35))
    sequence_number: Mapped[int | None] = mapped_column(_BIGINT)
    from_date: Mapped[date | None] = mapped_column(Date)
    to_date: Mapped[date | None] = mapped_column(Date)
    currency: Mapped[str | None] = mapped_column(String(3))
    opening: Mapped[Decimal | None] = mapped_column(Amount)
    closing: Mapped[Decimal | None] = mapped_column(Amount)
    entry_count: Mapped[int] = mapped_column(Integer, default=0)
    booked_net: Mapped[Decimal | None] = mapped_column(Amount)
    """Booked credits minus debits: two copies with equal balances but other entries differ here."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


UNDATED = date(9999, 12, 31)
"""``entries.day`` of an entry with neither a booking nor a value date: after every real day."""


class StoredEntry(Base):
    __tablename__ = "entries"
    __table_args__ = (Index("ix_entries_account_date", "account_iban", "booking_date"),
                      Index("ix_entries_account_day", "account_iban", "day", "id"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    statement_id: Mapped[str] = mapped_column(ForeignKey("statements.id"), index=True)
    entry_key: Mapped[str] = mapped_column(String(255), unique=True)
    account_iban: Mapped[str] = mapped_column(String(34))
    amount: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    credit_debit: Mapped[str] = mapped_column(String(4))
    booking_date: Mapped[date | None] = mapped_column(Date)
    value_date: Mapped[date | None] = mapped_column(Date)
    day: Mapped[date] = mapped_column(Date, Computed(f"coalesce(booking_date, value_date, '{UNDATED.isoformat()}')"),
                                      nullable=True)  # never NULL; declared so, SQLite could not add it
    """The day an account's transactions are listed under: the booking date, else the value date,
    else ``UNDATED``.  Computed by the database and indexed with the account, so a page of an
    account's transactions is read in order from the index instead of sorting them all."""
    end_to_end_id: Mapped[str | None] = mapped_column(String(35), index=True)
    counterparty_name: Mapped[str | None] = mapped_column(String(140))
    counterparty_iban: Mapped[str | None] = mapped_column(String(34))
    remittance: Mapped[str | None] = mapped_column(Text)
    return_reason: Mapped[str | None] = mapped_column(String(35))
    payment_id: Mapped[str | None] = mapped_column(ForeignKey("payments.id"), index=True)
    matched_by: Mapped[str | None] = mapped_column(String(32))
    """How reconciliation linked it to ``payment_id``: end_to_end_id | amount_date_counterparty."""
    match_role: Mapped[str | None] = mapped_column(String(16))
    """What it is for that payment: booking | return | receipt."""


class ReconciliationException(Base):
    __tablename__ = "reconciliation_exceptions"
    # One open exception per finding, however many workers report it at once (see open_key).
    __table_args__ = (Index("uq_reconciliation_exceptions_open_key", "open_key", unique=True),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    account_iban: Mapped[str | None] = mapped_column(String(34), index=True)
    payment_id: Mapped[str | None] = mapped_column(ForeignKey("payments.id"), index=True)
    entry_id: Mapped[str | None] = mapped_column(ForeignKey("entries.id"))
    reason: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONValue)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    open_key: Mapped[str | None] = mapped_column(String(64))
    """While open: the SHA-256 of what makes two exceptions the same (kind, payment, entry,
    reason); NULL once resolved, so the same finding may open again later."""


ACTIVE_SUBSCRIPTION = "disabled_at IS NULL"
"""The rows of ``uq_webhook_subscriptions_active_url``: subscriptions not ended."""


class WebhookSubscription(Base):
    """The ``secret`` is kept as issued, like a TOTP secret: signing needs the value itself.

    One active subscription per client and URL, kept by a partial unique index (migration 0009), so
    two requests subscribing one URL at once store one: a second would receive every event twice.
    An ended subscription leaves the URL free.  The URL is at most 2,000 bytes
    (``gateway.services.webhook_targets.MAX_URL``): an index entry fits PostgreSQL's B-tree."""

    __tablename__ = "webhook_subscriptions"
    __table_args__ = (
        Index("uq_webhook_subscriptions_active_url", "client_id", "url", unique=True,
              sqlite_where=text(ACTIVE_SUBSCRIPTION), postgresql_where=text(ACTIVE_SUBSCRIPTION)),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.client_id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    subscription_id: Mapped[str] = mapped_column(ForeignKey("webhook_subscriptions.id"), index=True)
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONValue)
    status: Mapped[str] = mapped_column(String(16))
    """pending | delivered | failed"""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
