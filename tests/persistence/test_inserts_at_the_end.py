"""inserts_at_the_end: prepared INSERTs inside the block run together when it ends, so a request
holds SQLite's write lock for its inserts and its commit only; a prepared read inside sees them;
an error inside writes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from gateway.persistence.db import Database
from gateway.persistence.models import AuditEvent
from gateway.persistence.prepared import PreparedInsert, PreparedRead, inserts_at_the_end
from gateway.persistence.types import utcnow

EVENTS = AuditEvent.__table__
INSERT = PreparedInsert(EVENTS, ["at", "actor", "action", "subject_type", "subject_id", "reason", "details"])
COUNT = PreparedRead(select(func.count()).select_from(EVENTS))


def event(number: int) -> dict:
    return {"at": utcnow(), "actor": "system", "action": "test.queued", "subject_type": "test",
            "subject_id": str(number), "reason": None, "details": None}


def counted(connection) -> int:
    """Through SQLAlchemy, not a prepared read: what the database holds, queue aside."""
    return connection.execute(select(func.count()).select_from(EVENTS)).scalar_one()


def test_the_inserts_run_in_order_when_the_block_ends(db):
    with db.engine.connect() as connection, connection.begin():
        with inserts_at_the_end(connection):
            INSERT.execute(connection, [event(1)])
            INSERT.execute(connection, [event(2), event(3)])
            assert counted(connection) == 0
        assert counted(connection) == 3
        ids = connection.execute(select(EVENTS.c.subject_id).order_by(EVENTS.c.id)).scalars().all()
        assert ids == ["1", "2", "3"]


def test_a_prepared_read_inside_sees_what_the_block_inserted(db):
    with db.engine.connect() as connection, connection.begin():
        with inserts_at_the_end(connection):
            INSERT.execute(connection, [event(1)])
            assert COUNT.rows(connection, {}) == [(1,)]


def test_an_error_inside_writes_nothing_and_leaves_the_connection_as_it_was(db):
    with db.engine.connect() as connection, connection.begin():
        with pytest.raises(RuntimeError), inserts_at_the_end(connection):
            INSERT.execute(connection, [event(1)])
            raise RuntimeError("refused")
        assert counted(connection) == 0
        INSERT.execute(connection, [event(2)])  # outside a block: at once
        assert counted(connection) == 1


def test_sqlite_write_lock_is_free_until_the_block_ends(tmp_path):
    """The point of the block: another writer is not locked out while the request still works
    (a table of its own: the lock is SQLite's, PostgreSQL locks rows)."""
    engine = create_engine(f"sqlite:///{tmp_path}/lock.db")
    table = Table("rows", MetaData(), Column("n", Integer))
    table.create(engine)
    insert = PreparedInsert(table, ["n"])
    try:
        with engine.connect() as connection, connection.begin():
            with inserts_at_the_end(connection):
                insert.execute(connection, [{"n": 1}])
                with engine.connect() as other:
                    other.exec_driver_sql("PRAGMA busy_timeout = 0")
                    other.exec_driver_sql("BEGIN IMMEDIATE")  # 'database is locked' had the insert run
                    other.exec_driver_sql("ROLLBACK")
            with engine.connect() as other, pytest.raises(OperationalError, match="locked"):
                other.exec_driver_sql("PRAGMA busy_timeout = 0")
                other.exec_driver_sql("BEGIN IMMEDIATE")
    finally:
        engine.dispose()


def test_a_refused_insert_fails_the_block_as_integrity_error_and_nothing_of_it_is_written(db):
    """On PostgreSQL the block's inserts go in one pipeline: the second statement's unique key
    fails it at the end, and the error is SQLAlchemy's, as it is for a statement run alone."""
    table = Table("unique_rows", MetaData(), Column("n", Integer, unique=True))
    table.create(db.engine)
    insert = PreparedInsert(table, ["n"])
    with db.engine.connect() as connection:
        with pytest.raises(IntegrityError), connection.begin(), inserts_at_the_end(connection):
            INSERT.execute(connection, [event(1)])
            insert.execute(connection, [{"n": 1}])
            insert.execute(connection, [{"n": 1}])
        assert counted(connection) == 0
        assert connection.execute(select(func.count()).select_from(table)).scalar_one() == 0


def test_on_postgresql_the_inserts_of_a_block_travel_in_one_pipeline(postgres_server, monkeypatch):
    database = Database(postgres_server.url(postgres_server.create_database()))
    table = Table("rows", MetaData(), Column("n", Integer))
    table.create(database.engine)
    insert, entered = PreparedInsert(table, ["n"]), []
    try:
        with database.engine.connect() as connection, connection.begin():
            dbapi_connection = connection.connection.dbapi_connection
            pipeline = dbapi_connection.pipeline
            monkeypatch.setattr(dbapi_connection, "pipeline", lambda: entered.append(1) or pipeline())
            with inserts_at_the_end(connection):
                insert.execute(connection, [{"n": 1}])
                insert.execute(connection, [{"n": 2}, {"n": 3}])
            assert entered == [1]
            assert connection.execute(select(table.c.n).order_by(table.c.n)).scalars().all() == [1, 2, 3]
    finally:
        database.dispose()
