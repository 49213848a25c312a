"""A wallet operation end to end on the embedded default: JSON → pain.001 in the outbox →
worker → sandbox bank → pain.002 and camt.054 → the payment's status and history."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from gateway.persistence.payment_models import OutgoingMessage
from tests.payments.conftest import MERCHANT, database_of, post_operation, wallet_token, work


def pay_body(amount: str = "12.50", **extra) -> dict:
    return {"amount": amount, "currency": "EUR", "merchant": {"name": "Bakkerij de Zon", "iban": MERCHANT},
            "remittance": {"unstructured": "Order 42"}, **extra}


def test_pay_is_queued_sent_accepted_and_booked(client, wallet, app, clock):
    headers = wallet_token(client, wallet)
    answer = post_operation(client, headers, "pay", pay_body())
    assert answer.status_code == 201, answer.json
    (payment,) = answer.json["payments"]
    assert payment["status"] == "queued"
    assert (payment["amount"], payment["currency"]) == ("12.50", "EUR")
    assert payment["debtor"]["iban"] == "NL13ABNA1000000001" and payment["creditor"]["iban"] == MERCHANT

    done = work(app, clock)
    assert done.delivered == 1 and done.collected >= 2  # the pain.002 and the camt.054

    seen = client.get(answer.headers["Location"], headers=headers).json  # the one payment's address
    assert seen["id"] == payment["id"] and seen["status"] == "booked"
    assert [h["status"] for h in seen["history"]] == ["queued", "sent", "accepted", "booked"]


def test_the_largest_amount_the_operations_take_is_stored_and_sent_exactly(client, wallet, app):
    """The schema takes 14 integer digits (common.json: 18 digits in all with 4 decimals, the
    XSD's totalDigits); the columns must hold them, not fail with a 500."""
    largest = "99999999999999.99"
    answer = post_operation(client, wallet_token(client, wallet), "pay", pay_body(largest))
    assert answer.status_code == 201, answer.json
    (payment,) = answer.json["payments"]
    assert payment["amount"] == largest
    seen = client.get(f"/payments/{payment['id']}", headers=wallet_token(client, wallet)).json
    assert seen["amount"] == largest
    with database_of(app).transaction() as session:
        body = session.scalar(select(OutgoingMessage.body))
    assert f">{largest}</InstdAmt>".encode() in body and f"<CtrlSum>{largest}</CtrlSum>".encode() in body


def test_the_wallets_day_as_camt053_from_the_operations_that_passed_through(client, wallet, app, clock):
    from gateway.iso20022 import parse, validate

    headers = wallet_token(client, wallet)
    assert post_operation(client, headers, "pay", pay_body("12.50")).status_code == 201
    assert post_operation(client, headers, "pay", pay_body("7.25")).status_code == 201
    work(app, clock)
    answer = client.post("/ledger/camt.053", headers=headers, json={
        "from_payments": True, "account_iban": "NL13ABNA1000000001", "date": "2026-11-23",
        "opening_balance": "100000.00"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert [f for f in validate(answer.data).findings if f.is_error] == []
    (statement,) = parse(answer.data).document.statements
    balances = {b.type: (b.amount.value, b.credit_debit) for b in statement.balances}
    # 100,000.00 - 12.50 - 7.25 = 99,980.25, by hand
    assert balances["CLBD"] == (Decimal("99980.25"), "CRDT")
    assert sorted(e.amount.value for e in statement.entries) == [Decimal("7.25"), Decimal("12.50")]
    assert {e.credit_debit for e in statement.entries} == {"DBIT"}


def test_a_ledger_from_payments_of_someone_elses_account_is_refused(client, wallet):
    answer = client.post("/ledger/camt.053", headers=wallet_token(client, wallet), json={
        "from_payments": True, "account_iban": "NL91ABNA0417164300", "date": "2026-11-23",
        "opening_balance": "1.00"})
    assert answer.status_code == 422
    assert answer.json["findings"][0]["field"] == "account_iban"


def test_a_bulk_payout_is_one_file_with_its_control_figures(client, wallet, app, clock):
    from lxml import etree
    from sqlalchemy import select

    from gateway.persistence.payment_models import OutgoingMessage
    from tests.payments.conftest import database_of

    body = {"payments": [{"amount": amount, "currency": "EUR", "creditor": {"name": f"Seller {n}", "iban": MERCHANT}}
                         for n, amount in enumerate(("1.10", "2.20", "3.30"))]}
    answer = post_operation(client, wallet_token(client, wallet), "bulk-payout", body)
    assert answer.status_code == 201, answer.json
    assert len({p["message_id"] for p in answer.json["payments"]}) == 1
    assert "Location" not in answer.headers  # three payments: the body lists them, no one address
    with database_of(app).transaction() as session:
        (xml,) = session.scalars(select(OutgoingMessage.body)).all()
    root = etree.fromstring(xml)
    ns = {"p": root.nsmap[None]}
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=ns) == "3"
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=ns) == "6.60"  # 1.10 + 2.20 + 3.30
    assert work(app, clock).delivered == 1


def test_the_banks_refusals_reach_the_payment_with_their_reason(client, wallet, app, clock):
    """config/banks/sandbox.toml: paying a closed account is RJCT AC04; beyond the balance AM04."""
    from tests.payments.conftest import CLOSED, consent_token

    closed = post_operation(client, wallet_token(client, wallet), "pay",
                            {"amount": "5.00", "currency": "EUR", "merchant": {"name": "Gone", "iban": CLOSED}})
    headers, _ = consent_token(client, app, wallet, clock, limits={"currency": "EUR", "per_payment": "5000.00"})
    too_much = post_operation(client, headers, "transfer", {"amount": "2500.01", "currency": "EUR",  # holds 2500.00
                                                            "creditor": {"name": "Shop", "iban": MERCHANT}})
    assert closed.status_code == too_much.status_code == 201
    work(app, clock)
    mine = wallet_token(client, wallet)  # the wallet's own token sees all its payments
    seen = {name: client.get(f"/payments/{answer.json['payments'][0]['id']}", headers=mine).json
            for name, answer in (("closed", closed), ("too_much", too_much))}
    # A token bound to alice's consent sees the payment made under it, not the wallet's own.
    assert client.get(f"/payments/{too_much.json['payments'][0]['id']}", headers=headers).status_code == 200
    assert client.get(f"/payments/{closed.json['payments'][0]['id']}", headers=headers).status_code == 404
    assert (seen["closed"]["status"], seen["closed"]["reason"]["code"]) == ("rejected", "AC04")
    assert (seen["too_much"]["status"], seen["too_much"]["reason"]["code"]) == ("rejected", "AM04")


def test_a_bank_speaks_only_for_its_own_accounts(app, clock):
    """A statement about an account another bank holds is not stored (a bank could otherwise write
    into any holder's transactions), and the attempt is visible as an exception."""
    from sqlalchemy import func, select

    from gateway.connectors.base import InboundMessage
    from gateway.consent import storage
    from gateway.domain.ledger import Booking, Ledger, statement_from_ledger
    from gateway.domain.parties import Account
    from gateway.iso20022 import build
    from gateway.persistence.payment_models import ReconciliationException, StoredStatement
    from gateway.services.inbound import store_and_interpret

    def statement(iban: str) -> bytes:
        ledger = Ledger(account=Account(iban=iban, currency="EUR"), currency="EUR",
                        date=clock.now.date(), opening_balance=Decimal("100.00"),
                        bookings=(Booking(amount=Decimal("1.00"), credit_debit="CRDT", reference="X-1"),),
                        message_id=f"STMT-{iban}")
        return build(statement_from_ledger(ledger), "camt.053.001.08")

    database, router = app.extensions[storage.DATABASE], app.extensions["gateway.runtime"].router
    store_and_interpret(database, "sandbox", [InboundMessage("own", statement("NL91ABNA0417164300")),
                                              InboundMessage("foreign", statement(MERCHANT))],
                        clock=clock, router=router)
    with database.transaction() as session:
        stored = sorted(session.scalars(select(StoredStatement.account_iban)))
        foreign = session.scalar(select(func.count()).select_from(ReconciliationException)
                                 .where(ReconciliationException.account_iban == MERCHANT))
    assert stored == ["NL91ABNA0417164300"]  # the sandbox holds ABNA accounts, not ING's
    assert foreign == 1
