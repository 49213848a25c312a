"""Column types that behave the same on SQLite and PostgreSQL.

* ``UTCDateTime``: aware datetimes in, aware UTC datetimes out.  PostgreSQL has
  ``timestamptz``; SQLite has no time zones and hands back naive values, so the
  type converts to UTC on the way in and re-attaches UTC on the way out.  Naive
  datetimes are refused rather than guessed at.
* ``Amount``: exact decimals.  SQLAlchemy's ``Numeric`` on SQLite goes through a
  float (SQLite has no decimal type), which would corrupt large or fractional
  amounts, so on SQLite the value is stored as its decimal text.  On PostgreSQL
  it is ``NUMERIC(23, 5)``: 18 integer digits, as many as an ISO 20022 amount can
  have (the XSDs allow 18 digits in all), so whatever a valid message carries can
  be stored.  Both sides refuse floats and values that would be rounded, so
  nothing is ever changed silently.  Comparisons and sums are done in
  Python (the SQLite text does not order numerically).
* ``JSONValue``: JSON on SQLite, JSONB on PostgreSQL; Python ``None`` is SQL NULL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import JSON, DateTime, Numeric, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

AMOUNT_PRECISION, AMOUNT_SCALE = 23, 5
SQLITE_AMOUNT_LENGTH = 20
"""The text column's declared length on SQLite since migration 0001; SQLite does not enforce it."""
_QUANTUM = Decimal(1).scaleb(-AMOUNT_SCALE)
_MAX_AMOUNT = Decimal(10) ** (AMOUNT_PRECISION - AMOUNT_SCALE)


def utcnow() -> datetime:
    """The current time, aware, in UTC: the only clock the storage layer uses."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware datetime (UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect: Dialect):
        """On SQLite, the text SQLAlchemy's DATETIME stores (``2026-11-23 09:00:00.000000``) written
        by ``isoformat``: half the time of its %-formatting, and a payment binds seven of them."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def process(value: datetime | None) -> str | None:
            value = self.process_bind_param(value, dialect)
            return None if value is None else value.isoformat(" ", "microseconds")

        return process

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Amount(TypeDecorator[Decimal]):
    """``precision``: a migration that creates a column names the precision of its day."""

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int = AMOUNT_PRECISION) -> None:
        super().__init__(precision, AMOUNT_SCALE, asdecimal=True)
        self.precision = precision

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(SQLITE_AMOUNT_LENGTH))
        return dialect.type_descriptor(self.impl)

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Decimal | str | None:
        if value is None:
            return None
        exact = _exact(value)
        return format(exact, "f") if dialect.name == "sqlite" else exact

    def process_result_value(self, value: object, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(str(value)).quantize(_QUANTUM)


def fits_amount(value: Decimal) -> bool:
    """Whether ``value`` can be stored as an amount exactly (a statement's amount with more
    decimals than any stored payment cannot equal one)."""
    try:
        _exact(value)
    except (ValueError, TypeError):
        return False
    return True


def _exact(value: object) -> Decimal:
    """``value`` with exactly AMOUNT_SCALE decimals, or ValueError if it would be rounded."""
    if isinstance(value, float) or not isinstance(value, (Decimal, int, str)):
        raise TypeError(f"amounts are Decimal, int or str, never {type(value).__name__}")
    try:
        amount = Decimal(value)
        quantized = amount.quantize(_QUANTUM)
    except InvalidOperation as exc:
        raise ValueError(f"{value!r} does not fit NUMERIC({AMOUNT_PRECISION}, {AMOUNT_SCALE})") from exc
    if quantized != amount or abs(quantized) >= _MAX_AMOUNT:
        raise ValueError(f"{value!r} does not fit NUMERIC({AMOUNT_PRECISION}, {AMOUNT_SCALE}) without rounding")
    return quantized


JSONValue = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
