"""Payment status reports (pain.002): group, payment-information and transaction level."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from gateway.domain.money import Money


@dataclass(frozen=True, slots=True)
class StatusReason:
    code: str | None = None
    """ExternalStatusReason1Code (AC01, AM04, ...)."""
    proprietary: str | None = None
    additional_info: tuple[str, ...] = ()
    originator_name: str | None = None


@dataclass(frozen=True, slots=True)
class TransactionStatus:
    original_end_to_end_id: str | None = None
    status: str | None = None
    reasons: tuple[StatusReason, ...] = ()
    status_id: str | None = None
    original_instruction_id: str | None = None
    original_uetr: str | None = None
    original_amount: Money | None = None
    acceptance_date_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class PaymentInformationStatus:
    original_payment_information_id: str
    status: str | None = None
    reasons: tuple[StatusReason, ...] = ()
    original_number_of_transactions: int | None = None
    original_control_sum: Decimal | None = None
    transactions: tuple[TransactionStatus, ...] = ()


@dataclass(frozen=True, slots=True)
class StatusReport:
    message_id: str
    creation_date_time: datetime
    original_message_id: str
    original_message_name_id: str
    group_status: str | None = None
    group_reasons: tuple[StatusReason, ...] = ()
    original_number_of_transactions: int | None = None
    original_control_sum: Decimal | None = None
    initiating_party_name: str | None = None
    payment_informations: tuple[PaymentInformationStatus, ...] = ()
