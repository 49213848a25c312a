"""Canonical model ↔ plain JSON data, driven by the dataclasses' type hints.

Money stays exact: amounts travel as strings ("12.50"), never as JSON numbers
that a client might turn into floats.  Decoding errors name the field."""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from functools import lru_cache

from gateway.domain.errors import InvalidInput
from gateway.domain.findings import Finding

_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def to_data(obj: object) -> object:
    """A JSON-ready structure; empty values are left out to keep documents readable."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = {}
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if value is None or value == ():
                continue
            out[f.name] = to_data(value)
        return out
    if isinstance(obj, (tuple, list)):
        return [to_data(v) for v in obj]
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, Decimal):
        return format(obj, "f")
    if isinstance(obj, (date, datetime)):
        return obj.isoformat()
    return obj


@lru_cache(maxsize=None)
def _hints(cls: type) -> dict[str, object]:
    return typing.get_type_hints(cls)


def _bad(location: tuple, message: str, value: object = None) -> InvalidInput:
    finding = Finding(rule="json.type", reason="FF01", message=message, location=location,
                      value=None if value is None else str(value)[:200])
    return InvalidInput(f"{'.'.join(map(str, location)) or 'document'}: {message}", [finding], code="invalid_json")


def from_data(cls: object, data: object, location: tuple = ()) -> object:
    """Build ``cls`` from JSON data; raises InvalidInput naming the field on bad input."""
    origin = typing.get_origin(cls)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(cls) if a is not type(None)]
        if data is None:
            return None
        return from_data(options[0], data, location)
    if origin is tuple:
        if not isinstance(data, list):
            raise _bad(location, "expected a list", data)
        item = typing.get_args(cls)[0]
        return tuple(from_data(item, v, location + (i,)) for i, v in enumerate(data))
    if isinstance(cls, type) and dataclasses.is_dataclass(cls):
        return _dataclass(cls, data, location)
    return _scalar(cls, data, location)


def _dataclass(cls: type, data: object, location: tuple) -> object:
    if not isinstance(data, dict):
        raise _bad(location, f"expected an object ({cls.__name__})", data)
    hints = _hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise _bad(location + (unknown[0],), f"{cls.__name__} has no field {unknown[0]!r}")
    kwargs = {}
    for name, f in fields.items():
        if name in data:
            kwargs[name] = from_data(hints[name], data[name], location + (name,))
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise _bad(location + (name,), "is required")
    return cls(**kwargs)


def _scalar(cls: object, data: object, location: tuple) -> object:
    try:
        if cls is Decimal:
            if isinstance(data, bool) or not isinstance(data, (str, int)):
                raise _bad(location, "amounts are strings like \"12.50\" (never floats)", data)
            if isinstance(data, str) and not _PLAIN_DECIMAL.fullmatch(data):
                raise _bad(location, "amounts are plain decimals like \"12.50\" (no exponent, spaces or commas)", data)
            value = Decimal(data)
            if not value.is_finite():
                raise _bad(location, "not a finite decimal", data)
            return value
        if cls is datetime:
            return datetime.fromisoformat(_string(data, location))
        if cls is date:
            return date.fromisoformat(_string(data, location))
        if cls is bool:
            if not isinstance(data, bool):
                raise _bad(location, "expected true or false", data)
            return data
        if cls is int:
            if isinstance(data, bool) or not isinstance(data, int):
                raise _bad(location, "expected a whole number", data)
            return data
        if isinstance(cls, type) and issubclass(cls, Enum):
            return cls(data)
        if cls is str:
            return _string(data, location)
    except (ValueError, InvalidOperation) as exc:
        raise _bad(location, f"not a valid {getattr(cls, '__name__', cls)}", data) from exc
    return data


def _string(data: object, location: tuple) -> str:
    if not isinstance(data, str):
        raise _bad(location, "expected a string", data)
    return data
