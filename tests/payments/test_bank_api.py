"""The ``bank-api`` connector: a bank that connects to the gateway.  Its files wait in the outbox
(the worker pushes nothing to it); the bank lists, fetches and acknowledges them through
``/bank/files`` and posts its pain.002, camt.054 and pacs.004 to ``/bank/messages``.  A bank sees
only its own files.

Banks here: the sandbox, ``partner`` (bank-api, NL/RABO, client ``partner-bank``) and ``other``
(bank-api, NL/TRIO, client ``other-bank``)."""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from schwifty import IBAN
from sqlalchemy import func, select

from gateway.domain.money import Money
from gateway.domain.parties import Account
from gateway.domain.statements import (
    BankTransactionCode,
    Entry,
    EntryTransaction,
    Report,
    ReportKind,
    ReturnInfo,
    Statement,
)
from gateway.domain.status import (
    PaymentInformationStatus,
    StatusReason,
    StatusReport,
    TransactionStatus,
)
from gateway.iso20022 import build, validate
from gateway.persistence.models import ClientKind
from gateway.persistence.models import AuditEvent
from gateway.persistence.payment_models import InboundMessage, OutgoingMessage
from gateway.persistence.repositories import Clients
from gateway.persistence.repositories.payments import ClientAccounts
from tests.payments.conftest import (
    MERCHANT,
    Wallet,
    database_of,
    post_operation,
    wallet_token,
    work,
)

PARTNER_IBAN = str(IBAN.generate("NL", bank_code="RABO", account_code="0123456789"))


def bank_api_file(folder, bank_id: str, client_id: str, bank_code: str) -> None:
    (folder / f"{bank_id}.toml").write_text(f'''name = "{bank_id.title()} Bank"
currencies = ["EUR"]

[[iban]]
country = "NL"
bank_code = "{bank_code}"

[messages]
pain001 = ["pain.001.001.09"]

[connector]
type = "bank-api"
client_id = "{client_id}"
''', encoding="utf-8")


@pytest.fixture
def banks_dir(banks_dir):
    bank_api_file(banks_dir, "partner", "partner-bank", "RABO")
    bank_api_file(banks_dir, "other", "other-bank", "TRIO")
    return banks_dir


@pytest.fixture
def banks(app, wallet) -> dict[str, Wallet]:
    """The two banks' OAuth clients (kind bank, scope bank), a bank client that speaks for no bank,
    and the wallet's settlement account moved to the partner bank."""
    made = {}
    with database_of(app).transaction() as session:
        for client_id in ("partner-bank", "other-bank", "stray-bank"):
            new = Clients(session).create(client_id=client_id, name=client_id, kind=ClientKind.BANK,
                                          redirect_uris=[], scopes=["bank"], actor="operator:test")
            made[client_id] = Wallet(client_id, new.secret)
        ClientAccounts(session).set(client_id=wallet.client_id, role="settlement", iban=PARTNER_IBAN,
                                    currency="EUR", name="Demo Wallet at Partner", bic=None, actor="operator:test")
    return made


def bank_token(client, bank: Wallet) -> dict:
    return wallet_token(client, bank, "bank")


def payout(client, wallet, *amounts: str) -> list[dict]:
    body = {"payments": [{"amount": a, "currency": "EUR", "end_to_end_id": f"PAYOUT-{i}",
                          "creditor": {"name": f"Seller {i}", "iban": MERCHANT}} for i, a in enumerate(amounts)]}
    answer = post_operation(client, wallet_token(client, wallet), "bulk-payout", body)
    assert answer.status_code == 201, answer.json
    return answer.json["payments"]


def pain002(original_message_id: str, block_id: str, statuses: dict[str, tuple[str, str | None]],
            message_id: str = "PARTNER-STS-1") -> bytes:
    report = StatusReport(
        message_id=message_id, creation_date_time=datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
        original_message_id=original_message_id, original_message_name_id="pain.001.001.09", group_status="PART",
        payment_informations=(PaymentInformationStatus(
            original_payment_information_id=block_id, status="PART",
            transactions=tuple(TransactionStatus(original_end_to_end_id=e2e, status=status,
                                                 reasons=(StatusReason(code=reason),) if reason else ())
                               for e2e, (status, reason) in statuses.items())),))
    return build(report, "pain.002.001.12")


