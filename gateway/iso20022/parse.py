"""ISO 20022 XML → canonical model, leniently: read what can be read safely and say
what deviated (the strict verdict is ``validate``'s)."""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from gateway.domain.findings import Finding, Severity
from gateway.domain.messages import MessageType
from gateway.iso20022.catalog import load_catalog
from gateway.iso20022.identify import Identity, identify
from gateway.iso20022.registry import default_registry
from gateway.iso20022.xmlsafe import parse_document
from gateway.mapping import default_mappings
from gateway.mapping.context import ReadContext
from gateway.mapping.locate import element_xpath


@dataclass
class Parsed:
    family: str
    message: MessageType | None
    """The version the document claims; None when it names none."""
    document: object
    """PaymentBatch, StatusReport, Report or PaymentReturn."""
    findings: list[Finding] = field(default_factory=list)


def read_identified(identity: Identity) -> tuple[object, list[Finding]]:
    """Read an identified document's body with its family's reader; findings are the read's own."""
    mappings = default_mappings()
    findings: list[Finding] = []
    message = identity.message
    known = {s.message for s in mappings.family(identity.family)}
    if message is not None and message not in known:
        findings.append(Finding(
            rule="document.version", severity=Severity.WARNING, reason="FF01",
            message=(f"{message} has no mapping; read with the shapes of "
                     f"{', '.join(str(m) for m in sorted(known, reverse=True))}")))
    reader = mappings.reader(identity.family, message, identity.namespace)
    repeated = mappings.spec(reader_message(mappings, identity)).repeated_tags()
    ctx = ReadContext(xpath_of=lambda element: element_xpath(element, repeated))
    document = reader.read(identity.body, ctx)
    return document, findings + ctx.summary()


def reader_message(mappings, identity: Identity) -> MessageType:
    known = [s.message for s in mappings.family(identity.family)]
    return identity.message if identity.message in known else known[0]


def schema_note(message: MessageType | None, *, strict: bool = False) -> list[Finding]:
    """Why a document was not checked against its XSD.  A catalogued XSD that is
    merely not installed is an error when validating (the verdict would be hollow)."""
    if message is None or default_registry().has(message):
        return []
    if str(message) in load_catalog():
        return [Finding(rule="schema.missing", severity=Severity.ERROR if strict else Severity.WARNING,
                        message=f"the XSD of {message} is not installed: run `gateway schemas sync`")]
    return [Finding(rule="schema.unavailable", severity=Severity.WARNING,
                    message=f"no official XSD of {message} is available to the gateway (it is not in "
                            f"schemas/catalog.toml); the document was not schema-validated")]


def parse(source, *, max_bytes: int | None = None) -> Parsed:
    """Parse bytes, a path or a binary file into the canonical model."""
    tree = parse_document(source, **({"max_bytes": max_bytes} if max_bytes else {}))
    return parse_tree(tree)


def parse_tree(tree: etree._ElementTree) -> Parsed:
    identity = identify(tree.getroot())
    document, findings = read_identified(identity)
    return parsed_of(identity, document, findings)


def parsed_of(identity: Identity, document: object, read_findings: list[Finding]) -> Parsed:
    """What ``parse`` answers for an identified document read with these findings."""
    return Parsed(identity.family, identity.message, document,
                  identity.findings + read_findings + schema_note(identity.message))
