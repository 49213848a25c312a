"""Webhook subscriptions of wallet providers and the deliveries owed to them.

A delivery row is written in the same transaction as the payment change it
reports, so a change is never lost to a crash and never reported if it rolled
back; the worker sends due deliveries and retries with backoff.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from gateway.domain.errors import GatewayError
from gateway.persistence.db import insert_for
from gateway.persistence.errors import AlreadySubscribed, ConcurrentUpdate
from gateway.persistence.payment_models import WebhookDelivery, WebhookSubscription
from gateway.persistence.repositories.audit import Repository, found
from gateway.persistence.repositories.outbox import backoff

MAX_ATTEMPTS = 12
LEASE = timedelta(seconds=300)
"""How long claimed deliveries are a worker's: longer than a claimed batch (CLAIM_BATCH POSTs at gateway.worker.webhooks.TIMEOUT each) may take."""
CLAIM_BATCH = 10
_ACTIVE = "gateway.webhooks.active"
"""``session.info`` key of the subscriptions read in this transaction (see ``Webhooks._active_ids``)."""


class Webhooks(Repository):
    def subscribe(self, *, client_id: str, url: str, actor: str) -> WebhookSubscription:
        """A new subscription with a fresh signing secret (returned here, and readable by its client).

        One active subscription per client and URL (compared as written): a second would have
        every event delivered twice, each time under its own event id.  The unique index
        ``uq_webhook_subscriptions_active_url`` keeps it so: the insert does nothing (``ON CONFLICT
        DO NOTHING``, as ``Exceptions.open``) when the URL is taken, also by a request that looked
        at the same moment, found none either and committed first (PostgreSQL waits for it).
        Nothing fails in the database, so the session stays usable without a savepoint.  The look
        before the insert answers the usual repeat without writing (on SQLite: without the write
        lock); either way the refusal names the subscription that holds the URL."""
        existing = self._active_with_url(client_id, url)
        row = None if existing else self._insert_unless_subscribed(client_id, url)
        if row is None:
            raise _refusal(url, existing or self._active_with_url(client_id, url))
        self.session.info.pop(_ACTIVE, None)
        self.audit(actor, "webhook.subscribed", ("webhook", row.id), None, url=url)
        return row

    def _insert_unless_subscribed(self, client_id: str, url: str) -> WebhookSubscription | None:
        """The stored subscription; None if the client has an active one of ``url`` (the index's rows)."""
        statement = (insert_for(self.session)(WebhookSubscription)
                     .values(client_id=client_id, url=url, secret=secrets.token_urlsafe(32), created_at=self.clock())
                     .on_conflict_do_nothing(index_elements=["client_id", "url"],
                                             index_where=WebhookSubscription.disabled_at.is_(None))
                     .returning(WebhookSubscription))
        return self.session.scalars(statement).first()

    def get_for_client(self, client_id: str, subscription_id: str) -> WebhookSubscription:
        """An active subscription of this client; another client's, or one that has ended, is not found
        (ending it twice would otherwise move its end and audit it again)."""
        row = self.session.scalar(select(WebhookSubscription).where(WebhookSubscription.id == subscription_id,
                                                                    WebhookSubscription.client_id == client_id,
                                                                    WebhookSubscription.disabled_at.is_(None)))
        return found(row, "webhook", subscription_id)

    def _active_with_url(self, client_id: str, url: str) -> WebhookSubscription | None:
        return self.session.scalars(select(WebhookSubscription).where(
            WebhookSubscription.client_id == client_id, WebhookSubscription.url == url,
            WebhookSubscription.disabled_at.is_(None)).order_by(WebhookSubscription.created_at).limit(1)).first()

    def list_for_client(self, client_id: str) -> list[WebhookSubscription]:
        query = select(WebhookSubscription).where(WebhookSubscription.client_id == client_id,
                                                  WebhookSubscription.disabled_at.is_(None))
        return list(self.session.scalars(query.order_by(WebhookSubscription.created_at)))

    def disable(self, row: WebhookSubscription, *, actor: str) -> None:
        row.disabled_at = self.clock()
        self.session.flush()
        self.session.info.pop(_ACTIVE, None)
        self.audit(actor, "webhook.disabled", ("webhook", row.id), None)

    def enqueue(self, client_id: str, event_type: str, payload: dict[str, Any]) -> int:
        """A delivery per active subscription of the client, written with the caller's transaction."""
        subscriptions = self._active_ids(client_id)
        for subscription_id in subscriptions:
            self.session.add(WebhookDelivery(subscription_id=subscription_id, event_type=event_type,
                                             payload=payload, status="pending", attempts=0,
                                             next_attempt_at=self.clock(), created_at=self.clock()))
        return len(subscriptions)

    def _active_ids(self, client_id: str) -> tuple[str, ...]:
        """The client's active subscriptions, read once per transaction: a bulk payout's file moves
        thousands of payments in one, and a query (with the flush it forces) per payment was a
        fifth of the worker's time.  A subscription made or ended meanwhile in another
        transaction counts from the next one, as it would have if that one had committed later."""
        transaction = self.session.get_transaction()
        cached = self.session.info.get(_ACTIVE)
        if cached is None or cached[0] is not transaction:  # a session may outlive its transaction
            cached = self.session.info[_ACTIVE] = (transaction, {})
        known = cached[1]
        if client_id not in known:
            known[client_id] = tuple(row.id for row in self.list_for_client(client_id))
        return known[client_id]

    def claim_due(self, *, limit: int = CLAIM_BATCH) -> list[tuple[WebhookDelivery, WebhookSubscription]]:
        """Claim up to ``limit`` due deliveries for :data:`LEASE`; the caller commits before sending.

        The claim moves ``next_attempt_at`` past the lease with a conditional UPDATE checked by its
        row count (as the outbox claims files), so two workers never POST the same event: each gets
        its own deliveries.  A worker that dies after claiming leaves its deliveries due again once
        the lease ends; ``record`` sets the real next attempt."""
        now = self.clock()
        query = (select(WebhookDelivery.id)
                 .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
                 .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now,
                        WebhookSubscription.disabled_at.is_(None))
                 .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.created_at, WebhookDelivery.id)
                 .limit(limit))
        if self.session.bind.dialect.name == "postgresql":
            query = query.with_for_update(of=WebhookDelivery, skip_locked=True)
        claimed = []
        for delivery_id in list(self.session.scalars(query)):
            result = self.session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == "pending",
                       WebhookDelivery.next_attempt_at <= now)
                .values(next_attempt_at=now + LEASE).execution_options(synchronize_session=False))
            if result.rowcount == 1:
                claimed.append(delivery_id)
        if not claimed:
            return []
        rows = self.session.execute(
            select(WebhookDelivery, WebhookSubscription)
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .where(WebhookDelivery.id.in_(claimed))
            .order_by(WebhookDelivery.created_at, WebhookDelivery.id)
            .execution_options(populate_existing=True))
        return [(d, s) for d, s in rows]

    def record(self, delivery: WebhookDelivery, *, ok: bool, detail: str | None) -> None:
        delivery.attempts += 1
        if ok:
            delivery.status, delivery.delivered_at, delivery.last_error = "delivered", self.clock(), None
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.status, delivery.last_error = "failed", detail
        else:
            delivery.next_attempt_at, delivery.last_error = self.clock() + backoff(delivery.attempts), detail
        self.session.flush()


def _refusal(url: str, holder: WebhookSubscription | None) -> GatewayError:
    """Why ``url`` was not subscribed: ``holder``, the active subscription that has it; if another
    transaction ended that one between the insert and the read that looked for it, a race to retry."""
    if holder is None:
        return ConcurrentUpdate("the subscription holding this URL was ended at the same time; retry")
    return AlreadySubscribed(holder.id, url)
