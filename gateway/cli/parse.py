"""gateway parse FILE: the canonical JSON of a message.  Statements and
notifications are streamed: entries are written as they are read, so a
gigabyte statement needs no more memory than a small one."""

from __future__ import annotations

import json
import sys

from gateway.cli.io import Progress, source_of, write_json
from gateway.domain.codec import to_data
from gateway.iso20022 import parse, stream_report
from gateway.iso20022.identify import sniff_message
from gateway.iso20022.stream import REPORT_FAMILIES


def add_parser(sub) -> None:
    parser = sub.add_parser("parse", help="parse an ISO 20022 file into canonical JSON", description=__doc__)
    parser.add_argument("file", nargs="?", default="-", metavar="FILE", help="the file ('-' or none: stdin)")
    parser.set_defaults(run=run)


def _is_report(source) -> bool:
    if isinstance(source, bytes):
        head = source[:65536]
    else:
        with source.open("rb") as handle:
            head = handle.read(65536)
    message = sniff_message(head)
    if message is not None:
        return message.family in REPORT_FAMILIES
    return any(tag in head for tag in (b"BkToCstmrStmt", b"BkToCstmrDbtCdtNtfctn", b"BkToCstmrAcctRpt"))


def _dump(data: object) -> str:
    return json.dumps(data, ensure_ascii=False)


class _StreamWriter:
    """Writes ``{"message", "report", "statements": [{..., "entries": [...]}], "findings"}``
    while the stream reads, statements in document order (empty ones included)."""

    def __init__(self, stream, out) -> None:
        self.stream, self.out = stream, out
        self.written = 0          # statements of stream.statements already opened
        self.open = False         # a statement's entry list is open
        self.started = False
        self.first_entry = True

    def _start(self) -> None:
        if not self.started:
            message = str(self.stream.message) if self.stream.message else self.stream.family
            self.out.write(f'{{"message": {_dump(message)},\n"report": {_dump(to_data(self.stream.report))},\n'
                           f'"statements": [\n')
            self.started = True

    def _close(self) -> None:
        if self.open:
            self.out.write("\n]}")
            self.open = False

    def _open_until(self, statement) -> None:
        """Open every statement up to ``statement`` (None: all), closing the empty ones."""
        self._start()
        statements = self.stream.statements
        while self.written < len(statements):
            current = statements[self.written]
            self._close()
            header = _dump(to_data(current))
            self.out.write(("" if self.written == 0 else ",\n") + header[:-1]
                           + (", " if header != "{}" else "") + '"entries": [\n')
            self.open, self.first_entry = True, True
            self.written += 1
            if current is statement:
                return

    def entry(self, statement, entry) -> None:
        if not self.open or self.stream.statements[self.written - 1] is not statement:
            self._open_until(statement)
        self.out.write(("" if self.first_entry else ",\n") + _dump(to_data(entry)))
        self.first_entry = False

    def finish(self) -> None:
        self._open_until(None)
        self._close()
        findings = _dump([f.to_dict() for f in self.stream.findings])
        self.out.write(f'\n],\n"findings": {findings}}}\n')


def _stream(source) -> int:
    stream = stream_report(source)
    writer = _StreamWriter(stream, sys.stdout)
    progress = Progress(source)
    for statement, entry in stream:
        writer.entry(statement, entry)
        progress.tick()
    progress.done()
    writer.finish()
    return 0


def run(args) -> int:
    source = source_of(args.file)
    if _is_report(source):
        return _stream(source)
    parsed = parse(source)
    write_json({"message": str(parsed.message) if parsed.message else parsed.family,
                "document": to_data(parsed.document),
                "findings": [f.to_dict() for f in parsed.findings]})
    return 0
