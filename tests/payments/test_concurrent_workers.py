"""Two workers on one PostgreSQL database at the same time, as two ``gateway worker`` processes
would be: each its own worker id, runtime (connectors) and passes.  Every outbox file reaches
the bank exactly once — one delivery attempt per file, one file per MsgId at the bank — and
everything the bank answers is stored once."""

from __future__ import annotations

import sqlite3
import threading
import traceback
import uuid
from contextlib import closing

import pytest
from sqlalchemy import func, select

from gateway.persistence.payment_models import (
    DeliveryAttempt,
    InboundMessage,
    MessageStatus,
    OutgoingMessage,
    Payment,
    PaymentEvent,
)
from gateway.wiring import runtime_from
from gateway.worker.loop import Pass, run_once
from tests.payments.conftest import MERCHANT, database_of, wallet_token
from tests.pg import _fresh_database

FILES = 120  # more than one pass claims (50), so both workers are busy at once


@pytest.fixture(params=["postgresql"])
def database_url(request, tmp_path):
    """PostgreSQL only: SQLite has one writer at a time, so there is no concurrent claim to test."""
    yield from _fresh_database(request, tmp_path, migrated=True)


def worker(app, settings, clock, name: str, start: threading.Barrier, passes: list[Pass], errors: list):
    runtime = runtime_from(settings)  # its own connectors, as another process would have
    try:
        start.wait(timeout=30)
        for _ in range(20):
            done = run_once(database_of(app), runtime, worker=name, clock=clock)
            passes.append(done)
            if not done.busy:
                break
    except BaseException:  # noqa: BLE001  (reported by the test, not lost in the thread)
        errors.append(f"{name}: {traceback.format_exc()}")
    finally:
        runtime.close()


def test_two_workers_deliver_each_file_exactly_once(client, wallet, app, clock, settings, tmp_path, receiver):
    headers = wallet_token(client, wallet)
    assert client.post("/webhooks", json={"url": receiver.url}, headers=headers).status_code == 201
    for number in range(FILES):
        answer = client.post("/operations/pay", json={
            "amount": f"{number + 1}.00", "currency": "EUR", "end_to_end_id": f"RACE-{number}",
            "merchant": {"name": "Shop", "iban": MERCHANT}}, headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
        assert answer.status_code == 201
    app.extensions["gateway.runtime"].close()  # the web app's own connectors take no part

    start = threading.Barrier(2)
    passes: dict[str, list[Pass]] = {"w1": [], "w2": []}
    errors: list[str] = []
    threads = [threading.Thread(target=worker, args=(app, settings, clock, name, start, passes[name], errors))
               for name in passes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads)
    assert not errors, "\n".join(errors)
    assert sum(p.delivered for name in passes for p in passes[name]) == FILES
    assert all(not p.problems for name in passes for p in passes[name])

    with database_of(app).transaction() as session:
        attempts = session.execute(select(DeliveryAttempt.outgoing_message_id, DeliveryAttempt.worker,
                                          DeliveryAttempt.outcome)).all()
        statuses = session.execute(select(OutgoingMessage.status, func.count()).group_by(OutgoingMessage.status)).all()
        payment_statuses = session.execute(select(Payment.status, func.count()).group_by(Payment.status)).all()
        inbound = session.execute(select(InboundMessage.external_id, func.count())
                                  .group_by(InboundMessage.external_id)).all()
        changes = session.scalar(select(func.count()).select_from(PaymentEvent).where(PaymentEvent.status != "queued"))
        unprocessed = session.scalar(select(func.count()).select_from(InboundMessage)
                                     .where(InboundMessage.processed_at.is_(None)))
    assert len(attempts) == FILES
    assert len({a.outgoing_message_id for a in attempts}) == FILES  # one attempt per file
    assert {a.outcome for a in attempts} == {"delivered"}  # none a duplicate of a second send
    assert {a.worker for a in attempts} == {"w1", "w2"}  # both took part
    assert dict(statuses) == {MessageStatus.DELIVERED: FILES}

    # the bank's own books: one file per MsgId, one payment per EndToEndId
    with closing(sqlite3.connect(tmp_path / "sandbox.db")) as bank:
        files = bank.execute("SELECT count(*), count(DISTINCT message_id) FROM files").fetchone()
        payments = bank.execute("SELECT count(*), count(DISTINCT end_to_end_id) FROM payments").fetchone()
    assert files == (FILES, FILES)
    assert payments == (FILES, FILES)

    # each file's pain.002 and camt.054s: stored once, whichever worker collected them
    assert inbound and all(count == 1 for _, count in inbound)
    assert unprocessed == 0
    assert dict(payment_statuses) == {"booked": FILES}

    # every status change POSTed once: workers do not both send one event.  A payment's changes are
    # its history after the first (queued) entry: sent, accepted, booked — or sent, booked when its
    # camt.054 was applied before its pain.002 (a report that would move it back changes nothing).
    events = [r.headers["Gateway-Event-Id"] for r in receiver.received]
    assert len(events) == len(set(events)) == changes
    assert 2 * FILES <= changes <= 3 * FILES
