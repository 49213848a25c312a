"""pain.001 files for the connector tests, built by the gateway itself (XSD-checked) and
addressed to mock-bank's seeded accounts: ACME pays an account the bank does not hold."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from gateway.connectors.base import OutgoingFile
from gateway.domain import (
    Account,
    Agent,
    CreditTransfer,
    Money,
    Party,
    PaymentBatch,
    PaymentInformation,
)
from gateway.iso20022 import build

DEBTOR_IBAN = "NL41MOCK0000000001"  # ACME at mock-bank, 125,000.00 EUR, behaviour "accept"
DEBTOR_BIC = "MOCKNL2A"
CREDITOR_IBAN = "NL30MOCK0000000005"  # valid, not held by the bank: payments to it settle
BANK_DAY = date(2026, 9, 28)  # mock-bank's --clock day in tests/mockbank.py


def pain001(message_id: str, *, amounts: tuple[str, ...] = ("12.50",), version: str = "pain.001.001.09",
            execution_date: date = BANK_DAY) -> OutgoingFile:
    batch = PaymentBatch(
        message_id=message_id,
        creation_date_time=datetime(2026, 9, 28, 8, 30),
        initiating_party=Party(name="ACME"),
        payment_informations=(PaymentInformation(
            payment_information_id=f"{message_id}-P1",
            requested_execution_date=execution_date,
            debtor=Party(name="ACME"),
            debtor_account=Account(iban=DEBTOR_IBAN),
            debtor_agent=Agent(bic=DEBTOR_BIC),
            transactions=tuple(
                CreditTransfer(end_to_end_id=f"{message_id}-E{n}", amount=Money(Decimal(amount), "EUR"),
                               creditor=Party(name="Payee B.V."), creditor_account=Account(iban=CREDITOR_IBAN))
                for n, amount in enumerate(amounts, start=1)),
        ),),
    )
    return OutgoingFile(message_id=message_id, message=version, xml=build(batch, version))
