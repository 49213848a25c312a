"""A validation report as JUnit XML, the format every CI server already shows.

Why JUnit: banks want the gateway's verdict on their files inside their own
pipelines (Jenkins, GitLab, GitHub Actions) without writing a parser.  The
mapping is one ``<testcase>`` per finding:

* an error finding is a ``<failure>`` (``type`` = rule, ``message`` = the
  finding's message, text = every detail: reason, XPath, line, field, value);
* a warning or info finding is a passing test case whose ``<system-out>``
  carries the message, so it is visible without failing the build;
* a document without findings gets one passing ``valid`` test case, so the
  suite is never empty (an empty suite reads as "nothing ran").

``classname`` is ``<message>.<rule>`` (e.g. ``pain.001.001.03.iban.checksum``)
so CI servers group findings by rule; ``name`` says where (XPath).
"""

from __future__ import annotations

import re

from lxml import etree

from gateway.domain.findings import Finding
from gateway.iso20022 import ValidationReport

SUITE = "iso20022-gateway.validate"

_NOT_XML_CHAR = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: object) -> str:
    """Finding text quotes the input; whatever XML 1.0 cannot carry becomes U+FFFD."""
    return _NOT_XML_CHAR.sub("\ufffd", str(value))


def _where(finding: Finding) -> str:
    where = finding.xpath or ".".join(map(str, finding.location)) or "document"
    return f"{where} (line {finding.line})" if finding.line else where


def _details(finding: Finding) -> str:
    parts = {"severity": finding.severity.value, "rule": finding.rule, "reason": finding.reason,
             "xpath": finding.xpath, "line": finding.line,
             "field": ".".join(map(str, finding.location)) or None, "value": finding.value}
    return _text("\n".join([finding.message] + [f"{k}: {v}" for k, v in parts.items() if v is not None]))


def junit_report(report: ValidationReport, *, properties: dict[str, str] | None = None,
                 seconds: float = 0.0) -> bytes:
    message = str(report.message or report.family or "document")
    errors = len(report.errors)
    cases = len(report.findings) or 1
    root = etree.Element("testsuites", name=SUITE, tests=str(cases), failures=str(errors), errors="0",
                         time=f"{seconds:.3f}")
    suite = etree.SubElement(root, "testsuite", name=f"{SUITE}.{message}", tests=str(cases),
                             failures=str(errors), errors="0", skipped="0", time=f"{seconds:.3f}")
    props = etree.SubElement(suite, "properties")
    for name, value in {"message": message, **(properties or {})}.items():
        etree.SubElement(props, "property", name=name, value=_text(value))
    for finding in report.findings:
        reason = f"[{finding.reason}] " if finding.reason else ""
        case = etree.SubElement(suite, "testcase", classname=f"{message}.{finding.rule}",
                                name=_text(f"{reason}{_where(finding)}"), time="0")
        if finding.is_error:
            failure = etree.SubElement(case, "failure", type=finding.rule, message=_text(finding.message))
            failure.text = _details(finding)
        else:
            etree.SubElement(case, "system-out").text = f"{finding.severity.value.upper()}: {_details(finding)}"
    if not report.findings:
        etree.SubElement(suite, "testcase", classname=message, name="valid", time="0")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
