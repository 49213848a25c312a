"""SEPA text rules: the EPC character set and the shape of identifiers.

The EPC rulebooks oblige banks to support only the basic Latin set
``a-z A-Z 0-9 / - ? : ( ) . , ' +`` and space; anything else (umlauts, ``&``,
line breaks) may be rejected or mangled on the way to the creditor, so it is
reported up front with the first offending character and its 1-based position.
Every string of the batch is checked, found by walking the model: names, address
lines, remittance, ids; codes, IBANs and BICs pass trivially.

Identifiers (MsgId, PmtInfId, InstrId, EndToEndId) must in addition not start or
end with ``/`` nor contain ``//``.  Both rules use reason FF01 (InvalidFileFormat).
"""

from __future__ import annotations

import string

from gateway.domain.findings import Finding
from gateway.domain.rules._walk import Nodes, strings

SEPA_CHARACTERS = frozenset(string.ascii_letters + string.digits + "/-?:().,'+ ")
IDENTIFIER_FIELDS = frozenset({"message_id", "payment_information_id", "instruction_id", "end_to_end_id"})
REASON = "FF01"


def first_invalid_character(text: str) -> tuple[int, str] | None:
    """``(0-based index, character)`` of the first character outside the SEPA set, or None."""
    return next(((i, ch) for i, ch in enumerate(text) if ch not in SEPA_CHARACTERS), None)


def identifier_problem(value: str) -> str | None:
    """Why ``value`` is not a valid SEPA identifier (slash rules only), or None."""
    if value.startswith("/") or value.endswith("/"):
        return "identifier must not start or end with '/'"
    if "//" in value:
        return "identifier must not contain '//'"
    return None


def check_sepa_charset(nodes: Nodes) -> list[Finding]:
    """Every string among ``nodes`` (a walked batch) in the SEPA character set."""
    findings = []
    for location, value in strings(nodes):
        bad = first_invalid_character(value)
        if bad:
            index, char = bad
            findings.append(Finding(
                rule="sepa.charset", reason=REASON, location=location, value=value,
                message=(f"character {char!r} (U+{ord(char):04X}) at position {index + 1} "
                         "is outside the SEPA character set"),
                extra={"position": str(index + 1), "character": char},
            ))
    return findings


def check_sepa_identifiers(nodes: Nodes) -> list[Finding]:
    """The slash rules for every identifier among ``nodes`` (a walked batch)."""
    findings = []
    for location, value in strings(nodes):
        if location[-1] in IDENTIFIER_FIELDS:
            problem = identifier_problem(value)
            if problem:
                findings.append(Finding(rule="sepa.identifier", reason=REASON, message=problem,
                                        location=location, value=value))
    return findings