def notification(payment: dict, *, credit_debit: str = "DBIT", returned: str | None = None,
                 message_id: str = "PARTNER-NTF-1") -> bytes:
    """A camt.054 on the wallet's settlement account at the partner bank: ``payment`` booked (a
    debit), or come back (``returned``: a credit with the return reason), or a credit naming its
    EndToEndId that is neither."""
    code = BankTransactionCode(domain="PMNT", family="ICDT" if credit_debit == "DBIT" else "RCDT",
                               sub_family="RRTN" if returned else "ESCT")
    amount = Money(Decimal(payment["amount"]), "EUR")
    tx = EntryTransaction(message_id=payment["message_id"], end_to_end_id=payment["end_to_end_id"], amount=amount,
                          credit_debit=credit_debit, account_servicer_reference=f"{message_id}-REF",
                          return_info=ReturnInfo(reason=returned) if returned else None)
    entry = Entry(amount=amount, credit_debit=credit_debit, status="BOOK", booking_date=date(2026, 11, 23),
                  value_date=date(2026, 11, 23), account_servicer_reference=f"{message_id}-REF",
                  bank_transaction_code=code, transactions=(tx,))
    at = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
    return build(Report(kind=ReportKind.NOTIFICATION, message_id=message_id, creation_date_time=at, statements=(
        Statement(identification=message_id, account=Account(iban=PARTNER_IBAN, currency="EUR"),
                  creation_date_time=at, entries=(entry,)),)), "camt.054.001.08")


def payment_return(payment: dict, reason: str = "AC04", message_id: str = "PARTNER-RTN-1") -> bytes:
    """A pacs.004 (001.09, the shape mock-bank writes) returning ``payment``, naming its file."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.004.001.09">
  <PmtRtr>
    <GrpHdr><MsgId>{message_id}</MsgId><CreDtTm>2026-11-23T12:00:00+00:00</CreDtTm><NbOfTxs>1</NbOfTxs>
      <SttlmInf><SttlmMtd>INDA</SttlmMtd></SttlmInf></GrpHdr>
    <OrgnlGrpInf><OrgnlMsgId>{payment["message_id"]}</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId>
    </OrgnlGrpInf>
    <TxInf>
      <RtrId>{message_id}-1</RtrId>
      <OrgnlEndToEndId>{payment["end_to_end_id"]}</OrgnlEndToEndId>
      <RtrdIntrBkSttlmAmt Ccy="EUR">{payment["amount"]}</RtrdIntrBkSttlmAmt>
      <IntrBkSttlmDt>2026-11-23</IntrBkSttlmDt>
      <RtrRsnInf><Rsn><Cd>{reason}</Cd></Rsn></RtrRsnInf>
    </TxInf>
  </PmtRtr>
</Document>""".encode()


def post_message(client, headers, body: bytes, content_type="application/xml"):
    return client.post("/bank/messages", data=body, headers={**headers, "Content-Type": content_type})


def inbound_count(app) -> int:
    with database_of(app).transaction() as session:
        return session.scalar(select(func.count()).select_from(InboundMessage))


