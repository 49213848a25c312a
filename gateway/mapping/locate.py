"""Canonical locations ↔ XPaths.

Rules report where a problem is in the canonical model (``("payment_informations",
0, "transactions", 1, "creditor_account", "iban")``); the mapping knows where
that field sits in a given message version, which gives the XPath a user sees
(``/Document/CstmrCdtTrfInitn/PmtInf[1]/CdtTrfTxInf[2]/CdtrAcct/Id/IBAN``)."""

from __future__ import annotations

from gateway.mapping.spec import MappingSpec, Rule


class Locator:
    """XPaths for one message version; ``others`` (the family's other versions) add
    the shapes a leniently read file may use instead."""

    def __init__(self, spec: MappingSpec, others: tuple[MappingSpec, ...] = ()) -> None:
        self.spec = spec
        self.repeated = spec.repeated_tags()
        # A field's first place is where the writer puts it; read-only shapes and
        # other versions' shapes follow, for files that deviate.
        self._rules: dict[str, dict[str, list[Rule]]] = {}
        for source in (spec, *others):
            for name, type_spec in source.types.items():
                by_field = self._rules.setdefault(name, {})
                for rule in sorted(type_spec.rules, key=lambda r: r.read_only):
                    known = by_field.setdefault(rule.field, [])
                    if all(r.path != rule.path for r in known):
                        known.append(rule)

    def xpaths(self, location: tuple[str | int, ...]) -> list[str]:
        """Every XPath the field may sit at (one per shape the mapping reads), written shape first."""
        paths: list[tuple[list[str], str | None]] = [(["", "Document", self.spec.document], self.spec.model)]
        items = list(location)
        while items:
            name = items.pop(0)
            index = items.pop(0) if items and isinstance(items[0], int) else None
            grown = []
            for parts, type_name in paths:
                if type_name is None or not isinstance(name, str):
                    continue
                for rule in self._rules[type_name].get(name, ()):
                    steps = list(rule.path)
                    if rule.repeated and index is not None and steps:
                        steps[-1] = f"{steps[-1]}[{index + 1}]"
                    grown.append((parts + steps, rule.kind if rule.is_type else None))
            paths = grown
        return ["/".join(parts) for parts, _ in paths]

    def xpath(self, location: tuple[str | int, ...], exists=None) -> str | None:
        """The XPath of a canonical location (None when the message does not carry the
        field); with ``exists``, the first shape actually present in the document."""
        candidates = self.xpaths(location)
        if exists is not None:
            present = next((c for c in candidates if exists(c)), None)
            if present:
                return present
        return candidates[0] if candidates else None


def local_xpath(xpath: str) -> str:
    """The same path for lxml, whatever namespace the document uses."""
    steps = []
    for step in xpath.strip("/").split("/"):
        if step.startswith("@"):
            steps.append(step)
            continue
        name, _, position = step.partition("[")
        steps.append(f"*[local-name()='{name}']" + (f"[{position}" if position else ""))
    return "/" + "/".join(steps)


def element_xpath(element, repeated: frozenset[str]) -> str:
    """A readable XPath of an lxml element: local names, and a position on repeated
    elements (PmtInf[1]) or wherever siblings share the name."""
    steps = []
    node = element
    while node is not None:
        tag = node.tag
        local = tag.rpartition("}")[2] if isinstance(tag, str) else "node()"
        parent = node.getparent()
        step = local
        if parent is not None:
            same = [c for c in parent if c.tag == tag]
            if local in repeated or len(same) > 1:
                step = f"{local}[{same.index(node) + 1}]"
        steps.append(step)
        node = parent
    return "/" + "/".join(reversed(steps))
