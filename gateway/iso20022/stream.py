"""Streaming read of account reports (camt.052/053/054) in constant memory.

A statement can be gigabytes.  The stream hands out each entry as soon as its
``</Ntry>`` is read and then drops the element; the report header and each
statement's header (account, balances, summary — all of which the XSD places
before the entries) are read when the first entry of the statement starts.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterator

from gateway.domain.errors import InvalidInput, UnsupportedMessage
from gateway.domain.findings import Finding, Severity
from gateway.domain.messages import ROOT_ELEMENTS, MessageType
from gateway.domain.statements import Entry, Report, Statement
from gateway.iso20022 import xmlsafe
from gateway.iso20022.identify import local_name, namespace_of, sniff_message
from gateway.iso20022.parse import schema_note
from gateway.iso20022.registry import default_registry
from gateway.mapping import default_mappings
from gateway.mapping.context import ReadContext
from gateway.mapping.locate import element_xpath

REPORT_FAMILIES = ("camt.052", "camt.053", "camt.054")
CONTAINERS = ("Stmt", "Ntfctn", "Rpt")
MAX_STREAM_BYTES = 64 * 1024 ** 3
"""Streaming reads keep memory flat, so the size cap is far above the in-memory one."""


class ReportStream:
    """Iterate ``(statement header, entry)`` pairs of a camt.052/053/054 document.

    After (or during) iteration: ``report`` is the report header, ``statements``
    the headers of every statement seen (with ``entries=()``, in order, empty
    statements included), ``findings`` what the read noticed; with
    ``schema_validation`` the XSD is checked in the same pass and the first
    schema error ends the stream with ``InvalidInput``."""

    def __init__(self, source, *, schema_validation: bool = False, max_bytes: int = MAX_STREAM_BYTES) -> None:
        self.source = source
        self.schema_validation = schema_validation
        self.max_bytes = max_bytes
        self.message: MessageType | None = None
        self.family: str | None = None
        self.report: Report | None = None
        self.statements: list[Statement] = []
        self.findings: list[Finding] = []
        self._ctx = ReadContext(xpath_of=self._xpath)
        self._repeated: frozenset[str] = frozenset()
        self._entry_index = -1
        self._statement_position = 1

    def _schema(self):
        """The XSD to validate against in the same pass, picked from the first bytes."""
        if not self.schema_validation:
            return None
        self.message = sniff_message(self._head())
        self.findings += schema_note(self.message)
        if self.message is not None and default_registry().has(self.message):
            return default_registry().schema(self.message)
        return None

    def _head(self) -> bytes:
        source = self.source
        if isinstance(source, (bytes, bytearray, memoryview)):
            return bytes(source[:xmlsafe.HEAD_BYTES])
        if hasattr(source, "read"):
            if not (hasattr(source, "seekable") and source.seekable()):
                return b""  # cannot look ahead in a pipe: read without the XSD (warned)
            position = source.tell()
            head = source.read(xmlsafe.HEAD_BYTES)
            source.seek(position)
            return head
        with open(source, "rb") as handle:
            return handle.read(xmlsafe.HEAD_BYTES)

    def _start(self, container) -> dict:
        """The first container tells the namespace and family: compile (or reuse) the readers."""
        parent = container.getparent()
        family = ROOT_ELEMENTS.get(local_name(parent.tag) if parent is not None else "")
        if family not in REPORT_FAMILIES:
            raise UnsupportedMessage(f"{local_name(container.tag)} in {family or 'an unknown message'} "
                                     f"is not an account report (camt.052/053/054)")
        self.family = family
        claimed = MessageType.from_namespace(namespace_of(container.tag))
        if claimed is None:
            self.findings.append(Finding(rule="document.namespace", severity=Severity.WARNING, reason="FF01",
                                         message=f"no ISO 20022 namespace; read as {family}"))
        self.message = claimed
        reader = default_mappings().reader(family, claimed, namespace_of(container.tag))
        self._root_type = reader.root_type
        self._repeated = default_mappings().family(family)[0].repeated_tags()
        self._heads = reader.heads
        return reader.types

    def __iter__(self) -> Iterator[tuple[Statement, Entry]]:
        # Only 'end' events: a statement's header is complete when its first entry
        # ends (the XSD puts account, balances and summary before the entries), and
        # an entry-less statement is read when it ends.
        schema = self._schema()
        tags = [f"{{*}}{name}" for name in (*CONTAINERS, "Ntry")]
        readers = None
        statement: Statement | None = None
        container = None
        events = xmlsafe.iterparse(self.source, ("end",), tags, max_bytes=self.max_bytes, schema=schema,
                                   drop_blank_text=True)
        for _, element in events:
            parent = element.getparent()
            if local_name(element.tag) != "Ntry":
                if element is not container:
                    readers = readers or self._start(element)
                    self._header(readers, element)
                container, statement = None, None
                parent.remove(element)
                continue
            new_statement = parent is not container
            if new_statement:
                if local_name(parent.tag) not in CONTAINERS:
                    continue  # an Ntry outside a statement: not ours to read
                readers = readers or self._start(parent)
                self._statement_position, self._entry_index = len(self.statements) + 1, -1
            self._entry_index += 1
            entry = readers["Entry"](element, self._ctx)
            parent.remove(element)
            if new_statement:  # read after the entry left, so the header holds no entry
                container, statement = parent, self._header(readers, parent)
            yield statement, entry
        self.findings += self._ctx.summary()

    def _xpath(self, element) -> str:
        """Entries and statements already read are gone from the tree, so the
        positions the tree shows are 1; put back the real ones."""
        path = element_xpath(element, self._repeated)
        for name in CONTAINERS:
            path = path.replace(f"/{name}[1]", f"/{name}[{self._statement_position}]", 1)
        return path.replace("/Ntry[1]", f"/Ntry[{self._entry_index + 1}]", 1)

    def _header(self, readers, container) -> Statement:
        self._statement_position = len(self.statements) + 1
        if self.report is None:  # the group header is complete once a statement is
            self.report = self._heads[self._root_type](container.getparent(), self._ctx)
        header = self._heads["Statement"](container, self._ctx)
        self.statements.append(header)
        return header


def stream_report(source, *, schema_validation: bool = False, max_bytes: int = MAX_STREAM_BYTES) -> ReportStream:
    return ReportStream(source, schema_validation=schema_validation, max_bytes=max_bytes)


def read_report(source, **options) -> tuple[Report, list[Finding]]:
    """The whole report in memory, built from the stream (for files that fit)."""
    stream = stream_report(source, **options)
    entries: dict[int, list[Entry]] = {}
    for statement, entry in stream:
        entries.setdefault(id(statement), []).append(entry)
    if stream.report is None:
        raise InvalidInput("the document holds no statement, notification or report")
    statements = tuple(replace(s, entries=tuple(entries.get(id(s), ()))) for s in stream.statements)
    return replace(stream.report, statements=statements), stream.findings
