"""Two workers that read statements about one account at the same time raise the same finding
(an entry nobody sent, say) at the same time: it is stored once.  Before ``open_key`` each
looked for an open exception, found none (the other's was not committed yet) and stored its own."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from gateway.persistence.db import Database
from gateway.persistence.payment_models import ReconciliationException
from gateway.services import reports
from tests.pg import _fresh_database
from tests.support import Clock


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    yield from _fresh_database(request, tmp_path, migrated=True)


def store(session, clock, reason="entry K1 of 12.00 EUR matches no payment") -> None:
    reports._exception(session, clock, "unmatched_entry", "NL41MOCK0000000001", reason, None, None, {"n": 1})


def test_one_finding_raised_by_two_workers_at_once_is_stored_once(database_url):
    database, clock = Database(database_url), Clock()
    errors: list[BaseException] = []

    def second_worker() -> None:
        try:
            with database.transaction() as session:
                store(session, clock)  # waits for the first worker's uncommitted row
        except BaseException as exc:  # noqa: BLE001 (reported below, not lost in the thread)
            errors.append(exc)

    try:
        with database.transaction() as session:
            store(session, clock)
            thread = threading.Thread(target=second_worker)
            thread.start()
            time.sleep(1.0)  # the second worker is now blocked behind this transaction
        thread.join(timeout=30)
        assert not thread.is_alive() and errors == []
        with database.transaction() as session:
            store(session, clock, reason="another finding")
            store(session, clock)  # and the same one again, later: still once
            rows = session.execute(select(ReconciliationException.reason, func.count())
                                   .group_by(ReconciliationException.reason).order_by(ReconciliationException.reason))
            assert rows.all() == [("another finding", 1), ("entry K1 of 12.00 EUR matches no payment", 1)]
    finally:
        database.dispose()
