"""``POST /ledger/camt.053``: a wallet account's day (examples/ledger.json) as an XSD-valid
camt.053 whose balances are the ones computed here by hand."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from gateway.iso20022 import validate
from tests.payments.conftest import consent_token, wallet_token

LEDGER = json.loads((Path(__file__).resolve().parents[2] / "examples" / "ledger.json").read_text(encoding="utf-8"))
# examples/ledger.json: opening 10000.00; DBIT 125.00, DBIT 19.99, CRDT 250.00
OPENING = Decimal("10000.00")
CLOSING = Decimal("10000.00") - Decimal("125.00") - Decimal("19.99") + Decimal("250.00")  # 10105.01
assert CLOSING == Decimal("10105.01")


def balances(xml: bytes) -> dict[str, tuple[Decimal, str, str]]:
    """code → (amount, CRDT/DBIT, currency) of every Bal of the statement."""
    root = etree.fromstring(xml)
    ns = {"c": root.nsmap[None]}
    out = {}
    for bal in root.iterfind(".//c:Stmt/c:Bal", ns):
        code = bal.findtext("c:Tp/c:CdOrPrtry/c:Cd", namespaces=ns)
        amount = bal.find("c:Amt", ns)
        out[code] = (Decimal(amount.text), bal.findtext("c:CdtDbtInd", namespaces=ns), amount.get("Ccy"))
    return out


@pytest.mark.parametrize("version, namespace", [(None, "camt.053.001.08"), ("08", "camt.053.001.08"),
                                                ("02", "camt.053.001.02")])
def test_the_ledger_becomes_a_valid_statement_that_adds_up(client, wallet, version, namespace):
    path = "/ledger/camt.053" + (f"?version={version}" if version else "")
    answer = client.post(path, json=LEDGER, headers=wallet_token(client, wallet))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.mimetype == "application/xml"
    xml = answer.get_data()
    report = validate(xml)
    assert report.errors == [] and str(report.message) == namespace
    assert balances(xml) == {"OPBD": (OPENING, "CRDT", "EUR"), "CLBD": (CLOSING, "CRDT", "EUR")}

    root = etree.fromstring(xml)
    ns = {"c": root.nsmap[None]}
    entries = [(Decimal(e.findtext("c:Amt", namespaces=ns)), e.findtext("c:CdtDbtInd", namespaces=ns))
               for e in root.iterfind(".//c:Ntry", ns)]
    assert entries == [(Decimal("125.00"), "DBIT"), (Decimal("19.99"), "DBIT"), (Decimal("250.00"), "CRDT")]
    assert root.findtext(".//c:Stmt/c:Acct/c:Id/c:IBAN", namespaces=ns) == "NL91ABNA0417164300"
    summary = root.find(".//c:TxsSummry/c:TtlNtries", ns)
    assert summary.findtext("c:NbOfNtries", namespaces=ns) == "3"
    assert Decimal(summary.findtext("c:Sum", namespaces=ns)) == Decimal("394.99")  # 125.00 + 19.99 + 250.00
    # the net entry is TtlNetNtry/Amt + CdtDbtInd since .08, TtlNetNtryAmt + CdtDbtInd in .02 (the XSDs)
    net = ("c:TtlNetNtry/c:Amt", "c:TtlNetNtry/c:CdtDbtInd") if namespace.endswith("08") else \
        ("c:TtlNetNtryAmt", "c:CdtDbtInd")
    assert Decimal(summary.findtext(net[0], namespaces=ns)) == Decimal("105.01")  # 250.00 - 125.00 - 19.99
    assert summary.findtext(net[1], namespaces=ns) == "CRDT"


def test_a_day_that_ends_below_zero(client, wallet):
    ledger = copy.deepcopy(LEDGER)
    ledger["opening_balance"] = "100.00"  # 100.00 - 125.00 - 19.99 + 250.00 = 205.01
    ledger["bookings"][2]["amount"] = "50.00"  # 100.00 - 125.00 - 19.99 + 50.00 = 5.01
    ledger["bookings"][1]["amount"] = "29.99"  # 100.00 - 125.00 - 29.99 + 50.00 = -4.99
    answer = client.post("/ledger/camt.053", json=ledger, headers=wallet_token(client, wallet))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert validate(answer.get_data()).errors == []
    assert balances(answer.get_data())["CLBD"] == (Decimal("4.99"), "DBIT", "EUR")


def test_an_unknown_version_is_400(client, wallet):
    answer = client.post("/ledger/camt.053?version=99", json=LEDGER, headers=wallet_token(client, wallet))
    assert answer.status_code == 400 and answer.json["code"] == "invalid_parameter"


@pytest.mark.parametrize("change", [
    lambda ledger: ledger.pop("opening_balance"),
    lambda ledger: ledger.update(opening_balance=10000.0),
    lambda ledger: ledger["bookings"][0].update(amount="-125.00"),
    lambda ledger: ledger["bookings"][0].update(credit_debit="DEBIT"),
    lambda ledger: ledger.update(date="2026-02-30"),
    lambda ledger: ledger.update(account=42),
    lambda ledger: ledger.update(bookings="none"),
])
def test_an_unusable_ledger_is_422(client, wallet, change):
    ledger = copy.deepcopy(LEDGER)
    change(ledger)
    answer = client.post("/ledger/camt.053", json=ledger, headers=wallet_token(client, wallet))
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert answer.json["findings"]


def test_the_wallet_scope_is_needed(client, wallet, app, clock):
    headers, _ = consent_token(client, app, wallet, clock)
    answer = client.post("/ledger/camt.053", json=LEDGER, headers=headers)
    assert answer.status_code == 403 and answer.json["code"] == "insufficient_scope"
    assert client.post("/ledger/camt.053", json=LEDGER).status_code == 401
