"""Turns a type's flat rule list into the element tree it describes.

A tree's root stands for the type's own element: rules with an empty path are its
text, and children whose tag starts with ``@`` are attributes of their parent."""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.mapping.spec import Rule


@dataclass(frozen=True, slots=True)
class Candidate:
    """A rule as one of several ways to read a field; priority 0 is the file's own version."""

    rule: Rule
    priority: int
    origin: str


@dataclass(slots=True)
class Node:
    tag: str
    children: list["Node"] = field(default_factory=list)
    rules: list = field(default_factory=list)

    def child(self, tag: str) -> "Node | None":
        return next((c for c in self.children if c.tag == tag), None)

    @property
    def attributes(self) -> list["Node"]:
        return [c for c in self.children if c.tag.startswith("@")]

    @property
    def elements(self) -> list["Node"]:
        return [c for c in self.children if not c.tag.startswith("@")]


def ordered_tree(rules: tuple[Rule, ...]) -> Node:
    """Document-order tree for writing: consecutive rules sharing a prefix share its
    elements.  A repeated rule always opens its own element, so that each item of
    the list becomes one element."""
    root = Node("")
    for rule in rules:
        node = root
        for depth, tag in enumerate(rule.path):
            last = depth == len(rule.path) - 1
            prev = node.children[-1] if node.children else None
            shareable = prev is not None and prev.tag == tag and not any(r.repeated for r in prev.rules)
            if shareable and not (last and rule.repeated):
                node = prev
            else:
                node.children.append(Node(tag))
                node = node.children[-1]
        node.rules.append(rule)
    return root


def merged_tree(candidates: list[Candidate]) -> Node:
    """Order-free tree for reading: every path naming the same element shares it,
    whatever version's rule it came from (lenient reading of deviating files)."""
    root = Node("")
    for candidate in candidates:
        node = root
        for tag in candidate.rule.path:
            found = node.child(tag)
            if found is None:
                found = Node(tag)
                node.children.append(found)
            node = found
        node.rules.append(candidate)
    return root