def test_the_bank_fetches_acknowledges_and_reports(client, wallet, app, clock, banks):
    paid = payout(client, wallet, "10.00", "20.00")
    assert {p["bank"] for p in paid} == {"partner"}
    assert work(app, clock).delivered == 0  # nothing is pushed to a bank-api bank
    partner = bank_token(client, banks["partner-bank"])

    listed = client.get("/bank/files", headers=partner)
    assert listed.status_code == 200
    (waiting,) = listed.json["files"]
    assert (waiting["message_id"], waiting["status"], waiting["delivered_at"]) == (paid[0]["message_id"], "pending",
                                                                                   None)
    fetched = client.get(f"/bank/files/{waiting['id']}", headers=partner)
    assert fetched.status_code == 200 and fetched.mimetype == "application/xml"
    xml = fetched.get_data()
    assert hashlib.sha256(xml).hexdigest() == waiting["sha256"]
    # RFC 9530: sha-256=:<base64 of the digest bytes>:
    assert fetched.headers["Repr-Digest"] == f"sha-256=:{base64.b64encode(hashlib.sha256(xml).digest()).decode()}:"
    report = validate(xml)
    assert report.valid and str(report.message) == "pain.001.001.09"
    for payment in paid:  # fetched is not acknowledged: still queued
        assert client.get(f"/payments/{payment['id']}", headers=wallet_token(client, wallet)).json["status"] == "queued"

    acked = client.post(f"/bank/files/{waiting['id']}/ack", headers=partner)
    assert acked.status_code == 200 and acked.json["status"] == "delivered"
    assert acked.json["delivered_at"] is not None
    again = client.post(f"/bank/files/{waiting['id']}/ack", headers=partner)
    assert again.status_code == 200 and again.json["delivered_at"] == acked.json["delivered_at"]
    assert client.get("/bank/files", headers=partner).json["files"] == []
    headers = wallet_token(client, wallet)
    assert [client.get(f"/payments/{p['id']}", headers=headers).json["status"] for p in paid] == ["sent", "sent"]

    status = pain002(paid[0]["message_id"], paid[0]["payment_information_id"],
                     {"PAYOUT-0": ("ACCP", None), "PAYOUT-1": ("RJCT", "AC04")})
    posted = post_message(client, partner, status)
    assert posted.status_code == 201, posted.json
    assert (posted.json["family"], posted.json["message_type"], posted.json["outcome"]) == \
        ("pain.002", "pain.002.001.12", "processed")
    accepted, rejected = (client.get(f"/payments/{p['id']}", headers=headers).json for p in paid)
    assert accepted["status"] == "accepted"
    assert rejected["status"] == "rejected" and rejected["reason"]["code"] == "AC04"
    assert [h["status"] for h in rejected["history"]] == ["queued", "sent", "rejected"]

    repeated = post_message(client, partner, status)  # the same bytes again: the first outcome, nothing re-applied
    assert repeated.status_code == 201 and repeated.json["id"] == posted.json["id"]
    assert len(client.get(f"/payments/{paid[1]['id']}", headers=headers).json["history"]) == 3
    assert inbound_count(app) == 1


def test_a_pain002_before_the_ack_delivers_the_file_it_answers(client, wallet, app, clock, banks):
    """The bank fetched the file and answered it without acknowledging it: its answer shows it has
    the file, so the file leaves the list as delivered and the payments pass through ``sent``."""
    paid = payout(client, wallet, "10.00", "20.00")
    partner, headers = bank_token(client, banks["partner-bank"]), wallet_token(client, wallet)
    (waiting,) = client.get("/bank/files", headers=partner).json["files"]
    assert client.get(f"/bank/files/{waiting['id']}", headers=partner).status_code == 200
    status = pain002(paid[0]["message_id"], paid[0]["payment_information_id"],
                     {"PAYOUT-0": ("ACCP", None), "PAYOUT-1": ("RJCT", "AC04")})
    assert post_message(client, partner, status).status_code == 201
    assert client.get("/bank/files", headers=partner).json["files"] == []
    accepted, rejected = (client.get(f"/payments/{p['id']}", headers=headers).json for p in paid)
    assert [h["status"] for h in accepted["history"]] == ["queued", "sent", "accepted"]
    assert [h["status"] for h in rejected["history"]] == ["queued", "sent", "rejected"]
    acked = client.post(f"/bank/files/{waiting['id']}/ack", headers=partner)  # a late ack changes nothing
    assert acked.status_code == 200 and acked.json["status"] == "delivered"
    assert len(client.get(f"/payments/{paid[0]['id']}", headers=headers).json["history"]) == 3
    stray = pain002("NO-SUCH-FILE", "NO-SUCH-BLOCK", {"PAYOUT-0": ("ACCP", None)}, message_id="PARTNER-STS-2")
    assert post_message(client, partner, stray).json["outcome"] == "processed"  # about nothing of ours
    assert client.get(f"/payments/{paid[0]['id']}", headers=headers).json["status"] == "accepted"


