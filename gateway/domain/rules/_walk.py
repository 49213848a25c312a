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


def walk(node: object, location: Location = ()) -> Iterator[tuple[Location, object]]:
    """Yield ``(location, value)`` for ``node`` and everything below it, depth first, in field order."""
    yield location, node
    if is_dataclass(node) and not isinstance(node, type):
        for f in fields(node):
            yield from walk(getattr(node, f.name), location + (f.name,))
    elif isinstance(node, tuple):
        for index, item in enumerate(node):
            yield from walk(item, location + (index,))


def strings(node: object, location: Location = ()) -> Iterator[tuple[Location, str]]:
    """Every string field below ``node`` (names, ids, address lines, remittance, codes)."""
    for where, value in walk(node, location):
        if isinstance(value, str):
            yield where, value
