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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import SimpleNamespace
from typing import Any, TypeVar

from sqlalchemy import Insert, Select, Table, bindparam
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError

T = TypeVar("T")


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

        def fetch(cursor: Any) -> tuple[list, Any]:
            cursor.execute(sql, arguments)
            return cursor.fetchall(), cursor.description

        rows, description = self._on_cursor(connection, sql, arguments, fetch)
        processors = self._processors.get(dialect.name) or self._processors_for(dialect, description)
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
        if len(converted) == 1:
            self._on_cursor(connection, sql, converted[0], lambda cursor: cursor.execute(sql, converted[0]))
        else:
            self._on_cursor(connection, sql, converted, lambda cursor: cursor.executemany(sql, converted))

    def _processors_for(self, dialect: Dialect) -> list[tuple[str, Any]]:
        processors = [(name, self.table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
                      for name in self.columns]
        self._processors[dialect.name] = processors
        return processors


def _converted(row: Mapping[str, Any], processors: list[tuple[str, Any]]) -> dict[str, Any]:
    values = {}
    for name, process in processors:
        value = row[name]
        values[name] = value if process is None or value is None else process(value)
    return values
