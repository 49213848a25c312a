"""Account and bank identifiers: IBAN (ISO 13616) and BIC (ISO 9362); and the structured
creditor reference (ISO 11649, ``RF...``) that identifies what a payment pays.

The XSD checks only their shape with a regular expression.  Whether an IBAN has
the right length for its country, a BBAN in that country's format and correct
check digits needs the IBAN registry, which ``schwifty`` carries.  Each problem
gets its own rule id so that a typo (``iban.checksum``) is told apart from a
missing or extra character (``iban.length``).

Reason codes: AC01 (IncorrectAccountNumber) for IBANs, RC01 (BankIdentifierIncorrect)
for BICs, RR09 (InvalidStructuredCreditorReference) for creditor references.

An RF reference carries two mod 97 check digits like an IBAN, so a mistyped invoice
reference can be caught before the bank, or worse the creditor's reconciliation,
meets it; ``python-stdnum`` checks them.  Only a reference that says it is one (``RF``
and two digits) is checked: the national structured references a creditor may also
give (Finnish, Belgian, Norwegian...) have check digits of their own that the gateway
does not know, and are passed on as given.
"""

from __future__ import annotations

import re
from functools import lru_cache

from schwifty import BIC, IBAN, exceptions
from stdnum import iso11649
from stdnum.exceptions import InvalidChecksum, InvalidLength, ValidationError

from gateway.domain.findings import Finding
from gateway.domain.parties import Account, Agent, Party
from gateway.domain.rules._walk import Location, Nodes, walk

IBAN_REASON = "AC01"
BIC_REASON = "RC01"

# Electronic format (ISO 13616): no separators, upper case, at most 34 characters.
_IBAN_SHAPE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}")
# ISO 9362:2014 and later: 4 alphanumeric party prefix, 2-letter country, 2 location, optional 3 branch.
# This is also the pattern of the 2019 XSDs (BICFIDec2014Identifier).
_BIC_SHAPE = re.compile(r"[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?")
# Country codes SWIFT issues BICs for that are not (yet) in ISO 3166-1: Kosovo.
_BIC_EXTRA_COUNTRIES = frozenset({"XK"})
# ISO 11649: "RF", 2 check digits, then the creditor's reference (letters and digits, ASCII only:
# python-stdnum would also take other scripts' digits, which no bank does).
_RF_START = re.compile(r"RF[0-9]{2}")
_RF_CHARACTERS = re.compile(r"RF[0-9]{2}[A-Z0-9]*")


@lru_cache(maxsize=65536)  # statements repeat the same counterparties thousands of times
def iban_issue(value: str) -> tuple[str, str] | None:
    """``(rule, message)`` for the first thing wrong with ``value`` as an IBAN, or None."""
    if not _IBAN_SHAPE.fullmatch(value):
        if any(ch.isspace() for ch in value):
            return "iban.format", "IBAN must be written without spaces (electronic format)"
        return "iban.format", ("IBAN must be 2 upper-case letters, 2 check digits and up to "
                               "30 upper-case letters or digits")
    country = value[:2]
    try:
        IBAN(value)
    except exceptions.InvalidCountryCode:
        return "iban.country", f"{country} is not a country in the IBAN registry"
    except exceptions.InvalidLength:
        expected = IBAN(value, allow_invalid=True).spec.iban_length
        return "iban.length", (f"an IBAN from {country} has {expected} characters, this one has "
                               f"{len(value)}: a character is missing or extra")
    except exceptions.InvalidStructure:
        spec = IBAN(value, allow_invalid=True).spec.bban_spec
        return "iban.structure", (f"the account part does not follow the {country} format {spec} "
                                  "(n digits, a letters, c letters or digits)")
    except exceptions.InvalidChecksumDigits:
        return "iban.checksum", ("IBAN check digits do not match (ISO 7064 mod 97-10): a character "
                                 "is probably mistyped or two are swapped")
    except exceptions.SchwiftyException as exc:  # any other registry complaint
        return "iban.format", f"not a valid IBAN: {exc}"
    return None


