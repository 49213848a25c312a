"""``POST /payment-files``: a whole pain.001 under a holder's payments consent, accepted whole or
not at all — validated (XSD and rules, findings with XPaths), checked against its consent
(accounts, file hash, limits), never a MsgId twice, split per destination bank and delivered.

The banks here: the sandbox (NL/ABNA, GB/NWBK) and a second sandbox bank, ``sandbox-de``,
holding Alice's German account (DE/37040044), each with its own state file."""

from __future__ import annotations

import re

import hashlib
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from gateway.domain.money import Money
from gateway.domain.parties import Account, Agent, Party
from gateway.domain.payments import (
    CreditTransfer,
    PaymentBatch,
    PaymentInformation,
    Remittance,
)
from gateway.iso20022 import build
from tests.payments.conftest import (
    ALICE_NL,
    MERCHANT,
    consent_token,
    counts,
    german_sandbox,
    sandbox_banks,
    work,
)

ALICE_DE = "DE89370400440532013000"
BICS = {ALICE_NL: "ABNANL2A", ALICE_DE: "COBADEFFXXX"}
NOTHING = {"payments": 0, "outbox": 0, "idempotency": 0}


@pytest.fixture
def banks_dir(tmp_path):
    folder = sandbox_banks(tmp_path / "banks", tmp_path / "sandbox.db", without_german=True)
    return german_sandbox(folder, tmp_path / "sandbox-de.db")


def pain001(message_id: str, blocks: list[tuple[str, list[tuple[str, str]]]], *, day: date = date(2026, 11, 23),
            version: str = "pain.001.001.09") -> bytes:
    """A pain.001 built by the gateway's own writer: ``blocks`` is [(debtor IBAN, [(EndToEndId, amount)])],
    every payment to the merchant."""
    infos = tuple(PaymentInformation(
        payment_information_id=f"{message_id[-30:]}-B{number}", requested_execution_date=day,
        debtor=Party(name="Alice"), debtor_account=Account(iban=iban), debtor_agent=Agent(bic=BICS[iban]),
        transactions=tuple(CreditTransfer(end_to_end_id=e2e, amount=Money(Decimal(amount), "EUR"),
                                          creditor=Party(name="Bakkerij de Zon"),
                                          creditor_account=Account(iban=MERCHANT),
                                          remittance=Remittance(unstructured=(f"invoice {e2e}",)))
                           for e2e, amount in payments))
        for number, (iban, payments) in enumerate(blocks, start=1))
    batch = PaymentBatch(message_id=message_id, creation_date_time=datetime(2026, 11, 23, 8, 0, tzinfo=UTC),
                         initiating_party=Party(name="Demo Wallet"), payment_informations=infos)
    return build(batch, version)


def upload(client, headers, body: bytes, *, key: str | None = None, content_type="application/xml"):
    return client.post("/payment-files", data=body, headers={**headers, "Content-Type": content_type,
                                                             "Idempotency-Key": key or str(uuid.uuid4())})


def sandbox(app, bank_id="sandbox"):
    return app.extensions["gateway.runtime"].connector(bank_id)


def test_a_valid_file_is_accepted_whole_sent_as_uploaded_and_booked(client, wallet, app, clock):
    headers, consent_id = consent_token(client, app, wallet, clock)
    body = pain001("FILE-0001", [(ALICE_NL, [("INV-1", "12.50"), ("INV-2", "7.25")])])
    answer = upload(client, headers, body)
    assert answer.status_code == 201, answer.json
    (sent,) = answer.json["files"]
    # one bank that reads pain.001.001.09: the very bytes uploaded, under the client's MsgId
    assert sent == {"bank": "sandbox", "message_id": "FILE-0001", "message_type": "pain.001.001.09",
                    "status": "pending", "sha256": hashlib.sha256(body).hexdigest()}
    assert [(p["end_to_end_id"], p["amount"], p["status"], p["debtor"]["iban"]) for p in answer.json["payments"]] \
        == [("INV-1", "12.50", "queued", ALICE_NL), ("INV-2", "7.25", "queued", ALICE_NL)]
    assert counts(app) == {"payments": 2, "outbox": 1, "idempotency": 1}
    consent = client.get(f"/consents/{consent_id}", headers=_consents(client, wallet)).json
    assert consent["used"] == {"amount": "19.75", "count": 2}  # 12.50 + 7.25

    done = work(app, clock)
    assert done.delivered == 1
    assert {p.message_id for p in sandbox(app).payments()} == {"FILE-0001"}
    for payment in answer.json["payments"]:
        assert client.get(f"/payments/{payment['id']}", headers=headers).json["status"] == "booked"


