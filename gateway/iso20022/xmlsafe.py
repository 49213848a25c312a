"""The one door for untrusted XML.

Every document that comes from outside (a wallet's upload, a bank's statement,
a file on disk) is read through :func:`parse_document` or :func:`iterparse`, so
that the defences live in one place:

* **No DTDs at all.**  ISO 20022 messages never carry a DOCTYPE, and a DTD is
  how entity expansion (billion laughs), external entities (XXE,
  ``file:///etc/passwd``) and parameter-entity tricks get in.  The prolog is
  scanned *before* libxml2 sees it, and the parsed ``docinfo`` is checked again
  afterwards (a DOCTYPE hidden behind a very long prolog comment).
* **No network, no entity resolution, no XInclude.**  The parser never loads
  anything; an ``xi:include`` element is refused rather than left for a later
  ``xinclude()`` call to act on.
* **Bounded size.**  Files and byte strings over ``max_bytes`` are refused from
  their size before reading; streams are counted as they are read.
* **Honest encodings.**  The declared encoding must agree with the byte order
  mark / byte pattern; bytes that are invalid in it are refused by libxml2 and
  reported as an encoding problem, not as a vague syntax error.  UTF-7 (markup
  not ASCII-visible), UTF-32 (libxml2 cannot stream it) and EBCDIC are refused.
* **libxml2's resource limits stay on** (``huge_tree=False``), for streaming
  too.  Decision: a large camt.053 is many small nodes, which libxml2 streams
  fine without ``XML_PARSE_HUGE`` (measured: 150 MB statement, 1 s); what
  ``huge_tree`` would buy is text nodes over 10 MB and nesting deeper than 256
  levels, neither of which a valid ISO 20022 message has, and both of which are
  attack shapes.  Hitting one of those limits is reported as ``xml_too_large``
  (rule ``xml.limit``).

Every refusal is an :class:`~gateway.domain.errors.InvalidInput` whose
``code`` says what kind (``xml_dtd_forbidden``, ``xml_not_well_formed``,
``xml_too_large``, ``xml_encoding``, ``xml_empty``, plus
``xml_xinclude_forbidden``, ``xml_unreadable`` for a file that cannot be
opened, and ``schema_invalid`` when :func:`iterparse` validates) and whose single
:class:`~gateway.domain.findings.Finding` carries rule ``xml.<what>`` and the
ISO reason ``FF01`` (invalid file format).  No raw lxml exception escapes.
"""

from __future__ import annotations

import codecs
import io
import os
import re
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Union

from lxml import etree

from gateway.domain.errors import InvalidInput
from gateway.domain.findings import Finding, Severity

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
"""100 MiB: far above any pain.001 a wallet sends, enough for a day of camt.053."""

HEAD_BYTES = 64 * 1024
"""How much of the start is inspected before parsing (BOM, declaration, DOCTYPE)."""

REASON = "FF01"
"""ISO 20022 external status reason: invalid file format."""

CLARK_NAMESPACE = re.compile(r"\{[^{}\s]*:[^{}\s]*\}")
"""'{urn:iso:...}Name' → 'Name' in libxml2 messages; a namespace has a colon, a pattern's '{6,6}' has none."""
XINCLUDE_NAMESPACES = ("http://www.w3.org/2001/XInclude", "http://www.w3.org/2003/XInclude")
_XINCLUDE_TAGS = tuple(f"{{{ns}}}*" for ns in XINCLUDE_NAMESPACES)

# The same switches for tree parsing and streaming (see the module docstring).
PARSER_OPTIONS: dict[str, bool] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": False,
}

Source = Union[bytes, bytearray, memoryview, str, "os.PathLike[str]", IO[bytes]]
"""Bytes are the document; a ``str`` or path names a file; anything with ``read`` is a binary stream."""

