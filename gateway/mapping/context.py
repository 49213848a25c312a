"""What a read noticed along the way: deviations from the claimed version, bad values."""

from __future__ import annotations

from gateway.domain.findings import Finding, Severity

MAX_FINDINGS_PER_RULE = 100
"""Keep memory flat on huge files: past this many of one kind, only count."""


class ReadContext:
    def __init__(self, xpath_of=None) -> None:
        self.findings: list[Finding] = []
        self.counts: dict[str, int] = {}
        self._xpath_of = xpath_of or (lambda element: None)

    def _add(self, rule: str, finding_factory) -> None:
        seen = self.counts.get(rule, 0)
        self.counts[rule] = seen + 1
        if seen < MAX_FINDINGS_PER_RULE:
            self.findings.append(finding_factory())

    def foreign(self, element, what: str, origin: str) -> None:
        self._add("parse.version_shape", lambda: Finding(
            rule="parse.version_shape", severity=Severity.WARNING, reason="FF01",
            message=f"{what} was read with the element shape of {origin}, not the file's own version",
            xpath=self._xpath_of(element), line=element.sourceline))

    def bad_value(self, element, text: str, kind: str) -> None:
        self._add("parse.bad_value", lambda: Finding(
            rule="parse.bad_value", severity=Severity.ERROR, reason="FF01",
            message=f"{text!r} is not a valid {kind}; the field was left empty",
            xpath=self._xpath_of(element), line=element.sourceline, value=text[:200]))

    def summary(self) -> list[Finding]:
        """The findings, plus one line per rule that was cut short."""
        extra = [Finding(rule=rule, severity=Severity.INFO,
                         message=f"{count - MAX_FINDINGS_PER_RULE} more findings of {rule} not listed")
                 for rule, count in self.counts.items() if count > MAX_FINDINGS_PER_RULE]
        return self.findings + extra
