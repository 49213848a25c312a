"""Generates the Python code that reads a message family into the canonical model.

One reader serves every version of a family: the file's own version's rules come
first (priority 0), the other versions' rules are fall-backs, so that a file
using an older version's element shapes under a newer namespace still reads —
and each fall-back that was needed is reported as a deviation.  Element order is
not enforced (that is the XSD's job in ``validate``).
"""

from __future__ import annotations

import dataclasses
import typing
from enum import Enum
from typing import Callable

from gateway.mapping import values
from gateway.mapping.codegen import Source, compile_source
from gateway.mapping.context import ReadContext
from gateway.mapping.spec import MappingSpec
from gateway.mapping.tree import Candidate, Node, merged_tree


def _var(candidate: Candidate) -> str:
    return f"f_{candidate.rule.field}_{candidate.priority}"


def _candidates(specs: list[MappingSpec], type_name: str) -> list[Candidate]:
    seen: set[tuple] = set()
    out: list[Candidate] = []
    for priority, spec in enumerate(specs):
        type_spec = spec.types.get(type_name)
        for rule in type_spec.rules if type_spec else ():
            key = (rule.path, rule.field, rule.kind, rule.repeated)
            if key not in seen:
                seen.add(key)
                origin = f"{'/'.join(rule.path) or '.'} ({spec.message})"
                out.append(Candidate(rule, priority, origin))
    return out


class _ReaderBuilder:
    def __init__(self, namespace: str) -> None:
        self.src = Source()
        self.ns = "{%s}" % namespace if namespace else ""

    def tag(self, local: str) -> str:
        return repr(self.ns + local)

    def read_value(self, candidate: Candidate, text_expr: str, el: str) -> None:
        rule, var = candidate.rule, _var(candidate)
        src = self.src
        src(f"v = {text_expr}")
        with src.block("if v is not None:"):
            src("v = v.strip() or None")
            if rule.kind != "str":
                # try/except costs nothing until a value is bad (Python 3.11 exceptions).
                with src.block("if v is not None:"):
                    with src.block("try:"):
                        src(f"v = read_{rule.kind}(v)")
                    with src.block("except (ValueError, ArithmeticError):"):
                        src(f"ctx.bad_value({el}, v, {rule.kind!r})")
                        src("v = None")
            if rule.repeated:
                with src.block("if v is not None:"):
                    src(f"{var}.append(v)")
            else:
                src(f"{var} = v")

    def node_body(self, node: Node, el: str, depth: int) -> None:
        for attr in node.attributes:
            for candidate in attr.rules:
                self.read_value(candidate, f"{el}.get({attr.tag[1:]!r})", el)
        for candidate in node.rules:
            rule = candidate.rule
            if rule.is_type:
                call = f"r_{rule.kind}({el}, ctx)"
                self.src(f"{_var(candidate)}.append({call})" if rule.repeated else f"{_var(candidate)} = {call}")
            else:
                self.read_value(candidate, f"{el}.text", el)
        elements = node.elements
        if not elements:
            return
        child, tag = f"c{depth}", f"t{depth}"
        with self.src.block(f"for {child} in {el}:"):
            self.src(f"{tag} = {child}.tag")
            keyword = "if"
            for sub in elements:
                with self.src.block(f"{keyword} {tag} == {self.tag(sub.tag)}:"):
                    self.node_body(sub, child, depth + 1)
                keyword = "elif"

    def pick(self, type_name: str, field_name: str, candidates: list[Candidate]) -> str:
        """Emit the choice between versions' rules for one field; returns the variable holding it."""
        ordered = sorted(candidates, key=lambda c: c.priority)
        first = _var(ordered[0])
        if len(ordered) == 1:
            return first
        result = f"p_{field_name}"
        self.src(f"{result} = {first}")
        for candidate in ordered[1:]:
            with self.src.block(f"if not {result} and {_var(candidate)}:" if candidate.rule.repeated
                                else f"if {result} is None and {_var(candidate)} is not None:"):
                self.src(f"{result} = {_var(candidate)}")
                self.src(f"ctx.foreign(e, {type_name + '.' + field_name!r}, {candidate.origin!r})")
        return result

    def type_function(self, type_name: str, model: type, candidates: list[Candidate], defaults: dict,
                      prefix: str = "r") -> None:
        src = self.src
        with src.block(f"def {prefix}_{type_name}(e, ctx):"):
            variables = {_var(c): c.rule.repeated for c in candidates}
            for var, repeated in variables.items():
                src(f"{var} = {'[]' if repeated else 'None'}")
            self.node_body(merged_tree(candidates), "e", 1)
            by_field: dict[str, list[Candidate]] = {}
            for c in candidates:
                by_field.setdefault(c.rule.field, []).append(c)
            args = []
            for field in dataclasses.fields(model):
                if field.name in by_field:
                    var = self.pick(type_name, field.name, by_field[field.name])
                    repeated = by_field[field.name][0].rule.repeated
                    args.append(f"{field.name}=tuple({var})" if repeated else f"{field.name}={var}")
                elif field.name in defaults:
                    args.append(f"{field.name}=DEFAULTS[{field.name!r}]")
                elif field.default is not dataclasses.MISSING:
                    args.append(f"{field.name}={field.default!r}")
                elif field.default_factory is not dataclasses.MISSING:
                    args.append(f"{field.name}={field.default_factory()!r}")
                else:
                    args.append(f"{field.name}=None")
            # Frozen dataclasses set each field through object.__setattr__; the slot
            # descriptors do the same job in a third of the time on the hot path.
            src(f"o = new({model.__name__})")
            for arg in args:
                name, _, value = arg.partition("=")
                src(f"set_{model.__name__}_{name}(o, {value})")
            src("return o")
        src("")


