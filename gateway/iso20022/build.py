"""Canonical model → ISO 20022 XML, checked against the official XSD on the way out."""

from __future__ import annotations

from lxml import etree

from gateway.domain.errors import InvalidInput
from gateway.domain.messages import MessageType
from gateway.iso20022.registry import default_registry
from gateway.iso20022.schema_findings import schema_findings
from gateway.mapping import default_mappings


def build(document: object, message: str | MessageType, *, validate: bool = True,
          variant: str | None = None) -> bytes:
    """Write ``document`` (a PaymentBatch, Report or StatusReport) as ``message``.

    With ``validate`` the bytes are parsed once through the XSD (libxml2 validates
    while it parses); if they fail, the findings say where and the bytes are not
    returned, so nothing invalid leaves the gateway."""
    message = MessageType.parse(str(message))
    xml = default_mappings().writer(message, variant)(document)
    if validate:
        schema = default_registry().schema(message)
        try:
            etree.fromstring(xml, etree.XMLParser(schema=schema, resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError:
            tree = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True, recover=True))
            findings = schema_findings(schema, tree.getroottree(), default_mappings().spec(message).repeated_tags())
            first = f" (first: {findings[0].xpath}: {findings[0].message})" if findings else ""
            raise InvalidInput(f"the {message} built from this input is not valid against its XSD{first}",
                               findings, code="built_message_invalid") from None
    return xml
