"""Bank files and payments the routing tests share.

IBANs are the IBAN registry's examples (and mock-bank's own, see
/work/shared/reference/mock-bank.md); the bank code each carries is read off the
registry's format by hand: NL 4 letters after the check digits (NL91 ABNA ...),
DE 8 digits (DE89 37040044 ...), GB 4 letters (GB29 NWBK ...)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from gateway.domain.money import Money
from gateway.domain.parties import Account, Agent, Party
from gateway.domain.payments import CreditTransfer, PaymentBatch, PaymentInformation, Remittance

NL_ABNA = "NL91ABNA0417164300"
DE_COBA = "DE89370400440532013000"
GB_NWBK = "GB29NWBK60161331926819"
NL_MOCK = "NL41MOCK0000000001"
NL_MOCK_NOT_HELD = "NL30MOCK0000000005"
FR_IBAN = "FR1420041010050500013M02606"
CH_IBAN = "CH9300762011623852957"          # Switzerland: SEPA zone, not EU
TR_IBAN = "TR330006100519786457841326"     # Turkey: outside the SEPA zone

ABN_BANK = """
name = "ABN Test"
bics = ["ABNANL2A"]
currencies = ["EUR", "USD"]

[[iban]]
country = "NL"
bank_code = "ABNA"

[messages]
pain001 = ["pain.001.001.09", "pain.001.001.03"]

[connector]
type = "sandbox"
"""

COBA_BANK = """
name = "Coba Test"
bics = ["COBADEFF"]
currencies = ["EUR"]

[[iban]]
country = "DE"
bank_code = "37040044"

[messages]
pain001 = ["pain.001.001.03"]

[connector]
type = "file-drop"
"""

NWBK_BANK = """
name = "NatWest Test"
bics = ["NWBKGB2LXXX"]
currencies = ["GBP", "EUR"]

[[iban]]
country = "GB"
bank_code = "NWBK"

[messages]
pain001 = ["pain.001.001.09"]

[connector]
type = "bank-api"
"""

MOCK_BANK = """
name = "Mock Test"
bics = ["MOCKNL2A"]
currencies = ["EUR"]

[[iban]]
country = "NL"
bank_code = "MOCK"

[messages]
pain001 = ["pain.001.001.09", "pain.001.001.03"]

[connector]
type = "iso20022-http"
base_url = "http://127.0.0.1:1"
"""


def write(directory: Path, bank_id: str, text: str) -> Path:
    path = directory / f"{bank_id}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def tx(e2e: str = "E2E-1", amount: str = "100.00", currency: str = "EUR", iban: str | None = NL_MOCK,
       bic: str | None = None, **kwargs) -> CreditTransfer:
    fields = dict(creditor=Party(name="Creditor BV"), creditor_account=Account(iban=iban) if iban else None,
                  creditor_agent=Agent(bic=bic) if bic else None,
                  remittance=Remittance(unstructured=("Invoice 4711",)))
    return CreditTransfer(end_to_end_id=e2e, amount=Money(Decimal(amount), currency), **{**fields, **kwargs})


def block(*transactions: CreditTransfer, iban: str = NL_ABNA, bic: str | None = "ABNANL2A",
          pmtinf_id: str = "PMT-1", **kwargs) -> PaymentInformation:
    fields = dict(debtor=Party(name="Debtor BV"), debtor_account=Account(iban=iban), debtor_agent=Agent(bic=bic))
    return PaymentInformation(payment_information_id=pmtinf_id, requested_execution_date=date(2026, 9, 30),
                              transactions=transactions or (tx(),), **{**fields, **kwargs})


def batch(*blocks: PaymentInformation, **kwargs) -> PaymentBatch:
    return PaymentBatch(message_id="MSG-1", creation_date_time=datetime(2026, 9, 29, 9, 0),
                        initiating_party=Party(name="Debtor BV"), payment_informations=blocks or (block(),),
                        **kwargs)


def summary(findings) -> list[tuple]:
    return [(f.rule, f.reason, f.location) for f in findings]
