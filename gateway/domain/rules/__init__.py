"""Business rules the XSD cannot express, as pure functions over the canonical model.

Every rule returns ``Finding`` objects with a stable dotted ``rule`` id, an ISO 20022
external status reason code where one fits, and a ``location`` into the model that
the message layer turns into an XPath.  No XML here: the same rules apply whatever
format a payment or statement arrived in.
"""

from gateway.domain.rules.identifiers import bic_problem, iban_problem
from gateway.domain.rules.payments import check_batch
from gateway.domain.rules.profiles import GENERIC, RuleProfile, load_profile
from gateway.domain.rules.statements import StatementChecker, check_report
from gateway.domain.rules.status import check_status_report

__all__ = [
    "GENERIC", "RuleProfile", "StatementChecker", "bic_problem", "check_batch", "check_report",
    "check_status_report", "iban_problem", "load_profile",
]
