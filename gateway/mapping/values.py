"""Formatting and reading of leaf values: one place that knows the XML lexical forms."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation


def escape_text(value: str) -> str:
    if "&" in value or "<" in value or ">" in value:
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value


def escape_attr(value: str) -> str:
    value = escape_text(value)
    return value.replace('"', "&quot;") if '"' in value else value


def format_decimal(value: Decimal) -> str:
    return format(value, "f")


def format_bool(value: bool) -> str:
    return "true" if value else "false"


FORMATTERS = {
    "str": "escape_text({})",
    "int": "str({})",
    "decimal": "format_decimal({})",
    "date": "{}.isoformat()",
    "datetime": "{}.isoformat()",
    "bool": "format_bool({})",
}


class BadValue(ValueError):
    """A leaf whose text is not of its type; the reader records it and reads on."""


def read_int(text: str) -> int:
    return int(text)


def read_decimal(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise BadValue(text) from exc
    if not value.is_finite():
        raise BadValue(text)
    return value


def read_date(text: str) -> date:
    # xs:date may carry a zone offset ("2026-11-23+01:00"); the calendar day is what counts.
    return date.fromisoformat(text[:10])


def read_datetime(text: str) -> datetime:
    return datetime.fromisoformat(text)


def read_bool(text: str) -> bool:
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise BadValue(text)


READERS = {
    "int": read_int,
    "decimal": read_decimal,
    "date": read_date,
    "datetime": read_datetime,
    "bool": read_bool,
}
