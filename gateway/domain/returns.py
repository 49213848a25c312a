"""Payment returns (pacs.004): a payment that had settled comes back, days later.

A pain.002 says whether a bank *took* a payment; a return says that a payment the
bank already settled was sent back (closed account, regulatory reason, ...).  The
gateway needs one to move a payment to ``returned`` with its reason, so the model
keeps what reconciliation matches on (the original EndToEndId, InstrId, TxId,
UETR and the original file's MsgId), what came back and when, and why.

Field names follow the pain.002 model (``status.py``) where the two messages
carry the same thing, so that code matching either against a payment reads alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from gateway.domain.money import Money
from gateway.domain.parties import Account, Agent, Party
from gateway.domain.payments import Remittance


@dataclass(frozen=True, slots=True)
class ReturnReason:
    """One RtrRsnInf: why the payment came back."""

    code: str | None = None
    """ExternalReturnReason1Code (AC04 closed account, MD07 end customer deceased, ...)."""
    proprietary: str | None = None
    """A bank's own reason, where it gives no ISO code (Rsn/Prtry)."""
    additional_info: tuple[str, ...] = ()
    originator_name: str | None = None
    """Who initiated the return (Orgtr/Nm), when the bank says."""


@dataclass(frozen=True, slots=True)
class ReturnedTransaction:
    """One TxInf: a returned payment, named by the original payment's references."""

    returned_amount: Money
    """RtrdIntrBkSttlmAmt: what comes back.  Mandatory in the message, but a lenient read
    of a file without it leaves it None (and without an XSD nothing flags that yet)."""
    return_id: str | None = None
    """RtrId: the returning bank's own reference of this return."""
    original_message_id: str | None = None
    """TxInf/OrgnlGrpInf: the original file, when the return names it per transaction."""
    original_message_name_id: str | None = None
    original_instruction_id: str | None = None
    original_end_to_end_id: str | None = None
    original_transaction_id: str | None = None
    original_uetr: str | None = None
    original_settlement_amount: Money | None = None
    """OrgnlIntrBkSttlmAmt: what had settled."""
    original_settlement_date: date | None = None
    settlement_date: date | None = None
    """IntrBkSttlmDt: the day the return settles."""
    returned_instructed_amount: Money | None = None
    """RtrdInstdAmt: the amount instructed back, when charges or FX make it differ."""
    charge_bearer: str | None = None
    reasons: tuple[ReturnReason, ...] = ()
    original_amount: Money | None = None
    """OrgnlTxRef/Amt/InstdAmt: the amount the original payment instructed."""
    original_requested_execution_date: date | None = None
    original_remittance: Remittance | None = None
    debtor: Party | None = None
    debtor_account: Account | None = None
    debtor_agent: Agent | None = None
    creditor: Party | None = None
    creditor_account: Account | None = None
    creditor_agent: Agent | None = None

    @property
    def reason_code(self) -> str | None:
        """The first ISO reason code (what a payment's ``returned`` status records), else
        the first proprietary one."""
        return (next((r.code for r in self.reasons if r.code), None)
                or next((r.proprietary for r in self.reasons if r.proprietary), None))


@dataclass(frozen=True, slots=True)
class PaymentReturn:
    """A pacs.004 document: a group header, the original file it answers, and the returns."""

    message_id: str
    creation_date_time: datetime
    number_of_transactions: int | None = None
    control_sum: Decimal | None = None
    total_returned_amount: Money | None = None
    """TtlRtrdIntrBkSttlmAmt."""
    settlement_date: date | None = None
    """GrpHdr/IntrBkSttlmDt: when every return of the file settles, if they settle together."""
    settlement_method: str | None = None
    """INDA, INGA, COVE or CLRG (mock-bank: INDA, settled on its own books)."""
    original_message_id: str | None = None
    """OrgnlGrpInf/OrgnlMsgId: the MsgId of the pain.001 (or pacs.008) that is answered."""
    original_message_name_id: str | None = None
    """OrgnlGrpInf/OrgnlMsgNmId: ``pain.001.001.09`` and the like."""
    original_creation_date_time: datetime | None = None
    group_reasons: tuple[ReturnReason, ...] = ()
    """OrgnlGrpInf/RtrRsnInf: a reason given for the whole file."""
    transactions: tuple[ReturnedTransaction, ...] = ()

    @property
    def end_to_end_ids(self) -> tuple[str, ...]:
        """The original EndToEndIds returned, in document order (the reconciliation key)."""
        return tuple(t.original_end_to_end_id for t in self.transactions if t.original_end_to_end_id)
