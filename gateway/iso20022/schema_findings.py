"""XSD errors as findings, with readable XPaths instead of libxml2's ``/*/*[2]``."""

from __future__ import annotations

from lxml import etree

from gateway.domain.findings import Finding, Severity
from gateway.iso20022.xmlsafe import CLARK_NAMESPACE
from gateway.mapping.locate import element_xpath


def schema_findings(schema: etree.XMLSchema, tree: etree._ElementTree, repeated: frozenset[str]) -> list[Finding]:
    if schema.validate(tree):
        return []
    findings = []
    for error in schema.error_log:
        xpath = None
        if error.path:
            nodes = tree.xpath(error.path)
            if nodes and isinstance(nodes[0], etree._Element):
                xpath = element_xpath(nodes[0], repeated)
        findings.append(Finding(
            rule="xsd", severity=Severity.ERROR, reason="FF01",
            message=CLARK_NAMESPACE.sub("", error.message), xpath=xpath, line=error.line or None))
    return findings
