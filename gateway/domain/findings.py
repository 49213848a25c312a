"""Validation findings: what is wrong, where, and which ISO reason code fits."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding.

    ``location`` is where the problem sits in the canonical model, as a tuple of
    field names and list indexes (``("payment_informations", 0, "transactions", 1,
    "amount")``); the message layer turns it into an XPath (``xpath``) for the
    document it came from.  ``reason`` is an ISO 20022 external status reason code
    (AC01, AM10, FF01...) where one fits.
    """

    rule: str
    message: str
    severity: Severity = Severity.ERROR
    reason: str | None = None
    location: tuple[str | int, ...] = ()
    xpath: str | None = None
    line: int | None = None
    value: str | None = None
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_dict(self) -> dict:
        out = {
            "severity": self.severity.value,
            "rule": self.rule,
            "reason": self.reason,
            "message": self.message,
            "xpath": self.xpath,
            "field": ".".join(str(p) for p in self.location) or None,
            "line": self.line,
            "value": self.value,
        }
        return {k: v for k, v in out.items() if v is not None}
