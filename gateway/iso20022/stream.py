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
        self._ctx = ReadContext(xpath_of=lambda element: None)

    def _schema(self):
        with xmlsafe.open_stream(self.source, max_bytes=self.max_bytes) as stream:
            head = stream.read(xmlsafe.HEAD_BYTES)
        self.message = sniff_message(head)
        if not self.schema_validation:
            return None
        self.findings += schema_note(self.message)
        if self.message is not None and default_registry().has(self.message):
            return default_registry().schema(self.message)
        return None

    def _start(self, container) -> dict:
        """The first container tells the namespace and family: compile (or reuse) the reader."""
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
        self.report = replace(reader.read(parent, self._ctx), statements=())
        return reader.types

    def __iter__(self) -> Iterator[tuple[Statement, Entry]]:
        schema = self._schema()
        tags = [f"{{*}}{name}" for name in (*CONTAINERS, "Ntry")]
        readers = None
        statement: Statement | None = None
        container = None
        events = xmlsafe.iterparse(self.source, ("start", "end"), tags, max_bytes=self.max_bytes, schema=schema)
        for event, element in events:
            if local_name(element.tag) != "Ntry":
                if event == "start":
                    if readers is None:
                        readers = self._start(element)
                    container, statement = element, None
                else:
                    if statement is None:
                        statement = self._header(readers, element)
                    element.clear()
                    element.getparent().remove(element)
                continue
            if container is None or element.getparent() is not container:
                continue  # an Ntry outside a statement: not ours to read
            if event == "start":
                if statement is None:
                    statement = self._header(readers, container)
                continue
            entry = readers["Entry"](element, self._ctx)
            container.remove(element)
            yield statement, entry
        self.findings += self._ctx.summary()

    def _header(self, readers, container) -> Statement:
        header = replace(readers["Statement"](container, self._ctx), entries=())
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
