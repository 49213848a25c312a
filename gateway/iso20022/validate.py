"""One verdict on a document: XSD findings plus the business rules the XSD cannot
express, each located by XPath and, where one fits, an ISO reason code.

Validation never raises on bad input: hostile, broken or unknown documents come
back as findings too, so a caller can always show the user what is wrong."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import yaml

from gateway.domain.errors import GatewayError, InvalidInput
from gateway.domain.findings import Finding, Severity
from gateway.domain.messages import MessageType
from gateway.domain.rules import (
    RuleProfile,
    StatementChecker,
    check_batch,
    check_report,
    check_status_report,
    load_profile,
)
from gateway.iso20022.identify import identify, sniff_message
from gateway.iso20022.parse import (
    Parsed,
    parsed_of,
    read_identified,
    reader_message,
    schema_note,
)
from gateway.iso20022.registry import default_registry
from gateway.iso20022.schema_findings import schema_findings
from gateway.iso20022.stream import REPORT_FAMILIES, stream_report
from gateway.iso20022.xmlsafe import parse_document
from gateway.mapping import default_mappings
from gateway.mapping.locate import local_xpath

STRICT_RULES = {"document.namespace", "document.root"}
"""Deviations that parse reads past with a warning and validate reports as errors."""
UNCHECKED_VERSION = "document.version"
"""A version the gateway has no mapping for: parse reads it with a known version's shapes.  With
its XSD installed the document is still checked, so that stays a warning; with neither, nothing
about it was checked and validate reports an error rather than call it valid."""

STREAM_THRESHOLD = 32 * 1024 * 1024
"""Statements larger than this are validated in one streaming pass, in flat memory."""


@dataclass
class ValidationReport:
    family: str | None
    message: MessageType | None
    findings: list[Finding] = field(default_factory=list)
    source: str | None = None
    parsed: Parsed | None = None
    """The document as ``parse`` reads it (with parse's own findings), when it could be read: a
    caller that acts on a valid document uses this instead of parsing the bytes again."""

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.is_error]

    @property
    def valid(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "message": str(self.message) if self.message else self.family,
            "valid": self.valid,
            "errors": len(self.errors),
            "warnings": sum(f.severity is Severity.WARNING for f in self.findings),
            "findings": [f.to_dict() for f in self.findings],
        }


def profile_named(name: str | None) -> RuleProfile | None:
    """A rule profile from ``mappings/profiles/<name>.yaml`` (sepa, generic, a bank's)."""
    if not name:
        return None
    path = default_mappings().directory / "profiles" / f"{name}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in path.parent.glob("*.yaml"))
        raise GatewayError(f"no rule profile {name!r}; known: {', '.join(known)}", code="unknown_profile")
    return load_profile(yaml.safe_load(path.read_text(encoding="utf-8")) or {})


def check(family: str, document: object, *, profile: RuleProfile | None = None,
          today: date | None = None) -> list[Finding]:
    """The business rules of a message family on a canonical document (no XSD, no XPaths)."""
    if family == "pain.001":
        return check_batch(document, profile=profile, today=today)
    if family == "pain.002":
        return check_status_report(document)
    if family in ("camt.052", "camt.053", "camt.054"):
        return check_report(document)
    return []


def validate(source, *, profile: RuleProfile | str | None = None, today: date | None = None,
             max_bytes: int | None = None) -> ValidationReport:
    """Validate bytes, a path or a binary file; ``today`` enables date rules (DT01)."""
    label = str(source) if isinstance(source, (str, Path)) else None
    if isinstance(profile, str):
        profile = profile_named(profile)
    if _large_report(source):
        return _validate_streaming(Path(source), label)
    try:
        tree = parse_document(source, **({"max_bytes": max_bytes} if max_bytes else {}))
        identity = identify(tree.getroot())
    except InvalidInput as exc:
        return ValidationReport(None, None, exc.findings, label)
    except GatewayError as exc:
        return ValidationReport(None, None, [Finding(rule=exc.code, reason="FF01", message=exc.message)], label)

    mappings = default_mappings()
    if not mappings.family(identity.family):
        return ValidationReport(None, identity.message, [Finding(
            rule="unsupported_message", reason="FF01",
            message=f"{identity.message or identity.family} is recognised but the gateway does not read it yet")], label)
    spec = mappings.spec(reader_message(mappings, identity))
    message = identity.message
    schema_ran = message is not None and default_registry().has(message)
    # Strict where parse is lenient: what parse tolerates with a warning is an error here.
    strict = STRICT_RULES if schema_ran else STRICT_RULES | {UNCHECKED_VERSION}
    findings = [_strict(f, strict) for f in identity.findings]
    if schema_ran:
        findings += schema_findings(default_registry().schema(message), tree, spec.repeated_tags())
    else:
        findings += schema_note(message, strict=True)
    document, read_findings = read_identified(identity)
    parsed = parsed_of(identity, document, read_findings)
    # The XSD already reports values of the wrong type, with better messages.
    findings += [_strict(f, strict) for f in read_findings if not (schema_ran and f.rule == "parse.bad_value")]
    locator = mappings.locator(spec.message)

    def exists(xpath: str) -> bool:
        return bool(tree.xpath(local_xpath(xpath)))

    findings += [locate(f, locator, exists) for f in check(identity.family, document, profile=profile, today=today)]
    return ValidationReport(identity.family, message, findings, label, parsed)


def _strict(finding: Finding, rules: set[str]) -> Finding:
    return replace(finding, severity=Severity.ERROR) if finding.rule in rules else finding


def _location(dotted: str) -> tuple[str | int, ...]:
    return tuple(int(part) if part.isdigit() else part for part in dotted.split("."))


def locate(finding: Finding, locator, exists=None) -> Finding:
    """Give a rule's finding the XPath of its field (and of the first occurrence, for duplicates)."""
    xpath = finding.xpath or (locator.xpath(finding.location, exists) if finding.location else None)
    message = finding.message
    first = finding.extra.get("first_location")
    if first:
        message = f"{message}; first at {locator.xpath(_location(first), exists)}"
    return replace(finding, xpath=xpath, message=message)


def _large_report(source) -> bool:
    if not isinstance(source, (str, Path)) or not Path(source).is_file():
        return False
    path = Path(source)
    if path.stat().st_size < STREAM_THRESHOLD:
        return False
    with path.open("rb") as handle:
        message = sniff_message(handle.read(65536))
    return message is not None and message.family in REPORT_FAMILIES


def _validate_streaming(path: Path, label: str | None) -> ValidationReport:
    """XSD and statement rules in the same pass.  libxml2's streaming validation
    stops at the first schema error, which is then the last finding."""
    stream = stream_report(path, schema_validation=True)
    checkers: dict[int, StatementChecker] = {}
    counts: dict[int, int] = {}
    findings: list[Finding] = []

    def checker_for(statement) -> StatementChecker:
        key = id(statement)
        if key not in checkers:
            checkers[key] = StatementChecker(stream.statements.index(statement), statement)
        return checkers[key]

    try:
        for statement, entry in stream:
            index = counts.get(id(statement), 0)
            counts[id(statement)] = index + 1
            findings += checker_for(statement).add(index, entry)
    except InvalidInput as exc:
        findings += exc.findings
    for statement in stream.statements:
        findings += checker_for(statement).finish()
    message = stream.message
    if message is not None and default_mappings().family(message.family):
        locator = default_mappings().locator(message)
        findings = [locate(f, locator) for f in findings]
    return ValidationReport(stream.family or (message.family if message else None), message,
                            stream.findings + findings, label)
