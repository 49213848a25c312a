"""The database handle: units of work, SQLite pragmas, foreign keys, lost-update protection."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from gateway.persistence.db import Database, create_database_url_for_sqlite
from gateway.persistence.errors import ConcurrentUpdate
from gateway.persistence.migrate import upgrade
from gateway.persistence.models import (
    AccountHolder,
    BankAccount,
    Consent,
    ConsentKind,
    ConsentStatus,
)
from gateway.persistence.repositories import Consents

from .conftest import OPERATOR


def test_sqlite_url_is_absolute_and_the_folder_is_created_on_first_use(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = create_database_url_for_sqlite(Path("var") / "gateway.db")
    assert url == f"sqlite+pysqlite:///{tmp_path}/var/gateway.db"

    database = Database(url)
    with database.transaction() as s:
        s.execute(text("CREATE TABLE t (x INTEGER)"))
    database.dispose()
    assert (tmp_path / "var" / "gateway.db").is_file()


def test_sqlite_connections_get_the_pragmas(tmp_path):
    database = Database(create_database_url_for_sqlite(tmp_path / "g.db"))
    with database.engine.connect() as connection:
        pragmas = {name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                   for name in ("foreign_keys", "journal_mode", "busy_timeout")}
    database.dispose()
    assert pragmas == {"foreign_keys": 1, "journal_mode": "wal", "busy_timeout": 5000}


def test_a_transaction_commits_when_the_block_ends(db, clock):
    with db.transaction() as s:
        s.add(AccountHolder(id="h1", username="carol", password_hash="x", created_at=clock()))
    with db.transaction() as s:
        assert s.scalar(select(AccountHolder.username)) == "carol"


def test_a_transaction_rolls_back_when_the_block_raises(db, clock):
    with pytest.raises(RuntimeError), db.transaction() as s:
        s.add(AccountHolder(id="h1", username="carol", password_hash="x", created_at=clock()))
        s.flush()  # the row reached the database ...
        raise RuntimeError("something later failed")
    with db.transaction() as s:  # ... and is gone again
        assert s.scalar(select(AccountHolder.username)) is None


def test_foreign_keys_are_enforced(db, clock):
    with pytest.raises(IntegrityError), db.transaction() as s:
        s.add(BankAccount(id="a1", holder_id="nobody", iban="DE89370400440532013000", currency="EUR", name="x",
                          created_at=clock()))


def test_a_lost_update_is_refused(db, world, clock):
    """Two transactions read the same consent; the second write would overwrite the first."""
    with db.transaction() as s:
        consent_id = Consents(s, clock).create(client_id=world.wallet.client.client_id, kind=ConsentKind.ACCOUNTS,
                                               permissions=["balances"], expires_at=clock.now.replace(year=2027),
                                               actor=OPERATOR).id

    with pytest.raises(ConcurrentUpdate) as refused, db.transaction() as first:
        stale = first.get(Consent, consent_id)
        with db.transaction() as second:
            Consents(second, clock).transition(second.get(Consent, consent_id), ConsentStatus.REJECTED,
                                               actor="holder:alice", reason="denied")
        Consents(first, clock).transition(stale, ConsentStatus.REVOKED, actor="client:x", reason="withdrawn")

    assert refused.value.code == "concurrent_update"
    with db.transaction() as s:
        assert s.get(Consent, consent_id).status == ConsentStatus.REJECTED


def test_database_works_with_a_url_object(tmp_path):
    path = tmp_path / "g.db"
    upgrade(create_database_url_for_sqlite(path))
    database = Database(create_database_url_for_sqlite(path))
    assert database.dialect == "sqlite"
    with database.session() as s:  # the alias of transaction()
        assert s.scalar(text("SELECT count(*) FROM consents")) == 0
    database.dispose()


def _terminate_backend_of(database: Database, admin_url: str) -> None:
    """The server drops the one connection ``database``'s pool holds (as a restart or a firewall would)."""
    pid = _backend_pid(database)
    admin = Database(admin_url)
    try:
        with admin.engine.connect() as connection:
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    finally:
        admin.dispose()


def _backend_pid(database: Database) -> int:
    with database.transaction() as session:
        return session.execute(text("SELECT pg_backend_pid()")).scalar_one()


def test_a_postgresql_connection_dropped_while_idle_in_the_pool_is_replaced_before_use(postgres_server):
    url = postgres_server.url(postgres_server.create_database())
    database = Database(url, ping_after_idle_seconds=0)  # every connection counts as idle: pinged
    try:
        dropped = _backend_pid(database)
        _terminate_backend_of(database, url)
        assert _backend_pid(database) != dropped  # no error: the ping found it gone, the pool reconnected
    finally:
        database.dispose()


def test_a_postgresql_connection_back_from_work_a_moment_ago_is_not_pinged(postgres_server):
    """No ping, so a connection dropped in between fails its statement once; the pool is then
    replaced and the next transaction works."""
    url = postgres_server.url(postgres_server.create_database())
    database = Database(url, ping_after_idle_seconds=3600)
    try:
        dropped = _backend_pid(database)
        _terminate_backend_of(database, url)
        with pytest.raises(OperationalError):
            _backend_pid(database)
        assert _backend_pid(database) != dropped
    finally:
        database.dispose()
