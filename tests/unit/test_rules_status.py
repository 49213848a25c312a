"""pain.002 plausibility: known status codes per level, reason code shape, RJCT with a reason.
Code lists: ISO 20022 ExternalPaymentGroupStatus1Code / ExternalPaymentTransactionStatus1Code."""

from datetime import datetime

import pytest

from gateway.domain.findings import Severity
from gateway.domain.rules import check_status_report
from gateway.domain.status import PaymentInformationStatus, StatusReason, StatusReport, TransactionStatus

AC04 = (StatusReason(code="AC04"),)


def report(group_status="PART", group_reasons=(), infos=None):
    infos = infos if infos is not None else (PaymentInformationStatus(
        original_payment_information_id="PMT-1", status="PART", transactions=(
            TransactionStatus(original_end_to_end_id="E2E-1", status="ACSP"),
            TransactionStatus(original_end_to_end_id="E2E-2", status="RJCT", reasons=AC04),
        )),)
    return StatusReport(message_id="STS-1", creation_date_time=datetime(2025, 3, 10, 10, 0),
                        original_message_id="MSG-1", original_message_name_id="pain.001.001.09",
                        group_status=group_status, group_reasons=group_reasons, payment_informations=infos)


def summary(findings):
    return [(f.rule, f.reason, f.severity, f.location) for f in findings]


def test_a_plausible_report_has_no_findings():
    assert check_status_report(report()) == []


@pytest.mark.parametrize("status", ["RCVD", "ACTC", "ACCP", "ACSP", "ACSC", "ACWC", "PDNG", "PART", "RJCT"])
def test_known_group_statuses(status):
    reasons = AC04 if status == "RJCT" else ()
    assert check_status_report(report(status, reasons, infos=())) == []


@pytest.mark.parametrize("status", ["ACWP", "ACFC", "BLCK", "CANC", "ACCC", "PDNG", "RJCT"])
def test_known_transaction_statuses(status):
    tx = TransactionStatus(status=status, reasons=AC04)
    infos = (PaymentInformationStatus(original_payment_information_id="P", transactions=(tx,)),)
    assert check_status_report(report("ACCP", infos=infos)) == []


def test_unknown_status_codes_warn():
    tx = TransactionStatus(status="PART")  # PART exists for groups only
    infos = (PaymentInformationStatus(original_payment_information_id="P", status="ACPT", transactions=(tx,)),)
    assert summary(check_status_report(report("OK", infos=infos))) == [
        ("status.unknown_code", None, Severity.WARNING, ("group_status",)),
        ("status.unknown_code", None, Severity.WARNING, ("payment_informations", 0, "status")),
        ("status.unknown_code", None, Severity.WARNING, ("payment_informations", 0, "transactions", 0, "status")),
    ]


def test_rejection_without_reason_warns_at_each_level():
    tx = TransactionStatus(status="RJCT")
    infos = (PaymentInformationStatus(original_payment_information_id="P", status="RJCT", transactions=(tx,)),)
    assert summary(check_status_report(report("RJCT", infos=infos))) == [
        ("status.rejected_without_reason", None, Severity.WARNING, ("group_status",)),
        ("status.rejected_without_reason", None, Severity.WARNING, ("payment_informations", 0, "status")),
        ("status.rejected_without_reason", None, Severity.WARNING,
         ("payment_informations", 0, "transactions", 0, "status")),
    ]


def test_a_reason_on_an_enclosing_level_explains_the_rejection():
    tx = TransactionStatus(status="RJCT")
    infos = (PaymentInformationStatus(original_payment_information_id="P", status="RJCT", transactions=(tx,)),)
    assert check_status_report(report("RJCT", (StatusReason(code="FF01"),), infos=infos)) == []
    narrative = (StatusReason(additional_info=("IBAN unknown",)),)
    infos = (PaymentInformationStatus(original_payment_information_id="P", status="RJCT", reasons=narrative,
                                      transactions=(tx,)),)
    assert check_status_report(report("PART", infos=infos)) == []


def test_a_block_rejected_for_its_transactions_is_explained_by_them():
    """The EPC reject message: block and group RJCT, the reason (AC04) only on the transaction."""
    tx = TransactionStatus(original_end_to_end_id="E2E-1", status="RJCT", reasons=AC04)
    infos = (PaymentInformationStatus(original_payment_information_id="P", status="RJCT", transactions=(tx,)),)
    assert check_status_report(report("RJCT", infos=infos)) == []


@pytest.mark.parametrize("code", ["AC1", "ac01", "AC011", "AC 1", ""])
def test_reason_codes_must_look_like_codes(code):
    reasons = (StatusReason(code="AM04"), StatusReason(code=code))
    assert summary(check_status_report(report("RJCT", reasons, infos=()))) == [
        ("status.reason_code", "FF01", Severity.ERROR, ("group_reasons", 1, "code"))]


def test_proprietary_reasons_are_not_judged():
    assert check_status_report(report("RJCT", (StatusReason(proprietary="x-42"),), infos=())) == []
