"""Generic walk over the canonical model, yielding every node with its location.

Rules such as "every IBAN in the batch" or "every free-text field" walk the
dataclasses instead of naming fields by hand, so a field added to the model later
is checked without anyone remembering to add it here.  Locations use the
dataclass attribute names and 0-based tuple indexes, exactly as ``Finding.location``
expects.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields, is_dataclass

Location = tuple[str | int, ...]

_NO_FIELDS: tuple[str, ...] = ()
_FIELDS: dict[type, tuple[str, ...]] = {}
"""Field names per type (empty for a type that is not a dataclass): ``fields()`` on every node
was most of the time of a walk, and a batch is walked by several rules on every payment."""


def walk(node: object, location: Location = ()) -> Iterator[tuple[Location, object]]:
    """Yield ``(location, value)`` for ``node`` and everything below it, depth first, in field order."""
    stack = [(location, node)]
    while stack:
        where, value = stack.pop()
        yield where, value
        if isinstance(value, tuple):
            stack.extend((where + (index,), value[index]) for index in range(len(value) - 1, -1, -1))
            continue
        names = _FIELDS.get(type(value))
        if names is None:
            names = _FIELDS[type(value)] = (tuple(f.name for f in fields(value))
                                     if is_dataclass(value) and not isinstance(value, type) else _NO_FIELDS)
        stack.extend((where + (name,), getattr(value, name)) for name in reversed(names))


def strings(node: object, location: Location = ()) -> Iterator[tuple[Location, str]]:
    """Every string field below ``node`` (names, ids, address lines, remittance, codes)."""
    for where, value in walk(node, location):
        if isinstance(value, str):
            yield where, value
