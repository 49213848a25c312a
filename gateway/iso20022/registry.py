"""Compiled XSDs from the local schema store, by message type.

Compiling an ISO 20022 XSD costs a few milliseconds (more than validating a
small pain.001) and the result is immutable, so each schema is compiled once
per process and shared.  Missing
schemas are a typed error that tells the operator what to run, because a
gateway without its schemas must say so rather than skip validation silently.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

from lxml import etree

from gateway.domain.errors import InvalidInput, SchemaUnavailable
from gateway.domain.messages import MessageType
from gateway.iso20022 import xmlsafe
from gateway.iso20022.schema_store import default_schema_dir, external_references


class SchemaRegistry:
    """The schemas in one folder of ``<message id>.xsd`` files."""

    def __init__(self, schema_dir: Path | str | None = None) -> None:
        self.schema_dir = Path(schema_dir) if schema_dir is not None else default_schema_dir()
        self._compiled: dict[MessageType, etree.XMLSchema] = {}
        self._lock = threading.Lock()

    def path(self, message: MessageType | str) -> Path:
        return self.schema_dir / f"{_message(message)}.xsd"

    def available(self) -> list[MessageType]:
        """Message types whose XSD is in the store, sorted."""
        if not self.schema_dir.is_dir():
            return []
        found = []
        for path in self.schema_dir.glob("*.xsd"):
            try:
                found.append(MessageType.parse(path.stem))
            except ValueError:
                continue  # not named after a message; not ours to serve
        return sorted(found)

    def has(self, message: MessageType | str) -> bool:
        return self.path(message).is_file()

    def schema(self, message: MessageType | str) -> etree.XMLSchema:
        """The compiled schema for ``message``; compiled on first use, then cached."""
        message = _message(message)
        cached = self._compiled.get(message)
        if cached is not None:
            return cached
        with self._lock:  # one compile per message even when threads race
            cached = self._compiled.get(message)
            if cached is None:
                cached = self._compile(message)
                self._compiled[message] = cached
            return cached

    def _compile(self, message: MessageType) -> etree.XMLSchema:
        path = self.path(message)
        if not path.is_file():
            raise SchemaUnavailable(
                f"no XSD for {message} in {self.schema_dir}; run `gateway schemas sync`"
                " (or `gateway schemas sync --from DIR` with the bank's XSDs)"
            )
        try:
            tree = xmlsafe.parse_document(path)
        except InvalidInput as exc:
            raise SchemaUnavailable(f"{path} is not a readable XSD: {exc.message}") from exc
        references = external_references(tree)
        if references:
            raise SchemaUnavailable(f"{path} refers to {', '.join(references)}; only self-contained XSDs are used")
        try:
            return etree.XMLSchema(tree)
        except etree.XMLSchemaParseError as exc:
            raise SchemaUnavailable(f"{path} does not compile as an XSD: {exc}") from exc

    def detect(self, root_element: etree._Element | etree._ElementTree) -> MessageType | None:
        """The message a parsed document claims to be, from its ``Document``
        root's namespace; None for anything that is not an ISO 20022 Document."""
        if isinstance(root_element, etree._ElementTree):
            root_element = root_element.getroot()
        if not isinstance(root_element.tag, str):
            return None
        qname = etree.QName(root_element)
        if qname.localname != "Document":
            return None
        return MessageType.from_namespace(qname.namespace)


def _message(message: MessageType | str) -> MessageType:
    return message if isinstance(message, MessageType) else MessageType.parse(message)


@lru_cache(maxsize=1)
def default_registry() -> SchemaRegistry:
    """The process-wide registry over the default schema dir (``default_registry.cache_clear()`` to reset)."""
    return SchemaRegistry()
