"""A stored bank message whose interpretation hits the database rather than its own content is
tried again, not recorded as failed (nothing re-reads a failed message: its effect would be lost).

The collisions are made by patching the step that applies a pain.002 to raise once what the
database raises in those races (a unique key another worker's insert took first; SQLite's
"database is locked" past the busy timeout): reproducing the timing of two real workers is
tests/payments/test_concurrent_workers.py's job."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from gateway.persistence.payment_models import InboundMessage, Payment
from gateway.persistence.repositories.inbound import InboundMessages, external_id
from gateway.services import delivery, inbound, statuses
from tests.payments.conftest import (
    MERCHANT,
    database_of,
    post_operation,
    wallet_token,
    work,
)


@pytest.fixture
def stored_pain002(client, wallet, app, clock) -> tuple[str, str]:
    """A payment sent to the sandbox, and the sandbox's pain.002 about it stored, not interpreted."""
    answer = post_operation(client, wallet_token(client, wallet), "pay",
                            {"amount": "7.00", "currency": "EUR", "merchant": {"name": "Shop", "iban": MERCHANT}})
    assert answer.status_code == 201, answer.json
    runtime = app.extensions["gateway.runtime"]
    assert delivery.dispatch(database_of(app), runtime, worker="w", clock=clock).delivered == 1
    (pain002,) = [m for m in runtime.connector("sandbox").collect() if b"pain.002" in m.body]
    with database_of(app).transaction() as session:
        row, _ = InboundMessages(session, clock).store(bank_id="sandbox", body=pain002.body,
                                                       external_id=external_id(pain002.id, pain002.body))
    return answer.json["payments"][0]["id"], row.id


def failing_once(monkeypatch, error: Exception, calls: list) -> None:
    apply = statuses.apply

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise error
        return apply(*args, **kwargs)

    monkeypatch.setattr(statuses, "apply", flaky)


def outcome(app, row_id: str, payment_id: str) -> tuple[str | None, str]:
    with database_of(app).transaction() as session:
        return session.get(InboundMessage, row_id).outcome, session.get(Payment, payment_id).status


def test_a_unique_key_lost_to_another_worker_is_tried_again_at_once(app, clock, stored_pain002, monkeypatch):
    payment_id, row_id = stored_pain002
    calls: list = []
    failing_once(monkeypatch, IntegrityError("INSERT INTO entries", {}, Exception("UNIQUE constraint failed")), calls)
    assert inbound.interpret_stored(database_of(app), row_id, clock=clock).outcome == "processed"
    assert len(calls) == 2
    assert outcome(app, row_id, payment_id) == ("processed", "accepted")


def test_a_locked_or_lost_database_leaves_the_message_for_the_next_pass(app, clock, stored_pain002, monkeypatch):
    payment_id, row_id = stored_pain002
    calls: list = []
    failing_once(monkeypatch, OperationalError("INSERT", {}, Exception("database is locked")), calls)
    assert inbound.interpret_stored(database_of(app), row_id, clock=clock).outcome == inbound.DEFERRED
    assert outcome(app, row_id, payment_id) == (None, "sent")  # unprocessed, nothing applied
    assert inbound.interpret_pending(database_of(app), clock=clock) == 1
    assert outcome(app, row_id, payment_id) == ("processed", "accepted")


def test_a_collision_that_happens_every_time_is_recorded_as_failed(app, clock, stored_pain002, monkeypatch):
    payment_id, row_id = stored_pain002

    def always(*args, **kwargs):
        raise IntegrityError("INSERT INTO entries", {}, Exception("UNIQUE constraint failed"))

    monkeypatch.setattr(statuses, "apply", always)
    assert inbound.interpret_stored(database_of(app), row_id, clock=clock).outcome == "failed"
    with database_of(app).transaction() as session:
        row = session.scalar(select(InboundMessage).where(InboundMessage.id == row_id))
        assert row.outcome == "failed" and "UNIQUE constraint failed" in row.findings[0]["message"]


def test_an_unexpected_failure_collecting_from_a_bank_costs_only_that_step(client, wallet, app, clock, receiver,
                                                                           monkeypatch):
    """A full disk while keeping what a bank sent, a connector's bug: the pass still delivers files,
    interprets what is stored and sends webhooks, and names the problem."""
    headers = wallet_token(client, wallet)
    assert client.post("/webhooks", json={"url": receiver.url}, headers=headers).status_code == 201

    def disk_full():
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(app.extensions["gateway.runtime"].connector("sandbox"), "collect", disk_full)
    answer = post_operation(client, headers, "pay", {"amount": "3.00", "currency": "EUR",
                                                     "merchant": {"name": "Shop", "iban": MERCHANT}})
    assert answer.status_code == 201
    done = work(app, clock)
    assert done.delivered == 1 and done.webhooks >= 1  # queued → sent, POSTed
    assert done.problems == ["sandbox: OSError: [Errno 28] No space left on device"]