def _consents(client, wallet):
    from tests.payments.conftest import wallet_token
    return wallet_token(client, wallet, "consents")


def test_a_file_for_two_banks_is_split_and_each_part_goes_to_its_bank(client, wallet, app, clock):
    headers, _ = consent_token(client, app, wallet, clock, ibans=(ALICE_NL, ALICE_DE))
    body = pain001("SPLIT-1", [(ALICE_NL, [("S-NL-1", "10.00")]), (ALICE_DE, [("S-DE-1", "20.00"),
                                                                              ("S-DE-2", "30.00")])])
    answer = upload(client, headers, body)
    assert answer.status_code == 201, answer.json
    files = {f["bank"]: f for f in answer.json["files"]}
    assert set(files) == {"sandbox", "sandbox-de"}
    assert (files["sandbox"]["message_id"], files["sandbox-de"]["message_id"]) == ("SPLIT-1-P1", "SPLIT-1-P2")
    banks = {p["end_to_end_id"]: (p["bank"], p["message_id"]) for p in answer.json["payments"]}
    assert banks == {"S-NL-1": ("sandbox", "SPLIT-1-P1"), "S-DE-1": ("sandbox-de", "SPLIT-1-P2"),
                     "S-DE-2": ("sandbox-de", "SPLIT-1-P2")}

    assert work(app, clock).delivered == 2
    assert sorted((p.message_id, p.end_to_end_id, p.amount) for p in sandbox(app).payments()) == \
        [("SPLIT-1-P1", "S-NL-1", Decimal("10.00"))]
    assert sorted((p.message_id, p.end_to_end_id, p.amount) for p in sandbox(app, "sandbox-de").payments()) == \
        [("SPLIT-1-P2", "S-DE-1", Decimal("20.00")), ("SPLIT-1-P2", "S-DE-2", Decimal("30.00"))]
    # the German bank's balance: 10000.00 - 20.00 - 30.00
    (german,) = [a for a in sandbox(app, "sandbox-de").accounts() if a.iban == ALICE_DE]
    assert german.balance == Decimal("9950.00")
    statuses = {p["end_to_end_id"]: client.get(f"/payments/{p['id']}", headers=headers).json["status"]
                for p in answer.json["payments"]}
    assert statuses == {"S-NL-1": "booked", "S-DE-1": "booked", "S-DE-2": "booked"}


def test_an_invalid_file_is_refused_with_xpaths_and_nothing_is_stored(client, wallet, app, clock):
    headers, consent_id = consent_token(client, app, wallet, clock)
    body = pain001("BAD-1", [(ALICE_NL, [("B-1", "12.50"), ("B-2", "1.00")])])
    broken = body.replace(b">12.50</InstdAmt>", b">12,50</InstdAmt>").replace(b"<NbOfTxs>2</NbOfTxs>",
                                                                             b"<NbOfTxs>3</NbOfTxs>", 1)
    assert broken.count(b"12,50") == 1 and b"<NbOfTxs>3</NbOfTxs>" in broken
    answer = upload(client, headers, broken)
    assert answer.status_code == 422
    assert answer.json["code"] == "invalid_payment_file"
    xpaths = [f.get("xpath") for f in answer.json["findings"] if f["severity"] == "error"]
    assert "/Document/CstmrCdtTrfInitn/PmtInf[1]/CdtTrfTxInf[1]/Amt/InstdAmt" in xpaths
    assert "/Document/CstmrCdtTrfInitn/GrpHdr/NbOfTxs" in xpaths
    assert counts(app) == NOTHING
    assert client.get(f"/consents/{consent_id}", headers=_consents(client, wallet)).json["used"]["count"] == 0