def _typed_defaults(model: type, defaults: dict) -> dict:
    hints = typing.get_type_hints(model)
    out = {}
    for name, value in defaults.items():
        hint = hints.get(name)
        out[name] = hint(value) if isinstance(hint, type) and issubclass(hint, Enum) else value
    return out


STREAMED = ("Statement", "Entry")
"""Types a streaming read hands out one by one; header readers leave them out."""


@dataclasses.dataclass(frozen=True)
class Reader:
    """Generated readers of one family under one namespace: ``types['Entry'](element, ctx)``.

    ``heads`` read a type without its streamed children (a statement without its
    entries, a report without its statements): a streaming parser reads ahead,
    so the tree may already hold entries that are not to be read yet."""

    root_type: str
    types: dict[str, Callable[[object, ReadContext], object]]
    heads: dict[str, Callable[[object, ReadContext], object]]
    source: str

    def read(self, element, ctx: ReadContext):
        return self.types[self.root_type](element, ctx)


def compile_reader(specs: list[MappingSpec], namespace: str) -> Reader:
    """``specs[0]`` is the version the file claims (or the best guess); the rest are fall-backs."""
    own = specs[0]
    builder = _ReaderBuilder(namespace)
    env: dict = {"new": object.__new__, "DEFAULTS": {}}
    names = list(dict.fromkeys(name for spec in specs for name in spec.types))
    heads: list[str] = []
    for name in names:
        model = next(s.types[name].model for s in specs if name in s.types)
        env[model.__name__] = model
        for field in dataclasses.fields(model):
            env[f"set_{model.__name__}_{field.name}"] = getattr(model, field.name).__set__
        defaults = own.defaults if name == own.model else {}
        if defaults:
            env["DEFAULTS"] = _typed_defaults(model, defaults)
        candidates = _candidates(specs, name)
        builder.type_function(name, model, candidates, defaults)
        head = [c for c in candidates if c.rule.kind not in STREAMED]
        if len(head) < len(candidates):
            builder.type_function(name, model, head, defaults, prefix="h")
            heads.append(name)
    for kind, reader in values.READERS.items():
        env[f"read_{kind}"] = reader
    source = builder.src.text()
    compile_source(source, f"<reader {own.message.family} {namespace or 'no namespace'}>", env)
    return Reader(own.model, {name: env[f"r_{name}"] for name in names},
                  {name: env[f"h_{name}"] for name in heads}, source)
