"""Credit transfer initiation: batch → payment information blocks → transactions."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from gateway.domain.money import Money, known
from gateway.domain.parties import Account, Agent, Party


@dataclass(frozen=True, slots=True)
class Remittance:
    unstructured: tuple[str, ...] = ()
    creditor_reference: str | None = None
    """Structured creditor reference (RF... or national), CdtrRefInf/Ref."""
    creditor_reference_type: str | None = None
    """CdtrRefInf/Tp/CdOrPrtry/Cd, e.g. SCOR."""
    creditor_reference_issuer: str | None = None


@dataclass(frozen=True, slots=True)
class CreditTransfer:
    end_to_end_id: str
    amount: Money
    instruction_id: str | None = None
    uetr: str | None = None
    charge_bearer: str | None = None
    creditor_agent: Agent | None = None
    creditor: Party | None = None
    creditor_account: Account | None = None
    ultimate_debtor: Party | None = None
    ultimate_creditor: Party | None = None
    purpose: str | None = None
    category_purpose: str | None = None
    remittance: Remittance | None = None


@dataclass(frozen=True, slots=True)
class PaymentInformation:
    payment_information_id: str
    requested_execution_date: date
    debtor: Party
    debtor_account: Account
    debtor_agent: Agent
    transactions: tuple[CreditTransfer, ...]
    payment_method: str = "TRF"
    batch_booking: bool | None = None
    number_of_transactions: int | None = None
    """As declared in the file; None means 'compute when building'."""
    control_sum: Decimal | None = None
    instruction_priority: str | None = None
    service_level: str | None = None
    local_instrument: str | None = None
    category_purpose: str | None = None
    charge_bearer: str | None = None
    ultimate_debtor: Party | None = None

    @property
    def computed_number_of_transactions(self) -> int:
        return len(self.transactions)

    @property
    def computed_control_sum(self) -> Decimal:
        return sum((t.amount.value for t in self.transactions if known(t.amount)), Decimal(0))

    @property
    def amounts_known(self) -> bool:
        return all(known(t.amount) for t in self.transactions)


@dataclass(frozen=True, slots=True)
class PaymentBatch:
    """A pain.001 document: one message from an initiating party to its bank."""

    message_id: str
    creation_date_time: datetime
    initiating_party: Party
    payment_informations: tuple[PaymentInformation, ...]
    number_of_transactions: int | None = None
    control_sum: Decimal | None = None

    @property
    def transactions(self):
        for info in self.payment_informations:
            yield from info.transactions

    @property
    def computed_number_of_transactions(self) -> int:
        return sum(len(p.transactions) for p in self.payment_informations)

    @property
    def computed_control_sum(self) -> Decimal:
        return sum((p.computed_control_sum for p in self.payment_informations), Decimal(0))

    def with_control_figures(self, *, only_missing: bool = False) -> "PaymentBatch":
        """A copy whose declared NbOfTxs/CtrlSum (batch and blocks) are the computed ones;
        with ``only_missing`` figures already declared are kept (and left to validation)."""
        if only_missing and self._declares_control_figures():
            return self

        def pick(declared, computed):
            return declared if only_missing and declared is not None else computed

        infos = tuple(
            replace(p, number_of_transactions=pick(p.number_of_transactions, p.computed_number_of_transactions),
                    control_sum=pick(p.control_sum, p.computed_control_sum))
            for p in self.payment_informations
        )
        batch = replace(self, payment_informations=infos)
        return replace(batch,
                       number_of_transactions=pick(self.number_of_transactions, batch.computed_number_of_transactions),
                       control_sum=pick(self.control_sum, batch.computed_control_sum))

    def _declares_control_figures(self) -> bool:
        return (self.number_of_transactions is not None and self.control_sum is not None
                and all(p.number_of_transactions is not None and p.control_sum is not None
                        for p in self.payment_informations))
