"""The fast validator (jsonschema-rs) never passes a request that ``jsonschema`` refuses.

``SchemaStore.findings`` trusts jsonschema-rs's "valid" and skips ``jsonschema``; were the
two to disagree that way (a regular expression dialect, a format, a keyword read
differently), an invalid request would be accepted.  Here both validators judge the
operation examples changed at random (a field removed, retyped, replaced by a string
built to catch regex and format differences, an unknown field added); ``jsonschema``
is the reference.  The other direction (fast refuses, ``jsonschema`` passes) only costs
time and the request is still judged by ``jsonschema``.
"""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.mapping.operations.catalog import default_catalog
from tests.mapping.test_request_validation import VALID

STORE = default_catalog().schemas

TRAPS = [
    "EUR\n", "12.50\n", "\u0661\u0662.50", "12.5", "12.500", "-1.00", "0.00", " 12.50", "1e3", "",
    "NL20INGB0001234568", "NL20INGB0001234567\n", "nl20ingb0001234567", "NL20 INGB 0001 2345 67",
    "DEUTDEFF", "DEUTDEFF\n", "deutdeff", "DEUTXXFF", "2026-02-30", "2026-2-3", "2026-11-24\n", "20261124",
    "2026-W48-2", "SLEV", "SHAR\n", "XXX", "GDSV", "SALA", "RF18539007547034", "RF18 5390", "SCOR",
    "RF17539007547034", "rf18539007547034", "RF18539007547034 ", "RF18", "NOTPROVIDED", "notprovided",
    "NOTPROVIDED\n",
    "x" * 35, "x" * 36, "x" * 140, "x" * 141, "Ünïcödé & <xml>", "a/b//c", "/lead", "\u00a0", "\t",
]
JSON_LEAF = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                      st.sampled_from(TRAPS), st.text(max_size=40))
JSON = st.recursive(JSON_LEAF, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                    max_leaves=8)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, prefix + (index,))


@st.composite
def changed_request(draw):
    operation = draw(st.sampled_from(sorted(VALID)))
    body = copy.deepcopy(VALID[operation])
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(_paths(body))))
        if not path:
            continue
        parent = body
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "trap", "delete", "add"]))
        if action == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=12))] = draw(JSON_LEAF)
        elif action == "trap":
            parent[path[-1]] = draw(st.sampled_from(TRAPS))
        else:
            parent[path[-1]] = draw(JSON)
    return operation, body


def _jsonschema_errors(operation: str, body: object) -> list:
    return list(STORE.validator(STORE_NAMES[operation]).iter_errors(body))


STORE_NAMES = {operation: default_catalog().spec(operation).name for operation in VALID}


@pytest.mark.parametrize("operation", sorted(VALID))
def test_both_pass_the_examples(operation):
    assert STORE.passes(STORE_NAMES[operation], VALID[operation])
    assert _jsonschema_errors(operation, VALID[operation]) == []


@pytest.mark.parametrize("operation", sorted(VALID))
def test_every_trap_at_every_field(operation):
    """Each trap string in place of each value of the example, one at a time."""
    lenient = []
    for path in _paths(VALID[operation]):
        for trap in TRAPS:
            body = _with(VALID[operation], path, trap)
            if STORE.passes(STORE_NAMES[operation], body) and _jsonschema_errors(operation, body):
                lenient.append((path, trap))
    assert lenient == []


def _with(body: dict, path: tuple, value) -> object:
    if not path:
        return value
    body = copy.deepcopy(body)
    parent = body
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value
    return body


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changed_request())
def test_the_fast_verdict_never_passes_what_jsonschema_refuses(request_):
    operation, body = request_
    if STORE.passes(STORE_NAMES[operation], body):
        assert _jsonschema_errors(operation, body) == [], body