def test_invalid_and_unexpected_messages_are_refused_and_not_stored(client, wallet, app, clock, banks):
    paid = payout(client, wallet, "5.00")
    partner = bank_token(client, banks["partner-bank"])
    good = pain002(paid[0]["message_id"], paid[0]["payment_information_id"], {"PAYOUT-0": ("ACCP", None)})
    broken = good.replace(b"<GrpSts>PART</GrpSts>", b"<GrpSts>PARTIAL</GrpSts>")
    assert broken != good
    answer = post_message(client, partner, broken)
    assert answer.status_code == 422
    assert answer.json["code"] == "invalid_message"
    assert any(f.get("xpath", "").endswith("/GrpSts") for f in answer.json["findings"])

    pain001 = client.get(f"/bank/files/{client.get('/bank/files', headers=partner).json['files'][0]['id']}",
                         headers=partner).get_data()
    answer = post_message(client, partner, pain001)
    assert answer.status_code == 422 and answer.json["code"] == "unexpected_message"
    assert post_message(client, partner, b"<not-iso/>").status_code == 422
    assert post_message(client, partner, good, content_type="application/json").status_code == 415
    assert inbound_count(app) == 0
    assert client.get(f"/payments/{paid[0]['id']}", headers=wallet_token(client, wallet)).json["status"] == "queued"


def test_a_bank_sees_only_its_own_files(client, wallet, app, clock, banks):
    paid = payout(client, wallet, "5.00")
    partner, other = bank_token(client, banks["partner-bank"]), bank_token(client, banks["other-bank"])
    (waiting,) = client.get("/bank/files", headers=partner).json["files"]

    assert client.get("/bank/files", headers=other).json == {"files": []}
    for answer in (client.get(f"/bank/files/{waiting['id']}", headers=other),
                   client.post(f"/bank/files/{waiting['id']}/ack", headers=other)):
        assert answer.status_code == 404 and answer.json["code"] == "file_not_found"
    # another bank reporting on the partner's file changes nothing
    forged = pain002(paid[0]["message_id"], paid[0]["payment_information_id"], {"PAYOUT-0": ("RJCT", "AM04")},
                     message_id="OTHER-STS-1")
    assert post_message(client, other, forged).status_code == 201
    assert client.get(f"/payments/{paid[0]['id']}", headers=wallet_token(client, wallet)).json["status"] == "queued"

    stray = bank_token(client, banks["stray-bank"])
    answer = client.get("/bank/files", headers=stray)
    assert answer.status_code == 404 and answer.json["code"] == "bank_not_found"
    assert client.get("/bank/files", headers=wallet_token(client, wallet)).status_code == 403
    missing = client.get(f"/bank/files/{uuid.uuid4().hex}", headers=partner)
    assert missing.status_code == 404 and missing.json["code"] == "file_not_found"


def test_a_held_file_is_not_offered_to_the_bank(client, wallet, app, clock, banks, settings):
    from gateway.services import review
    from gateway.services.risk import load_risk_rules

    settings.risk_path.write_text('[amount_over]\nEUR = "100.00"\n', encoding="utf-8")
    app.extensions["gateway.runtime"].risk = load_risk_rules(settings.risk_path)
    (held,) = payout(client, wallet, "100.01")
    assert held["status"] == "held"
    partner = bank_token(client, banks["partner-bank"])
    assert client.get("/bank/files", headers=partner).json == {"files": []}
    with database_of(app).transaction() as session:
        review.release(session, clock, held["id"], operator="ops", reason="ok")
    (waiting,) = client.get("/bank/files", headers=partner).json["files"]
    assert waiting["message_id"] == held["message_id"]


def delivery_audit(app, file_id: str) -> list[tuple[str, str | None]]:
    """The file's audit events after it was stored: (action, the worker that recorded it)."""
    with database_of(app).transaction() as session:
        return [(e.action, (e.details or {}).get("worker")) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.subject_type == "message", AuditEvent.subject_id == file_id)
            .order_by(AuditEvent.id))][1:]


def file_status(app, file_id: str) -> tuple[str, bool]:
    with database_of(app).transaction() as session:
        row = session.get(OutgoingMessage, file_id)
        return row.status.value, row.delivered_at is not None


