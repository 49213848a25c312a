"""Two workers that read statements about one account at the same time raise the same finding
(an entry nobody sent, say) at the same time: it is stored once.  Before ``open_key`` each
looked for an open exception, found none (the other's was not committed yet) and stored its own."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from gateway.persistence.db import Database
from gateway.persistence.errors import ConcurrentUpdate
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


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_deadlock_between_two_workers_is_a_concurrent_update_to_retry(database_url):
    """Two workers raising two shared findings in opposite orders wait for each other; PostgreSQL
    breaks the cycle by failing one of them, which is to be retried (``interpret_stored`` does),
    not recorded as a message that cannot be applied."""
    database, clock = Database(database_url), Clock()
    first_in = [threading.Event(), threading.Event()]
    outcomes: list[str] = ["", ""]

    def worker(me: int) -> None:
        mine, theirs = ("finding A", "finding B") if me == 0 else ("finding B", "finding A")
        try:
            with database.transaction() as session:
                store(session, clock, reason=mine)
                first_in[me].set()
                first_in[1 - me].wait(timeout=10)
                store(session, clock, reason=theirs)  # each waits for the other's row: a cycle
            outcomes[me] = "committed"
        except ConcurrentUpdate:
            outcomes[me] = "retry"
        except BaseException as exc:  # noqa: BLE001
            outcomes[me] = repr(exc)

    try:
        threads = [threading.Thread(target=worker, args=(n,)) for n in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(outcomes) == ["committed", "retry"], outcomes
        with database.transaction() as session:
            assert session.scalar(select(func.count()).select_from(ReconciliationException)) == 2
    finally:
        database.dispose()