@pytest.mark.parametrize("body, code", [
    (b"<?xml version='1.0'?><!DOCTYPE d [<!ENTITY x 'y'>]><Document>&x;</Document>", "invalid_payment_file"),
    (b"not xml at all", "invalid_payment_file"),
    (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt/></Document>',
     "not_a_payment_file"),
])
def test_what_is_not_a_usable_pain001(client, wallet, app, clock, body, code):
    headers, _ = consent_token(client, app, wallet, clock)
    answer = upload(client, headers, body)
    assert answer.status_code == 422, answer.json
    assert answer.json["code"] == code
    assert counts(app) == NOTHING


def test_a_version_the_gateway_neither_maps_nor_has_the_xsd_of_is_refused(client, wallet, app, clock):
    """pain.001.001.99 is read with the shapes of a known version by the lenient parser; as an
    upload nothing about it could be checked (no XSD, no mapping), so it is refused, not sent."""
    headers, _ = consent_token(client, app, wallet, clock)
    body = pain001("V99-1", [(ALICE_NL, [("V99-1-1", "1.00")])])
    declared = re.search(rb"pain\.001\.001\.\d\d", body).group()
    answer = upload(client, headers, body.replace(declared, b"pain.001.001.99"))
    assert answer.status_code == 422, answer.json
    assert answer.json["code"] == "invalid_payment_file"
    errors = [f for f in answer.json["findings"] if f["severity"] == "error"]
    assert [f["rule"] for f in errors] == ["document.version"] and "pain.001.001.99" in errors[0]["message"]
    assert counts(app) == NOTHING


def test_media_type_and_key_come_first(client, wallet, app, clock):
    headers, _ = consent_token(client, app, wallet, clock)
    body = pain001("MT-1", [(ALICE_NL, [("MT-1-1", "1.00")])])
    assert upload(client, headers, body, content_type="application/json").status_code == 415
    no_key = client.post("/payment-files", data=body, headers={**headers, "Content-Type": "application/xml"})
    assert no_key.status_code == 400 and no_key.json["code"] == "idempotency_key_missing"
    assert upload(client, headers, body, content_type="text/xml").status_code == 201


def test_a_debtor_account_outside_the_consent(client, wallet, app, clock):
    headers, _ = consent_token(client, app, wallet, clock, ibans=(ALICE_NL,))
    body = pain001("OUT-1", [(ALICE_NL, [("O-1", "1.00")]), (ALICE_DE, [("O-2", "2.00")])])
    answer = upload(client, headers, body)
    assert answer.status_code == 403
    assert answer.json["code"] == "consent_account_mismatch"
    (finding,) = answer.json["findings"]
    assert finding["value"] == ALICE_DE
    assert finding["xpath"] == "/Document/CstmrCdtTrfInitn/PmtInf[2]/DbtrAcct/Id/IBAN"
    assert counts(app) == NOTHING


def test_a_consent_bound_to_another_file(client, wallet, app, clock):
    agreed = pain001("HASH-1", [(ALICE_NL, [("H-1", "5.00")])])
    other = pain001("HASH-2", [(ALICE_NL, [("H-2", "5.00")])])
    headers, _ = consent_token(client, app, wallet, clock, file_sha256=hashlib.sha256(agreed).hexdigest())
    answer = upload(client, headers, other)
    assert answer.status_code == 403
    assert answer.json["code"] == "consent_file_mismatch"
    assert counts(app) == NOTHING
    assert upload(client, headers, agreed).status_code == 201


