"""Accounts, ids and XML readers the operation tests share.

IBANs are the IBAN registry's published examples (their check digits are the
registry's, not computed here); BICs are the banks' published ones: ABN AMRO
ABNANL2A, ING INGBNL2A, Commerzbank COBADEFF, La Banque Postale PSSTFRPP."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from lxml import etree

from gateway.domain.parties import Account, Agent, Party
from gateway.mapping.operations import Endpoint, OperationContext

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 23)
CREATED = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
VERSIONS = ("pain.001.001.09", "pain.001.001.03")

WALLET = Party(name="Example Wallet BV")
SETTLEMENT_IBAN = "NL91ABNA0417164300"      # Netherlands, ABN AMRO (bank code ABNA)
COLLECTION_IBAN = "NL20INGB0001234567"      # Netherlands, ING (bank code INGB)
ALICE_DE_IBAN = "DE89370400440532013000"    # Germany, Commerzbank (BLZ 37040044)
ALICE_FR_IBAN = "FR1420041010050500013M02606"  # France, La Banque Postale
MERCHANT_IBAN = "DE75512108001245126199"    # Germany
SHOP_NL_IBAN = "NL02ABNA0123456789"         # Netherlands
GB_IBAN = "GB29NWBK60161331926819"          # United Kingdom: SEPA zone, not euro area
TR_IBAN = "TR330006100519786457841326"      # Turkey: has IBANs, outside the SEPA zone
BE_IBAN = "BE68539007547034"                # Belgium: bank code 539 has no BIC in schwifty's registry

# The wallet's settlement account has no BIC on record: the assembler must find ABNANL2A from the IBAN.
SETTLEMENT = Endpoint(WALLET, Account(iban=SETTLEMENT_IBAN, currency="EUR"), Agent())
COLLECTION = Endpoint(WALLET, Account(iban=COLLECTION_IBAN, currency="EUR"), Agent(bic="INGBNL2A"))
ALICE = Party(name="Alice Martin")
ALICE_DE = Endpoint(ALICE, Account(iban=ALICE_DE_IBAN, currency="EUR"), Agent(bic="COBADEFFXXX"))
ALICE_FR = Endpoint(ALICE, Account(iban=ALICE_FR_IBAN, currency="EUR"), Agent(bic="PSSTFRPP"))


def context(*, wallet: dict[str, Endpoint] | None = None, consent: tuple[Endpoint, ...] = (ALICE_DE,),
            today: date = TODAY) -> OperationContext:
    wallet = {"settlement": SETTLEMENT, "collection": COLLECTION} if wallet is None else wallet
    return OperationContext(wallet=wallet, consent_accounts=consent, today=today)


def counter(prefix: str) -> Callable[[], str]:
    numbers = itertools.count(1)
    return lambda: f"{prefix}-{next(numbers)}"


def merchant(**overrides) -> dict:
    return {"name": "Bakkerij de Zon", "iban": SHOP_NL_IBAN,
            "address": {"street_name": "Oudegracht", "building_number": "12", "post_code": "3511 AB",
                        "town_name": "Utrecht", "country": "NL"}, **overrides}


def local(element: str) -> str:
    return f"*[local-name()='{element}']"


def read(xml: bytes) -> dict:
    """The figures a test compares with hand-computed ones, read from the written XML."""
    root = etree.fromstring(xml)
    header = root.xpath(f"/{local('Document')}/{local('CstmrCdtTrfInitn')}/{local('GrpHdr')}")[0]

    def text(node, path: str) -> str | None:
        found = node.xpath("/".join(local(p) for p in path.split("/")))
        return found[0].text if found else None

    blocks = []
    for info in root.xpath(f"//{local('PmtInf')}"):
        blocks.append({
            "id": text(info, "PmtInfId"), "n": text(info, "NbOfTxs"), "sum": text(info, "CtrlSum"),
            "service_level": text(info, "PmtTpInf/SvcLvl/Cd"), "category_purpose": text(info, "PmtTpInf/CtgyPurp/Cd"),
            "charge_bearer": text(info, "ChrgBr"), "debtor_iban": text(info, "DbtrAcct/Id/IBAN"),
            "debtor_bic": text(info, "DbtrAgt/FinInstnId/BICFI") or text(info, "DbtrAgt/FinInstnId/BIC"),
            "date": text(info, "ReqdExctnDt/Dt") or text(info, "ReqdExctnDt"),
            "transactions": [{"e2e": text(tx, "PmtId/EndToEndId"), "amount": text(tx, "Amt/InstdAmt"),
                              "currency": tx.xpath(f"{local('Amt')}/{local('InstdAmt')}/@Ccy")[0],
                              "charge_bearer": text(tx, "ChrgBr"), "creditor_iban": text(tx, "CdtrAcct/Id/IBAN"),
                              "creditor_name": text(tx, "Cdtr/Nm"), "purpose": text(tx, "Purp/Cd")}
                             for tx in info.xpath(local("CdtTrfTxInf"))],
        })
    return {"n": text(header, "NbOfTxs"), "sum": text(header, "CtrlSum"), "blocks": blocks}