@lru_cache(maxsize=65536)
def bic_issue(value: str) -> tuple[str, str] | None:
    """``(rule, message)`` for the first thing wrong with ``value`` as a BIC, or None."""
    if len(value) not in (8, 11):
        return "bic.format", f"BIC must have 8 or 11 characters, this one has {len(value)}"
    if not _BIC_SHAPE.fullmatch(value):
        return "bic.format", ("BIC must be upper-case letters and digits: 4 party prefix, "
                              "2-letter country, 2 location, optional 3 branch")
    country = value[4:6]
    if country not in _BIC_EXTRA_COUNTRIES and BIC(value, allow_invalid=True).country is None:
        return "bic.country", f"{country} (characters 5-6 of the BIC) is not an ISO 3166 country code"
    return None


def creditor_reference_issue(value: str) -> tuple[str, str] | None:
    """``(rule, message)`` for the first thing wrong with ``value`` as an ISO 11649 creditor
    reference; None when it is a valid one, and for a reference that is not ``RF...`` at all."""
    electronic = iso11649.compact(value)  # upper case, without spaces and separators
    if not _RF_START.match(electronic):
        return None
    if not _RF_CHARACTERS.fullmatch(electronic):
        return "creditor_reference.format", ("an RF creditor reference has only letters A-Z and digits after RF "
                                             "and its 2 check digits")
    try:
        iso11649.validate(electronic)
    except InvalidLength:
        return "creditor_reference.length", (f"an RF creditor reference has 5 to 25 characters (RF, 2 check digits "
                                             f"and up to 21 letters or digits), this one has {len(electronic)}")
    except InvalidChecksum:
        return "creditor_reference.checksum", ("RF creditor reference check digits do not match (ISO 11649: ISO 7064 "
                                               "mod 97-10): a character is probably mistyped or two are swapped")
    except ValidationError as exc:  # any other complaint of the library
        return "creditor_reference.format", f"not a valid RF creditor reference: {exc}"
    if electronic != value:
        return "creditor_reference.format", (f"an RF creditor reference is written in upper case, without spaces "
                                             f"or separators (electronic format): {electronic}")
    return None


def iban_problem(value: str) -> str | None:
    """Why ``value`` is not a valid IBAN, or None if it is."""
    issue = iban_issue(value)
    return issue[1] if issue else None


def bic_problem(value: str) -> str | None:
    """Why ``value`` is not a valid BIC, or None if it is."""
    issue = bic_issue(value)
    return issue[1] if issue else None


def creditor_reference_problem(value: str) -> str | None:
    """Why ``value`` is not a valid creditor reference (only RF ones are checked), or None."""
    issue = creditor_reference_issue(value)
    return issue[1] if issue else None


def check_iban(value: str, location: Location) -> list[Finding]:
    issue = iban_issue(value)
    if issue is None:
        return []
    rule, message = issue
    return [Finding(rule=rule, message=message, reason=IBAN_REASON, location=location, value=value)]


def check_bic(value: str, location: Location) -> list[Finding]:
    issue = bic_issue(value)
    if issue is None:
        return []
    rule, message = issue
    return [Finding(rule=rule, message=message, reason=BIC_REASON, location=location, value=value)]


def check_identifiers(node: object, location: Location = ()) -> list[Finding]:
    """Every IBAN and BIC anywhere below ``node`` (accounts, agents, parties' BICs)."""
    return identifier_findings(walk(node, location))


def identifier_findings(nodes: Nodes) -> list[Finding]:
    """``check_identifiers`` over nodes already walked."""
    findings = []
    for where, value in nodes:
        if isinstance(value, Account) and value.iban is not None:
            findings += check_iban(value.iban, where + ("iban",))
        elif isinstance(value, Agent) and value.bic is not None:
            findings += check_bic(value.bic, where + ("bic",))
        elif isinstance(value, Party) and value.bic_or_bei is not None:
            findings += check_bic(value.bic_or_bei, where + ("bic_or_bei",))
    return findings
