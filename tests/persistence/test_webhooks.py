"""One active webhook subscription per client and URL, held by the unique index
``uq_webhook_subscriptions_active_url``, not only by the look before the insert: of two requests
subscribing one URL at once, both look, neither finds the other's uncommitted row, and before the
index both stored one (every event was then delivered twice)."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from gateway.persistence.errors import AlreadySubscribed, ConcurrentUpdate
from gateway.persistence.payment_models import WebhookSubscription
from gateway.persistence.repositories.webhooks import Webhooks

URL = "https://hooks.wallet.example/in"
ACTOR = "operator:test"


def subscribe(db, clock, client_id: str, url: str = URL) -> str:
    with db.transaction() as s:
        return Webhooks(s, clock).subscribe(client_id=client_id, url=url, actor=ACTOR).id


def stored(db) -> list[tuple[str, str, bool]]:
    """(client, URL, active) of every subscription, in the order they were made."""
    with db.transaction() as s:
        rows = s.scalars(select(WebhookSubscription).order_by(WebhookSubscription.created_at))
        return [(r.client_id, r.url, r.disabled_at is None) for r in rows]


def look_misses(monkeypatch, times: int) -> None:
    """The look before the insert finds nothing the first ``times`` times: another request's
    subscription of the URL was not committed yet when it looked."""
    look, misses = Webhooks._active_with_url, [None] * times
    monkeypatch.setattr(Webhooks, "_active_with_url",
                        lambda self, client_id, url: misses.pop() if misses else look(self, client_id, url))


def test_a_url_taken_after_the_look_is_refused_naming_the_subscription_and_the_transaction_goes_on(
        db, clock, world, monkeypatch):
    client_id = world.wallet.client.client_id
    first = subscribe(db, clock, client_id)
    look_misses(monkeypatch, times=1)
    clock.advance(seconds=1)
    with db.transaction() as s:
        webhooks = Webhooks(s, clock)
        with pytest.raises(AlreadySubscribed) as refused:
            webhooks.subscribe(client_id=client_id, url=URL, actor=ACTOR)
        assert refused.value.subscription_id == first
        webhooks.subscribe(client_id=client_id, url=URL + "/other", actor=ACTOR)  # the session is still usable
    assert stored(db) == [(client_id, URL, True), (client_id, URL + "/other", True)]


def test_an_ended_subscription_leaves_the_url_free_and_another_client_has_its_own(db, clock, world):
    mine, theirs = world.wallet.client.client_id, world.other_wallet.client.client_id
    first = subscribe(db, clock, mine)
    with db.transaction() as s:
        webhooks = Webhooks(s, clock)
        webhooks.disable(webhooks.get_for_client(mine, first), actor=ACTOR)
    clock.advance(seconds=1)
    assert subscribe(db, clock, mine) != first
    subscribe(db, clock, theirs)
    assert stored(db) == [(mine, URL, False), (mine, URL, True), (theirs, URL, True)]


def test_a_holder_ended_before_it_could_be_named_is_a_race_to_retry(db, clock, world, monkeypatch):
    """The insert met an active subscription, which another transaction ended before the read that
    would name it: nothing to point at, and nothing stored; the client tries again."""
    client_id = world.wallet.client.client_id
    subscribe(db, clock, client_id)
    look_misses(monkeypatch, times=2)
    with pytest.raises(ConcurrentUpdate), db.transaction() as s:
        Webhooks(s, clock).subscribe(client_id=client_id, url=URL, actor=ACTOR)
    assert stored(db) == [(client_id, URL, True)]


def test_two_transactions_subscribing_one_url_at_once_store_one(db, clock, world):
    """Real transactions: the second looks while the first's row is uncommitted, finds nothing,
    and its insert waits for the first (PostgreSQL: the index entry; SQLite: the write lock)."""
    client_id = world.wallet.client.client_id
    outcome: list[BaseException | str] = []

    def second_request() -> None:
        try:
            outcome.append(subscribe(db, clock, client_id))
        except BaseException as exc:  # noqa: BLE001 (reported below, not lost in the thread)
            outcome.append(exc)

    with db.transaction() as s:
        first = Webhooks(s, clock).subscribe(client_id=client_id, url=URL, actor=ACTOR).id
        thread = threading.Thread(target=second_request)
        thread.start()
        time.sleep(1.0)  # the second request has looked and now waits behind this transaction
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], AlreadySubscribed), outcome
    assert outcome[0].subscription_id == first
    assert stored(db) == [(client_id, URL, True)]
