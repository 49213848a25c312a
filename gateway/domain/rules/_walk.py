"""Generic walk over the canonical model, yielding every node with its location.

Rules such as "every IBAN in the batch" or "every free-text field" walk the
dataclasses instead of naming fields by hand, so a field added to the model later
is checked without anyone remembering to add it here.  Locations use the
dataclass attribute names and 0-based tuple indexes, exactly as ``Finding.location``
expects.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import fields, is_dataclass

Location = tuple[str | int, ...]
Nodes = Iterable[tuple[Location, object]]
"""What ``walk`` yields.  ``check_batch`` walks a batch once into a list and hands it to every rule
that needs all nodes (identifiers, addresses, character set), rather than each rule walking again."""

_NO_FIELDS: tuple[str, ...] = ()
_FIELDS: dict[type, tuple[str, ...]] = {}
"""Field names per type, last first (the order they go on the stack) (empty for a type that is not a dataclass): ``fields()`` on every node
was most of the time of a walk, and a batch is walked by several rules on every payment."""


def walk(node: object, location: Location = ()) -> Iterator[tuple[Location, object]]:
    """Yield ``(location, value)`` for ``node`` and everything below it, depth first, in field order.

    Fields that are None are skipped: an absent field has nothing to check, and in a payment
    most optional fields are absent (49 of 86 nodes of a one-payment batch)."""
    stack = [(location, node)]
    while stack:
        where, value = stack.pop()
        yield where, value
        if isinstance(value, tuple):
            stack.extend((where + (index,), value[index]) for index in range(len(value) - 1, -1, -1)
                         if value[index] is not None)
            continue
        names = _FIELDS.get(type(value))
        if names is None:
            names = _FIELDS[type(value)] = (tuple(reversed([f.name for f in fields(value)]))
                                     if is_dataclass(value) and not isinstance(value, type) else _NO_FIELDS)
        for name in names:
            child = getattr(value, name)
            if child is not None:
                stack.append((where + (name,), child))


def strings(nodes: Nodes) -> Iterator[tuple[Location, str]]:
    """Every string field among ``nodes`` (names, ids, address lines, remittance, codes)."""
    for where, value in nodes:
        if isinstance(value, str):
            yield where, value
