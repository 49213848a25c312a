"""Canonical locations ↔ XPaths.

Rules report where a problem is in the canonical model (``("payment_informations",
0, "transactions", 1, "creditor_account", "iban")``); the mapping knows where
that field sits in a given message version, which gives the XPath a user sees
(``/Document/CstmrCdtTrfInitn/PmtInf[1]/CdtTrfTxInf[2]/CdtrAcct/Id/IBAN``)."""

from __future__ import annotations

from gateway.mapping.spec import MappingSpec, Rule


class Locator:
    def __init__(self, spec: MappingSpec) -> None:
        self.spec = spec
        self.repeated = spec.repeated_tags()
        self._rules = {name: {r.field: r for r in t.rules} for name, t in spec.types.items()}

    def xpath(self, location: tuple[str | int, ...]) -> str | None:
        """The XPath of a canonical location, or None when the message does not carry the field."""
        parts = ["", "Document", self.spec.document]
        type_name: str | None = self.spec.model
        items = list(location)
        while items:
            name = items.pop(0)
            if type_name is None or not isinstance(name, str):
                return None
            rule: Rule | None = self._rules[type_name].get(name)
            if rule is None:
                return None
            steps = list(rule.path)
            if rule.repeated and items and isinstance(items[0], int):
                index = items.pop(0)
                if steps:
                    steps[-1] = f"{steps[-1]}[{index + 1}]"
            if steps and steps[-1].startswith("@"):
                steps[-1] = "@" + steps[-1][1:]
            parts.extend(steps)
            type_name = rule.kind if rule.is_type else None
        return "/".join(parts)


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
