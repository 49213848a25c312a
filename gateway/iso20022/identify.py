"""Which message is this?  From the Document's namespace, or, when a file lacks or
garbles it, from the one element under Document (lenient parse, strict validate)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from gateway.domain.errors import UnsupportedMessage
from gateway.domain.findings import Finding, Severity
from gateway.domain.messages import ROOT_ELEMENTS, MessageType

_NAMESPACE = re.compile(rb'xmlns(?::\w+)?\s*=\s*["\'](urn:iso:std:iso:20022:tech:xsd:[^"\']+)["\']')


def local_name(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def namespace_of(tag: str) -> str:
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""


@dataclass
class Identity:
    family: str
    """``camt.053``: what the gateway reads the document as."""
    message: MessageType | None
    """The version the document claims, if it names one the standard knows."""
    namespace: str
    body: etree._Element | None = None
    findings: list[Finding] = field(default_factory=list)


def identify(root: etree._Element) -> Identity:
    """Identify a parsed document; raise UnsupportedMessage for what the gateway cannot read."""
    findings: list[Finding] = []
    body = root
    if local_name(root.tag) == "Document":
        body = next((child for child in root if isinstance(child.tag, str)), None)
        if body is None:
            raise UnsupportedMessage("the Document element is empty")
    else:
        findings.append(Finding(rule="document.root", severity=Severity.WARNING, reason="FF01",
                                message=f"the root element is {local_name(root.tag)}, not Document", line=root.sourceline))
    namespace = namespace_of(root.tag)
    family = ROOT_ELEMENTS.get(local_name(body.tag))
    message = MessageType.from_namespace(namespace)
    if family is None:
        raise UnsupportedMessage(f"{local_name(body.tag)} is not a message the gateway reads "
                                 f"(it reads {', '.join(sorted(set(ROOT_ELEMENTS.values())))})")
    if message is None:
        findings.append(Finding(rule="document.namespace", severity=Severity.WARNING, reason="FF01",
                                message=(f"the document has no ISO 20022 namespace ({namespace or 'none'}); "
                                         f"read as {family} from its {local_name(body.tag)} element"),
                                line=root.sourceline))
    elif message.family != family:
        raise UnsupportedMessage(f"the namespace says {message} but the element {local_name(body.tag)} is a {family}")
    return Identity(family=family, message=message, namespace=namespace_of(body.tag), body=body, findings=findings)


def sniff_message(head: bytes) -> MessageType | None:
    """The message a document claims, from its first bytes (before parsing, to pick an XSD)."""
    match = _NAMESPACE.search(head)
    return MessageType.from_namespace(match.group(1).decode("ascii", "replace")) if match else None
