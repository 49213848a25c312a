"""Plausibility rules for payment status reports (pain.002).

From pain.002.001.10 on, status and reason codes are external code sets, typed
in the XSD only as 1-4 characters, so a bank's typo passes the schema.

* ``status.unknown_code`` (warning, no reason code): a status outside the ISO
  external code set for its level.  A warning, not an error, because the set
  grows with each quarterly release and an unknown code may simply be new.
* ``status.reason_code`` (FF01): a reason code that is not 4 upper-case letters or
  digits, the shape every ExternalStatusReason1Code has.
* ``status.rejected_without_reason`` (warning): RJCT with no reason on its own
  level, on an enclosing one (group, then payment information) nor, for a group or
  block, on the transactions it holds; the customer cannot act on an unexplained
  rejection.
"""

from __future__ import annotations

import re

from gateway.domain.findings import Finding, Severity
from gateway.domain.rules._walk import Location
from gateway.domain.status import StatusReason, StatusReport

# ExternalPaymentGroupStatus1Code (group and payment-information level).
GROUP_STATUSES = frozenset({"ACCC", "ACCP", "ACSC", "ACSP", "ACTC", "ACWC", "PART", "PDNG",
                            "RCVC", "RCVD", "RJCT", "RVCM", "RVNC"})
# ExternalPaymentTransactionStatus1Code.
TRANSACTION_STATUSES = frozenset({"ACCC", "ACCP", "ACFC", "ACFW", "ACIS", "ACPD", "ACSC", "ACSP",
                                  "ACTC", "ACWC", "ACWP", "BLCK", "CANC", "CPUC", "PATC", "PDNG",
                                  "PRES", "RCVC", "RCVD", "RJCT", "RVCM", "RVMC", "RVNA", "RVNC",
                                  "RVNM"})
_REASON_CODE = re.compile(r"[A-Z0-9]{4}")


def _has_reason(reasons: tuple[StatusReason, ...]) -> bool:
    return any(r.code or r.proprietary or r.additional_info for r in reasons)


def _level(status: str | None, reasons: tuple[StatusReason, ...], known: frozenset[str],
           base: Location, status_field: str, reasons_field: str, explained: bool) -> list[Finding]:
    findings = []
    if status is not None and status not in known:
        findings.append(Finding(rule="status.unknown_code", severity=Severity.WARNING,
                                location=base + (status_field,), value=status,
                                message=f"{status!r} is not a known ISO 20022 status code at this level"))
    if status == "RJCT" and not explained:
        findings.append(Finding(rule="status.rejected_without_reason", severity=Severity.WARNING,
                                location=base + (status_field,), value=status,
                                message="rejected without a status reason"))
    for k, reason in enumerate(reasons):
        if reason.code is not None and not _REASON_CODE.fullmatch(reason.code):
            findings.append(Finding(rule="status.reason_code", reason="FF01",
                                    location=base + (reasons_field, k, "code"), value=reason.code,
                                    message=f"{reason.code!r} is not a 4-character reason code such as AC01"))
    return findings


def _explained_below(info) -> bool:
    """A block rejected because of its transactions (the EPC reject message) is explained by them."""
    return _has_reason(info.reasons) or any(_has_reason(tx.reasons) for tx in info.transactions)


def check_status_report(report: StatusReport) -> list[Finding]:
    group_explained = _has_reason(report.group_reasons)
    findings = _level(report.group_status, report.group_reasons, GROUP_STATUSES, (),
                      "group_status", "group_reasons",
                      group_explained or any(_explained_below(info) for info in report.payment_informations))
    for i, info in enumerate(report.payment_informations):
        block = ("payment_informations", i)
        info_explained = group_explained or _has_reason(info.reasons)
        findings += _level(info.status, info.reasons, GROUP_STATUSES, block,
                           "status", "reasons", info_explained or _explained_below(info))
        for j, tx in enumerate(info.transactions):
            findings += _level(tx.status, tx.reasons, TRANSACTION_STATUSES, block + ("transactions", j),
                               "status", "reasons", info_explained or _has_reason(tx.reasons))
    return findings
