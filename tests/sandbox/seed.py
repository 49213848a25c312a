"""The sandbox the tests use: accounts whose balances the tests compute by hand.

Accounts (all valid IBANs; check digits from schwifty and mod 97):
    PAYER      NL91ABNA0417164300  EUR  1000.00
    PAYEE      NL13ABNA1000000001  EUR    50.00
    CLOSED     NL83ABNA1000000002  EUR     0.00  closed
    POUNDS     GB29NWBK60161331926819  GBP  300.00
Not held: EXTERNAL FR1420041010050500013M02606 (settles elsewhere), NOT_HELD NL56ABNA1000000003.
The bank date starts on Monday 2026-11-23.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gateway.connectors.base import OutgoingFile
from gateway.connectors.sandbox import SandboxConnector

PAYER, PAYEE, CLOSED, POUNDS = ("NL91ABNA0417164300", "NL13ABNA1000000001", "NL83ABNA1000000002",
                                "GB29NWBK60161331926819")
EXTERNAL, NOT_HELD = "FR1420041010050500013M02606", "NL56ABNA1000000003"
START = "2026-11-23"  # a Monday

ACCOUNTS = [
    {"iban": PAYER, "currency": "EUR", "balance": "1000.00", "name": "Payer current", "owner": "Payer",
     "bic": "ABNANL2A"},
    {"iban": PAYEE, "currency": "EUR", "balance": "50.00", "name": "Payee current", "owner": "Payee",
     "bic": "ABNANL2A"},
    {"iban": CLOSED, "currency": "EUR", "balance": "0.00", "name": "Closed", "closed": True},
    {"iban": POUNDS, "currency": "GBP", "balance": "300.00", "name": "Pounds", "bic": "NWBKGB2L"},
]


def settings_for(state: Path, **overrides: Any) -> dict[str, Any]:
    return {"type": "sandbox", "state": str(state), "start_date": START, "accounts": ACCOUNTS,
            "pain001": ["pain.001.001.09", "pain.001.001.03"], "currencies": ["EUR", "GBP"], **overrides}


def send(bank: SandboxConnector, xml: bytes, message_id: str = "unused", version: str = "pain.001.001.09"):
    return bank.submit(OutgoingFile(message_id=message_id, message=version, xml=xml))


def balances(bank: SandboxConnector) -> dict[str, str]:
    return {a.iban: str(a.balance) for a in bank.accounts()}


def of_type(bank: SandboxConnector, family: str, **where: Any) -> list:
    return [m for m in bank.messages() if m.family == family and all(getattr(m, k) == v for k, v in where.items())]