def test_a_return_before_the_ack_delivers_the_file_and_returns_the_payment(client, wallet, app, clock, banks):
    """The bank returns a payment of a file it never acknowledged: it evidently has the file, so the
    return delivers it (as an ack would, audited) and then applies: the payment is ``returned``,
    not left ``queued`` with the return lost in a log line."""
    paid = payout(client, wallet, "10.00", "20.00")
    partner, headers = bank_token(client, banks["partner-bank"]), wallet_token(client, wallet)
    (waiting,) = client.get("/bank/files", headers=partner).json["files"]

    posted = post_message(client, partner, payment_return(paid[0], "AC04"))
    assert posted.status_code == 201, posted.json
    assert (posted.json["family"], posted.json["outcome"]) == ("pacs.004", "processed")
    assert client.get("/bank/files", headers=partner).json["files"] == []
    assert file_status(app, waiting["id"]) == ("delivered", True)
    assert delivery_audit(app, waiting["id"]) == [("message.delivered", "bank:partner")]
    returned, other = (client.get(f"/payments/{p['id']}", headers=headers).json for p in paid)
    assert [h["status"] for h in returned["history"]] == ["queued", "sent", "returned"]
    assert returned["reason"]["code"] == "AC04"
    assert [h["status"] for h in other["history"]] == ["queued", "sent"]
    acked = client.post(f"/bank/files/{waiting['id']}/ack", headers=partner)  # a late ack changes nothing
    assert acked.status_code == 200 and acked.json["status"] == "delivered"
    assert delivery_audit(app, waiting["id"]) == [("message.delivered", "bank:partner")]


def test_a_notification_before_the_ack_delivers_the_file_and_books_the_payment(client, wallet, app, clock, banks):
    """A camt.054 booking a payment of an unacknowledged file: the file is delivered and the payment
    ``booked`` at once, not when a camt.053 comes."""
    paid = payout(client, wallet, "10.00", "20.00")
    partner, headers = bank_token(client, banks["partner-bank"]), wallet_token(client, wallet)
    (waiting,) = client.get("/bank/files", headers=partner).json["files"]

    posted = post_message(client, partner, notification(paid[1]))
    assert posted.status_code == 201, posted.json
    assert (posted.json["family"], posted.json["outcome"]) == ("camt.054", "processed")
    assert file_status(app, waiting["id"]) == ("delivered", True)
    assert delivery_audit(app, waiting["id"]) == [("message.delivered", "bank:partner")]
    other, booked = (client.get(f"/payments/{p['id']}", headers=headers).json for p in paid)
    assert [h["status"] for h in booked["history"]] == ["queued", "sent", "booked"]
    assert other["status"] == "sent"


def test_what_does_not_show_the_bank_has_the_file_delivers_nothing(client, wallet, app, clock, banks):
    """Only the bank the file is for, and only a booking or a return of one of its payments, counts:
    another bank's return, or a mere credit naming the same EndToEndId, leaves the file waiting."""
    paid = payout(client, wallet, "10.00")
    partner, other = bank_token(client, banks["partner-bank"]), bank_token(client, banks["other-bank"])
    (waiting,) = client.get("/bank/files", headers=partner).json["files"]

    assert post_message(client, other, payment_return(paid[0], message_id="OTHER-RTN-1")).status_code == 201
    assert post_message(client, partner, notification(paid[0], credit_debit="CRDT")).status_code == 201
    assert file_status(app, waiting["id"]) == ("pending", False)
    assert client.get(f"/payments/{paid[0]['id']}", headers=wallet_token(client, wallet)).json["status"] == "queued"
    assert [f["id"] for f in client.get("/bank/files", headers=partner).json["files"]] == [waiting["id"]]


def test_a_pain002_about_a_held_file_changes_nothing(client, wallet, app, clock, banks, settings):
    """The bank never got a held file (it is not offered): its pain.002 naming that MsgId neither
    delivers the file nor moves the held payments."""
    from gateway.services.risk import load_risk_rules

    settings.risk_path.write_text('[amount_over]\nEUR = "100.00"\n', encoding="utf-8")
    app.extensions["gateway.runtime"].risk = load_risk_rules(settings.risk_path)
    (held,) = payout(client, wallet, "100.01")
    partner = bank_token(client, banks["partner-bank"])
    status = pain002(held["message_id"], held["payment_information_id"], {"PAYOUT-0": ("ACCP", None)})
    assert post_message(client, partner, status).json["outcome"] == "processed"
    seen = client.get(f"/payments/{held['id']}", headers=wallet_token(client, wallet)).json
    assert [h["status"] for h in seen["history"]] == ["held"]
    assert client.get("/bank/files", headers=partner).json == {"files": []}
