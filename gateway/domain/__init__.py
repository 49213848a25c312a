"""The canonical model every format is translated to and from.

Plain, immutable, typed objects: no XML, no JSON, no database.  Money is
always a ``Decimal`` with its ISO 4217 currency; never a float.
"""

from gateway.domain.errors import GatewayError, InvalidInput
from gateway.domain.findings import Finding, Severity
from gateway.domain.money import Money, minor_units
from gateway.domain.parties import Account, Agent, Party, PostalAddress
from gateway.domain.payments import (
    CreditTransfer,
    PaymentBatch,
    PaymentInformation,
    Remittance,
)
from gateway.domain.returns import PaymentReturn, ReturnedTransaction, ReturnReason
from gateway.domain.statements import (
    Balance,
    BankTransactionCode,
    Entry,
    EntryTransaction,
    Report,
    ReportKind,
    ReturnInfo,
    Statement,
    TransactionsSummary,
)
from gateway.domain.status import (
    PaymentInformationStatus,
    StatusReason,
    StatusReport,
    TransactionStatus,
)

__all__ = [
    "Account", "Agent", "Balance", "BankTransactionCode", "CreditTransfer", "Entry",
    "EntryTransaction", "Finding", "GatewayError", "InvalidInput", "Money", "Party",
    "PaymentBatch", "PaymentInformation", "PaymentInformationStatus", "PaymentReturn", "PostalAddress",
    "Remittance", "Report", "ReportKind", "ReturnInfo", "ReturnReason", "ReturnedTransaction", "Severity", "Statement",
    "StatusReason", "StatusReport", "TransactionStatus", "TransactionsSummary", "minor_units",
]