def test_limits_apply_to_the_whole_file(client, wallet, app, clock):
    headers, consent_id = consent_token(client, app, wallet, clock, limits={"currency": "EUR", "count": 2,
                                                                            "per_payment": "50.00"})
    three = pain001("LIM-1", [(ALICE_NL, [("L-1", "1.00"), ("L-2", "1.00"), ("L-3", "1.00")])])
    answer = upload(client, headers, three)
    assert answer.status_code == 403 and answer.json["code"] == "consent_limit_exceeded"
    too_much = pain001("LIM-2", [(ALICE_NL, [("L-4", "50.01")])])
    answer = upload(client, headers, too_much)
    assert answer.status_code == 403 and answer.json["code"] == "consent_limit_exceeded"
    assert counts(app) == NOTHING
    assert client.get(f"/consents/{consent_id}", headers=_consents(client, wallet)).json["used"] == \
        {"amount": "0.00", "count": 0}


def test_a_msgid_is_never_reused(client, wallet, app, clock):
    headers, _ = consent_token(client, app, wallet, clock, ibans=(ALICE_NL, ALICE_DE))
    assert upload(client, headers, pain001("ONCE-1", [(ALICE_NL, [("R-1", "1.00")])])).status_code == 201
    before = counts(app)
    again = upload(client, headers, pain001("ONCE-1", [(ALICE_NL, [("R-2", "1.00")])]))
    assert again.status_code == 409 and again.json["code"] == "message_id_reused"
    reused_e2e = upload(client, headers, pain001("ONCE-2", [(ALICE_NL, [("R-9", "1.00"), ("R-1", "1.00")])]))
    assert reused_e2e.status_code == 409 and reused_e2e.json["code"] == "end_to_end_id_reused"
    assert [(f["xpath"], f["value"]) for f in reused_e2e.json["findings"]] == [
        ("/Document/CstmrCdtTrfInitn/PmtInf[1]/CdtTrfTxInf[2]/PmtId/EndToEndId", "R-1")]
    assert counts(app) == before

    split = pain001("TWICE-1", [(ALICE_NL, [("T-1", "1.00")]), (ALICE_DE, [("T-2", "1.00")])])
    assert upload(client, headers, split).status_code == 201
    again = upload(client, headers, pain001("TWICE-1", [(ALICE_DE, [("T-3", "1.00")])]))
    assert again.status_code == 409 and again.json["code"] == "message_id_reused"


def test_a_file_the_bank_cannot_take(client, wallet, app, clock):
    """A GBP payment from the German account: sandbox-de takes EUR only (AM03), and outside the
    euro a German account paying a Dutch one is cross-border, which needs the creditor agent's BIC
    (RC07; config/banks/README.md)."""
    headers, _ = consent_token(client, app, wallet, clock, ibans=(ALICE_DE,),
                               limits={"currency": "GBP", "per_payment": "100.00"})
    old = pain001("OLD-1", [(ALICE_DE, [("V-1", "1.00")])], version="pain.001.001.03")
    pounds = old.replace(b'Ccy="EUR"', b'Ccy="GBP"')
    answer = upload(client, headers, pounds)
    assert answer.status_code == 422, answer.json
    assert answer.json["code"] == "bank_cannot_take_payment"
    found = {f["reason"]: f.get("xpath") for f in answer.json["findings"] if f["severity"] == "error"}
    assert found == {"AM03": "/Document/CstmrCdtTrfInitn/PmtInf[1]/CdtTrfTxInf[1]/Amt/InstdAmt/@Ccy",
                     "RC07": "/Document/CstmrCdtTrfInitn/PmtInf[1]/CdtTrfTxInf[1]/CdtrAgt/FinInstnId/BIC"}
    assert counts(app) == NOTHING


def test_an_older_version_is_rebuilt_for_a_bank_that_does_not_read_it(client, wallet, app, clock):
    headers, _ = consent_token(client, app, wallet, clock, ibans=(ALICE_DE,))
    old = pain001("OLD-2", [(ALICE_DE, [("V-2", "3.00")])], version="pain.001.001.03")
    answer = upload(client, headers, old)
    assert answer.status_code == 201, answer.json
    (sent,) = answer.json["files"]
    assert (sent["bank"], sent["message_type"], sent["message_id"]) == ("sandbox-de", "pain.001.001.09", "OLD-2-P1")
    assert sent["sha256"] != hashlib.sha256(old).hexdigest()
    assert work(app, clock).delivered == 1
    assert [(p.message, p.end_to_end_id) for p in sandbox(app, "sandbox-de").payments()] == \
        [("pain.001.001.09", "V-2")]