_BOMS = (  # UTF-32 first: its little-endian BOM starts with UTF-16's.
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_UNMARKED = (  # XML 1.0 appendix F: '<' or '<?' in a wide encoding without a BOM.
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
)
_EBCDIC = b"\x4c\x6f\xa7\x94"
_ENCODING_DECL = re.compile(r"""\sencoding\s*=\s*(["'])(?P<name>[^"']*)\1""")
_ENCODING_NAME = re.compile(r"[A-Za-z][A-Za-z0-9._-]*")  # XML 1.0 [81] EncName
_MARKUP_DECLS = ("<!DOCTYPE", "<!ENTITY", "<!ELEMENT", "<!ATTLIST", "<!NOTATION")
_MAGIC = ((b"PK\x03\x04", "a ZIP archive"), (b"\x1f\x8b", "gzip data"), (b"%PDF", "a PDF file"))
_WHITESPACE = " \t\r\n"


def refusal(code: str, what: str, message: str, line: int | None = None) -> InvalidInput:
    """An ``InvalidInput`` with the one finding every XML refusal carries."""
    finding = Finding(rule=f"xml.{what}", message=message, severity=Severity.ERROR, reason=REASON, line=line)
    return InvalidInput(message, [finding], code=code)


def _too_large(max_bytes: int, size: int | None = None) -> InvalidInput:
    seen = f"{size} bytes" if size is not None else "more"
    return refusal("xml_too_large", "size", f"document is larger than the {max_bytes} bytes allowed ({seen})")


# --------------------------------------------------------------------------- streams


class GuardedStream(io.RawIOBase):
    """A binary stream that replays the inspected head, then the rest of the
    source, and raises ``xml_too_large`` as soon as more than ``max_bytes`` come
    through.  It closes the underlying file only if it opened it."""

    def __init__(self, raw: IO[bytes], head: bytes, max_bytes: int, *, owned: bool) -> None:
        super().__init__()
        self._raw = raw
        self._head = head
        self._head_pos = 0
        self._count = len(head)
        self._max_bytes = max_bytes
        self._owned = owned

    @property
    def bytes_read(self) -> int:
        """Bytes taken from the source so far (including the inspected head)."""
        return self._count

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._head_pos < len(self._head):
            chunk = self._head[self._head_pos:self._head_pos + len(view)]
            self._head_pos += len(chunk)
        else:
            chunk = _read_bytes(self._raw, len(view))
            self._count += len(chunk)
            if self._count > self._max_bytes:
                raise _too_large(self._max_bytes)
        view[:len(chunk)] = chunk
        return len(chunk)

    def close(self) -> None:
        if not self.closed and self._owned:
            self._raw.close()
        super().close()


def _read_bytes(raw: IO[bytes], size: int) -> bytes:
    chunk = raw.read(size)
    if chunk is None:  # non-blocking stream with nothing ready: treat as end
        return b""
    if not isinstance(chunk, (bytes, bytearray, memoryview)):
        raise TypeError("XML must be read from a binary stream (open the file in 'rb' mode)")
    return bytes(chunk)


def open_stream(source: Source, *, max_bytes: int = DEFAULT_MAX_BYTES) -> GuardedStream:
    """Open ``source`` for parsing: size checked up front where it is known,
    the first :data:`HEAD_BYTES` inspected (empty, not XML, encoding, DOCTYPE),
    and the rest counted while read.  Use it as a context manager."""
    raw, owned, known_size = _open_raw(source)
    try:
        if known_size is not None and known_size > max_bytes:
            raise _too_large(max_bytes, known_size)
        head = b""
        limit = min(HEAD_BYTES, max_bytes + 1)
        while len(head) < limit:
            chunk = _read_bytes(raw, limit - len(head))
            if not chunk:
                break
            head += chunk
        if len(head) > max_bytes:
            raise _too_large(max_bytes)
        inspect_head(head, complete=len(head) < limit)
    except BaseException:
        if owned:
            raw.close()
        raise
    return GuardedStream(raw, head, max_bytes, owned=owned)


def _open_raw(source: Source) -> tuple[IO[bytes], bool, int | None]:
    """(stream, whether we own it, size if known without reading)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        return io.BytesIO(data), True, len(data)
    if isinstance(source, str) and source.lstrip()[:1] == "<":
        raise TypeError("a str is a file name; pass XML text as bytes")
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            info = path.stat()
            size = info.st_size if stat.S_ISREG(info.st_mode) else None
            return path.open("rb"), True, size
        except OSError as exc:
            raise refusal("xml_unreadable", "io", f"cannot read {path}: {exc.strerror or exc}") from exc
    if hasattr(source, "read"):
        return source, False, _remaining_size(source)
    raise TypeError(f"cannot read XML from {type(source).__name__}")


def _remaining_size(stream: IO[bytes]) -> int | None:
    """Size still to come for a regular file, so an oversized one is refused unread."""
    try:
        info = os.fstat(stream.fileno())
        if not stat.S_ISREG(info.st_mode):
            return None
        return info.st_size - stream.tell()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None


# --------------------------------------------------------------------------- head checks


def inspect_head(head: bytes, *, complete: bool) -> None:
    """Refuse what is wrong from the first bytes alone; ``complete`` says the
    head is the whole document.  Anything this cannot decide is left to libxml2."""
    family, bom_length = _sniff(head)
    _refuse_utf32(family)
    prolog_codec = family if family.startswith(("utf-16", "utf-32")) else "latin-1"
    # latin-1 keeps every byte and ASCII markup where it is, whatever the 8-bit encoding.
    text = head[bom_length:].decode(prolog_codec, errors="replace")
    body = text.lstrip(_WHITESPACE)
    if not body:
        if complete:
            raise refusal("xml_empty", "empty", "the document is empty" if not head else "the document is only whitespace")
        return
    if not body.startswith("<"):
        raise refusal("xml_not_well_formed", "not_xml", f"the document is not XML: it looks like {_describe(head)}", line=1)
    declared = _declared_encoding(text)
    _check_encoding(family, bom_length > 0, declared)
    _scan_prolog(text)


def _sniff(head: bytes) -> tuple[str, int]:
    """(encoding family, BOM length) per XML 1.0 appendix F."""
    for bom, family in _BOMS:
        if head.startswith(bom):
            return family, len(bom)
    for pattern, family in _UNMARKED:
        if head.startswith(pattern):
            return family, 0
    if head.startswith(_EBCDIC):
        raise refusal("xml_encoding", "encoding", "EBCDIC documents are not accepted; ISO 20022 messages are UTF-8", line=1)
    return "ascii-compatible", 0


def _refuse_utf32(family: str) -> None:
    """libxml2 reads UTF-32 from memory but not from a stream ("Document is
    empty"); rather than a misleading syntax error, say what it is."""
    if family.startswith("utf-32"):
        raise refusal("xml_encoding", "encoding", "UTF-32 documents are not accepted; ISO 20022 messages are UTF-8", line=1)


def _describe(head: bytes) -> str:
    stripped = head.lstrip()
    for magic, what in _MAGIC:
        if stripped.startswith(magic):
            return what
    if stripped[:1] in (b"{", b"["):
        return "JSON"
    if b"\x00" in head[:1024] or any(b < 9 for b in head[:64]):
        return "binary data"
    return f"text starting with {stripped[:20]!r}"


def _declared_encoding(text: str) -> str | None:
    if not (text.startswith("<?xml") and text[5:6] in (*_WHITESPACE, "?")):
        return None
    end = text.find("?>")
    match = _ENCODING_DECL.search(text[:end] if end >= 0 else text[:512])
    return match.group("name") if match else None


def _check_encoding(family: str, has_bom: bool, declared: str | None) -> None:
    """The declaration must not contradict the bytes.  libxml2 silently lets a
    BOM win over the declaration; XML 1.0 calls that a fatal error, and so do we."""
    if declared is None:
        return
    if not _ENCODING_NAME.fullmatch(declared):
        raise refusal("xml_encoding", "encoding", f"{declared!r} is not an encoding name", line=1)
    try:
        name = codecs.lookup(declared).name
    except LookupError:
        raise refusal("xml_encoding", "encoding", f"unknown encoding {declared!r} declared", line=1) from None
    if name == "utf-7":
        raise refusal("xml_encoding", "encoding", "UTF-7 is not accepted: its markup is not ASCII-visible", line=1)
    wide = family[:6] if family.startswith(("utf-16", "utf-32")) else None
    if wide:
        if not name.startswith(wide):
            raise refusal("xml_encoding", "encoding",
                          f"the document is {wide.upper()} but declares encoding {declared!r}", line=1)
        return
    if has_bom and name != "utf-8":
        raise refusal("xml_encoding", "encoding",
                      f"the document starts with a UTF-8 byte order mark but declares encoding {declared!r}", line=1)
    try:
        ascii_compatible = "<?xml version".encode(name) == b"<?xml version"
    except (LookupError, UnicodeError):
        ascii_compatible = False
    if not ascii_compatible:
        raise refusal("xml_encoding", "encoding",
                      f"the document is in 8-bit bytes but declares encoding {declared!r}", line=1)


def _scan_prolog(text: str) -> None:
    """Walk declaration, comments and processing instructions up to the root
    element; any markup declaration (DOCTYPE, ENTITY...) there is refused."""
    pos, end = 0, len(text)
    if text.startswith("<?xml"):
        close = text.find("?>")
        if close < 0:
            return
        pos = close + 2
    while True:
        while pos < end and text[pos] in _WHITESPACE:
            pos += 1
        if pos >= end:
            return
        if text.startswith("<!--", pos):
            close = text.find("-->", pos + 4)
            if close < 0:
                return  # beyond the head: the docinfo check after parsing covers it
            pos = close + 3
        elif text.startswith("<?", pos):
            close = text.find("?>", pos + 2)
            if close < 0:
                return
            pos = close + 2
        elif text.startswith("<!", pos):
            if text[pos:pos + 10].upper().startswith(_MARKUP_DECLS):
                raise _dtd_refusal(text.count("\n", 0, pos) + 1)
            return
        else:
            return  # the root element (or garbage, which libxml2 reports)


def _dtd_refusal(line: int | None) -> InvalidInput:
    return refusal("xml_dtd_forbidden", "dtd",
                   "DOCTYPE and entity declarations are not allowed in ISO 20022 messages", line=line)


# --------------------------------------------------------------------------- parsing


def parse_document(source: Source, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._ElementTree:
    """Parse a whole document into a tree, or refuse it with ``InvalidInput``."""
    with open_stream(source, max_bytes=max_bytes) as stream:
        try:
            tree = etree.parse(stream, etree.XMLParser(**PARSER_OPTIONS))
        except etree.XMLSyntaxError as exc:
            raise _from_syntax_error(exc) from exc
        except etree.LxmlError as exc:
            raise refusal("xml_not_well_formed", "syntax", f"not well-formed XML: {exc}") from exc
    check_tree(tree)
    return tree


def check_tree(tree: etree._ElementTree) -> None:
    """The checks that need a parsed document: no DTD slipped past the prolog
    scan, and no XInclude element waits for someone to call ``xinclude()``."""
    docinfo = tree.docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise _dtd_refusal(None)
    for element in tree.iter(*_XINCLUDE_TAGS):
        raise _xinclude_refusal(element)


def _xinclude_refusal(element: etree._Element) -> InvalidInput:
    return refusal("xml_xinclude_forbidden", "xinclude",
                   "XInclude elements are not allowed in ISO 20022 messages", line=element.sourceline)


def _from_syntax_error(exc: etree.XMLSyntaxError) -> InvalidInput:
    kinds = etree.ErrorTypes
    last = exc.error_log.last_error if exc.error_log else None
    detail = last.message if last is not None and last.message else (exc.msg or str(exc))
    line = exc.lineno or (last.line if last is not None else None) or None
    if last is not None and last.domain == etree.ErrorDomains.SCHEMASV:
        return refusal("schema_invalid", "xsd", f"not valid against the XSD: {detail}", line=line)
    if exc.code in (kinds.ERR_INVALID_ENCODING, kinds.ERR_UNSUPPORTED_ENCODING,
                    kinds.ERR_UNKNOWN_ENCODING, kinds.ERR_ENCODING_NAME):
        return refusal("xml_encoding", "encoding", f"encoding problem at line {line}: {detail}", line=line)
    if exc.code == kinds.ERR_RESOURCE_LIMIT:
        return refusal("xml_too_large", "limit", f"document exceeds a parser limit at line {line}: {detail}", line=line)
    return refusal("xml_not_well_formed", "syntax", f"not well-formed XML at line {line}: {detail}", line=line)


def _schema_refusal(error) -> InvalidInput:
    message = CLARK_NAMESPACE.sub("", error.message)
    return refusal("schema_invalid", "xsd", f"not valid against the XSD at line {error.line}: {message}",
                   line=error.line or None)


def iterparse(
    source: Source,
    events: Iterable[str] = ("end",),
    tag: str | Iterable[str] | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    schema: etree.XMLSchema | None = None,
    drop_blank_text: bool = False,
) -> Iterator[tuple[str, Any]]:
    """Stream ``(event, element)`` like ``lxml.etree.iterparse``, with the same
    defences as :func:`parse_document`.  The head is checked now (so a refusal
    comes from this call); the rest while iterating.  Clear elements you are
    done with, as with lxml.  With ``schema``, libxml2 validates in the same
    pass and the first violation ends the stream (code ``schema_invalid``).
    ``drop_blank_text`` lets libxml2 skip the indentation between elements
    (about 15% faster on pretty-printed statements; values are unaffected)."""
    stream = open_stream(source, max_bytes=max_bytes)
    options = {**PARSER_OPTIONS, "remove_blank_text": drop_blank_text}
    return _iterate(stream, tuple(events), tag, schema, options)


def _iterate(
    stream: GuardedStream,
    events: tuple[str, ...],
    tag: str | Iterable[str] | None,
    schema: etree.XMLSchema | None,
    options: dict[str, bool],
) -> Iterator[tuple[str, Any]]:
    # XInclude is caught from 'start-ns': an xi: element needs its namespace
    # declared, and declarations are rare, so this costs nothing per element
    # (forcing 'start' events instead made an unfiltered stream ~2x slower).
    wants_ns = "start-ns" in events
    lxml_events = tuple(dict.fromkeys((*events, "start-ns")))
    checked = False
    with stream:
        context = etree.iterparse(stream, events=lxml_events, tag=tag, schema=schema, **options)
        try:
            for event, item in context:
                if event == "start-ns":
                    if item[1] in XINCLUDE_NAMESPACES:
                        raise refusal("xml_xinclude_forbidden", "xinclude",
                                      "XInclude elements are not allowed in ISO 20022 messages")
                    if not wants_ns:
                        continue
                elif not checked and isinstance(item, etree._Element):
                    check_tree(item.getroottree())  # before the first element leaves this function
                    checked = True
                if schema is not None and context.error_log:
                    # libxml2 logs a schema violation as it parses (ahead of the events)
                    # and raises only later: stop before an invalid element is handed out.
                    raise _schema_refusal(context.error_log[0])
                yield event, item
            root = context.root
            if not checked and root is not None:
                check_tree(root.getroottree())
        except etree.XMLSyntaxError as exc:
            raise _from_syntax_error(exc) from exc
        except etree.LxmlError as exc:
            raise refusal("xml_not_well_formed", "syntax", f"not well-formed XML: {exc}") from exc
