"""Statements on the hot paths, compiled once per dialect and run on the DBAPI connection.

Why: on a call that does little else, most of the time went to SQLAlchemy's per-execution
work (cache key, execution context, result metadata from the cursor description, which on
psycopg builds an object per column on every call), not to the database; bench/service.py
and bench/operations.py measure it.  A prepared statement skips that work and keeps what
matters: values are converted by the columns' own SQLAlchemy types (the bind and result
processors SQLAlchemy would apply), it runs on the connection (and in the transaction) of
the ``Connection`` it is given, DBAPI errors come out as SQLAlchemy's (``IntegrityError``
for a unique key), and a lost connection is invalidated, as SQLAlchemy would do.

* :class:`PreparedRead`: a SELECT whose parameters are plain values; rows as tuples.
* :class:`PreparedInsert`: an INSERT of given columns, one row or many (executemany).
* :class:`NewRow`: what a repository hands back for a row it inserted that way.
* :func:`inserts_at_the_end`: the inserts of a block run together when it ends (on PostgreSQL
  in one pipeline: one round trip).
* :func:`connection_of`: a session's connection, looked up once per transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any, TypeVar

from sqlalchemy import Insert, Select, Table, bindparam
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

T = TypeVar("T")
_QUEUE = "gateway.inserts_at_the_end"
_CONNECTION = "gateway.connection"


def connection_of(session: Session) -> Connection:
    """``session.connection()``, remembered for the session's current transaction: SQLAlchemy's
    lookup takes about 2 us, and a request that moves money asked for it nine times.  A session
    closes its connection when the transaction ends, so a closed one means: look again."""
    known = session.info.get(_CONNECTION)
    if known is None or known.closed:
        known = session.info[_CONNECTION] = session.connection()
    return known


class _Prepared:
    def __init__(self, statement: Select | Insert) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[str, tuple[str, ...] | None]] = {}

    def _sql(self, dialect: Dialect) -> tuple[str, tuple[str, ...] | None]:
        """The SQL text and, for a positional paramstyle, the order of the parameters."""
        known = self._compiled.get(dialect.name)
        if known is None:
            compiled = self.statement.compile(dialect=dialect)
            positions = tuple(compiled.positiontup) if dialect.positional else None
            known = self._compiled[dialect.name] = (str(compiled), positions)
        return known

    @staticmethod
    def _arguments(parameters: Mapping[str, Any], positions: tuple[str, ...] | None) -> Any:
        return tuple(parameters[name] for name in positions) if positions is not None else parameters

    @staticmethod
    def _on_cursor(connection: Connection, sql: str, arguments: Any, work: Callable[[Any], T]) -> T:
        dialect = connection.dialect
        dbapi_connection = connection.connection.dbapi_connection
        cursor = None
        try:
            cursor = dbapi_connection.cursor()
            return work(cursor)
        except dialect.loaded_dbapi.Error as exc:
            lost = dialect.is_disconnect(exc, dbapi_connection, cursor)
            if lost:
                connection.invalidate(exc)
            raise DBAPIError.instance(sql, arguments, exc, dialect.loaded_dbapi.Error,
                                      connection_invalidated=lost, dialect=dialect) from exc
        finally:
            if cursor is not None:
                cursor.close()


class PreparedRead(_Prepared):
    """A SELECT whose parameters need no conversion (strings, numbers)."""

    def __init__(self, statement: Select) -> None:
        super().__init__(statement)
        self._processors: dict[str, list] = {}

    def rows(self, connection: Connection, parameters: Mapping[str, Any]) -> list[tuple]:
        dialect = connection.dialect
        sql, positions = self._sql(dialect)
        arguments = self._arguments(parameters, positions)

        processors = self._processors.get(dialect.name)

        def fetch(cursor: Any) -> list:
            nonlocal processors
            cursor.execute(sql, arguments)
            if processors is None:  # psycopg builds an object per column each time it is asked
                processors = self._processors_for(dialect, cursor.description)
            return cursor.fetchall()

        _run_queued(connection)  # a read inside inserts_at_the_end sees what the block inserted
        rows = self._on_cursor(connection, sql, arguments, fetch)
        return [tuple(value if process is None or value is None else process(value)
                      for value, process in zip(row, processors)) for row in rows]

    def _processors_for(self, dialect: Dialect, description: Any) -> list:
        processors = [column.type.dialect_impl(dialect).result_processor(dialect, described[1])
                      for column, described in zip(self.statement.selected_columns, description)]
        self._processors[dialect.name] = processors
        return processors


class NewRow(SimpleNamespace):
    """A row as just inserted, its column values as attributes (as the mapped class has them), for
    the answer to the request that made it.  Not a mapped object: building one sets every column
    through SQLAlchemy's instrumentation (46 us for a payment, half a second for a 10,000-payment
    payout) only to be read once.  To change the row, read it through the session."""


class PreparedInsert(_Prepared):
    """``INSERT INTO table (columns) VALUES (...)``: every row gives every column (no defaults are
    applied here; a missing value is a KeyError, not a silent NULL)."""

    def __init__(self, table: Table, columns: Sequence[str]) -> None:
        # inline(): no implicit RETURNING of the primary key on PostgreSQL (nobody reads it here).
        super().__init__(table.insert().inline().values({name: bindparam(name) for name in columns}))
        self.table, self.columns = table, tuple(columns)
        self._processors: dict[str, list[tuple[str, Any]]] = {}

    def execute(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        dialect = connection.dialect
        sql, positions = self._sql(dialect)
        processors = self._processors.get(dialect.name) or self._processors_for(dialect)
        converted = [self._arguments(_converted(row, processors), positions) for row in rows]
        queue = connection.info.get(_QUEUE)
        if queue is not None:
            queue.append((sql, converted))
        else:
            _insert(connection, sql, converted)

    def _processors_for(self, dialect: Dialect) -> list[tuple[str, Any]]:
        processors = [(name, self.table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
                      for name in self.columns]
        self._processors[dialect.name] = processors
        return processors


def _insert(connection: Connection, sql: str, converted: list) -> None:
    _Prepared._on_cursor(connection, sql, converted, lambda cursor: _send(cursor, sql, converted))


def _send(cursor: Any, sql: str, converted: list) -> None:
    if len(converted) == 1:
        cursor.execute(sql, converted[0])
    else:
        cursor.executemany(sql, converted)


@contextmanager
def inserts_at_the_end(connection: Connection) -> Iterator[None]:
    """The prepared INSERTs made on ``connection`` inside the block are converted at once and run,
    in order, when it ends without an error (a prepared read inside runs them first).

    Why: on SQLite a transaction holds the one write lock from its first write to its commit.
    A request that wrote early held it while it built the rest of its rows and its answer, and
    the other worker, finding it taken, slept in SQLite's busy handler (1 ms at the least).
    Writing at the end keeps the lock for the inserts and the commit only: accepted ``pay``
    requests per second went up by about a sixth under load (bench.operations).  Statements
    run through SQLAlchemy inside the block do not see the queued rows; the block is for the
    end of a unit of work, when its reads are done."""
    if _QUEUE in connection.info:  # already inside one: its end runs everything
        yield
        return
    connection.info[_QUEUE] = []
    try:
        yield
        _run_queued(connection)
    finally:
        connection.info.pop(_QUEUE, None)


def _run_queued(connection: Connection) -> None:
    queue = connection.info.get(_QUEUE)
    if not queue:
        return
    batch = queue[:]
    queue.clear()
    if len(batch) > 1 and hasattr(connection.connection.dbapi_connection, "pipeline"):
        _pipelined(connection, batch)
    else:
        for sql, converted in batch:
            _insert(connection, sql, converted)


def _pipelined(connection: Connection, batch: list[tuple[str, list]]) -> None:
    """The batch's INSERTs sent together and their results read once (psycopg's pipeline mode).

    Why: on PostgreSQL each statement is a round trip, and on this machine a round trip costs
    about 50 us of the worker's CPU and as much of the server's, more than the INSERT itself;
    an accepted ``pay`` made six of them.  A failing INSERT (a unique key) fails the batch at
    its end, as SQLAlchemy's IntegrityError, and the transaction is rolled back as before."""
    statements = "; ".join(sql for sql, _ in batch)

    def send(cursor: Any) -> None:
        with cursor.connection.pipeline():
            for sql, converted in batch:
                _send(cursor, sql, converted)

    _Prepared._on_cursor(connection, statements, [converted for _, converted in batch], send)


def _converted(row: Mapping[str, Any], processors: list[tuple[str, Any]]) -> dict[str, Any]:
    values = {}
    for name, process in processors:
        value = row[name]
        values[name] = value if process is None or value is None else process(value)
    return values