def test_a_part_msgid_that_another_file_already_has(client, wallet, app, clock):
    """A split file's parts get derived MsgIds (<MsgId>-P<n>); one of them may be the MsgId of a
    file the client sent before.  A MsgId names one file of a client, so the later file is refused
    (409), not stored half-way or answered with a 500."""
    headers, _ = consent_token(client, app, wallet, clock, ibans=(ALICE_NL, ALICE_DE))
    assert upload(client, headers, pain001("YEAR-P2", [(ALICE_DE, [("Y-0", "1.00")])])).status_code == 201
    before = counts(app)
    split = upload(client, headers, pain001("YEAR", [(ALICE_NL, [("Y-1", "1.00")]), (ALICE_DE, [("Y-2", "2.00")])]))
    assert split.status_code == 409, split.json
    assert split.json["code"] == "message_id_reused"
    assert counts(app) == before


def test_long_msgids_that_differ_only_at_the_end_are_different_files(client, wallet, app, clock):
    """MsgId is Max35Text: a 35-character MsgId leaves no room for -P1, so the part's MsgId is
    shortened; two files whose MsgIds differ only in the last characters are still two files."""
    headers, _ = consent_token(client, app, wallet, clock, ibans=(ALICE_NL, ALICE_DE))
    first, second = "A" * 32 + "001", "A" * 32 + "002"
    for number, message_id in enumerate((first, second)):
        answer = upload(client, headers, pain001(message_id, [(ALICE_NL, [(f"L-{number}-1", "1.00")]),
                                                              (ALICE_DE, [(f"L-{number}-2", "2.00")])]))
        assert answer.status_code == 201, answer.json
        assert all(len(f["message_id"]) <= 35 for f in answer.json["files"])
    assert counts(app)["outbox"] == 4


def test_two_clients_with_the_same_msgid_at_one_bank_are_two_files(client, wallet, app, clock):
    """The bank sees only the MsgId.  If another client's file kept its MsgId, the bank would take
    ours for a duplicate and our payments would never be booked; so ours goes under the gateway's."""
    from datetime import timedelta

    from gateway.consent import storage
    from gateway.persistence.models import ClientKind
    from gateway.persistence.repositories import BankAccounts, Clients, Consents, Holders
    from gateway.services.files import submit_file

    headers, _ = consent_token(client, app, wallet, clock, ibans=(ALICE_NL,))
    assert upload(client, headers, pain001("SAME-1", [(ALICE_NL, [("MINE-1", "1.00")])])).status_code == 201
    database = app.extensions[storage.DATABASE]
    with database.transaction() as session:
        other = Clients(session, clock).create(name="Other Wallet", kind=ClientKind.WALLET_PROVIDER,
                                               redirect_uris=["https://other.example/cb"], scopes=["payments"],
                                               actor="operator:test").client
        alice = Holders(session, clock).find_by_username("alice")
        account = next(a for a in BankAccounts(session, clock).for_holder(alice.id) if a.iban == ALICE_NL)
        consent = Consents(session, clock).create(client_id=other.client_id, kind="payments", permissions=[],
                                                  expires_at=clock.now + timedelta(hours=1), actor="operator:test",
                                                  currency="EUR", max_amount_per_payment=Decimal("50.00"))
        Consents(session, clock).authorise(consent, holder_id=alice.id, account_ids=[account.id], actor="holder:alice")
        theirs = submit_file(session, clock, app.extensions["gateway.runtime"], client_id=other.client_id,
                             consent=consent, body=pain001("SAME-1", [(ALICE_NL, [("THEIRS-1", "2.00")])]))
    (message,) = theirs.messages
    assert message.message_id != "SAME-1"  # a MsgId of the gateway's
    assert work(app, clock).delivered == 2
    booked = {p.end_to_end_id: p.message_id for p in sandbox(app).payments()}
    assert booked == {"MINE-1": "SAME-1", "THEIRS-1": message.message_id}  # the bank booked both
