"""Risk rules (risk.toml) hold a payment's file for an operator instead of sending it; the reason
is visible on the payment; the operator releases it (it is sent) or rejects it (never sent),
through ``gateway.services.review`` or ``gateway payments release|reject``."""

from __future__ import annotations

import json
import os

import pytest

from gateway.cli import payments as payments_cli
from gateway.cli.main import main
from gateway.persistence.errors import InvalidTransition
from gateway.persistence.payment_models import MessageStatus, OutgoingMessage
from gateway.services import review
from tests.payments.conftest import (
    MERCHANT,
    database_of,
    post_operation,
    wallet_token,
    work,
)

BLOCKED = "NL30MOCK0000000005"


@pytest.fixture
def settings(settings):
    """The module's risk rules, written where the settings say before the app reads them."""
    settings.risk_path.write_text(f'''
[amount_over]
EUR = "1000.00"

[daily]
count = 3

[blocked]
ibans = ["{BLOCKED}"]
names = ["ACME Shell Company"]
''', encoding="utf-8")
    return settings


def pay(client, headers, amount="10.00", iban=MERCHANT, name="Bakkerij de Zon"):
    answer = post_operation(client, headers, "pay", {"amount": amount, "currency": "EUR",
                                                     "merchant": {"name": name, "iban": iban}})
    assert answer.status_code == 201, answer.json
    (payment,) = answer.json["payments"]
    return payment


def sandbox_files(app) -> list[str]:
    """The MsgIds the sandbox bank received."""
    return sorted({p.message_id for p in app.extensions["gateway.runtime"].connector("sandbox").payments()})


def message_status(app, payment) -> MessageStatus:
    from sqlalchemy import select
    with database_of(app).transaction() as session:
        return session.scalar(select(OutgoingMessage.status).where(OutgoingMessage.message_id ==
                                                                   payment["message_id"]))


def test_an_amount_over_the_threshold_is_held_and_not_sent(client, wallet, app, clock):
    headers = wallet_token(client, wallet)
    at_limit = pay(client, headers, "1000.00")
    held = pay(client, headers, "1000.01")
    assert at_limit["status"] == "queued" and at_limit["reason"] is None
    assert held["status"] == "held"
    assert "1000.01 EUR is over the review threshold of 1000.00 EUR" in held["reason"]["text"]
    assert held["end_to_end_id"] in held["reason"]["text"]

    done = work(app, clock)
    assert done.delivered == 1
    assert sandbox_files(app) == [at_limit["message_id"]]
    seen = client.get(f"/payments/{held['id']}", headers=headers).json
    assert seen["status"] == "held" and [h["status"] for h in seen["history"]] == ["held"]
    assert message_status(app, held) == MessageStatus.HELD


def test_blocked_counterparties_by_iban_and_by_name(client, wallet, app, clock):
    headers = wallet_token(client, wallet)
    by_iban = pay(client, headers, iban=BLOCKED)
    by_name = pay(client, headers, name="ACME  SHELL COMPANY")  # compared without case and repeated spaces
    assert by_iban["status"] == by_name["status"] == "held"
    assert f"the creditor account {BLOCKED} is on the blocked-counterparty list" in by_iban["reason"]["text"]
    assert "blocked-counterparty list" in by_name["reason"]["text"]
    assert work(app, clock).delivered == 0
    assert sandbox_files(app) == []


def test_the_daily_count_per_debtor_account(client, wallet, app, clock):
    headers = wallet_token(client, wallet)
    first = [pay(client, headers, "1.00") for _ in range(3)]
    fourth = pay(client, headers, "1.00")
    assert [p["status"] for p in first] == ["queued"] * 3
    assert fourth["status"] == "held" and "more than 3 payments from this account today" in fourth["reason"]["text"]
    clock.advance(days=1)
    assert pay(client, wallet_token(client, wallet), "1.00")["status"] == "queued"  # a new day


def test_release_queues_the_file_and_the_worker_sends_it(client, wallet, app, clock):
    headers = wallet_token(client, wallet)
    held = pay(client, headers, "2500.00")
    with database_of(app).transaction() as session:
        message = review.release(session, clock, held["id"], operator="alice.ops", reason="customer confirmed")
        assert message.status == MessageStatus.PENDING
    released = client.get(f"/payments/{held['id']}", headers=headers).json
    assert released["status"] == "queued" and released["reason"] is None

    done = work(app, clock)
    assert done.delivered == 1
    assert sandbox_files(app) == [held["message_id"]]
    after = client.get(f"/payments/{held['id']}", headers=headers).json
    assert [h["status"] for h in after["history"]] == ["held", "queued", "sent", "accepted", "booked"]
    assert "released by operator:alice.ops" in after["history"][1]["source"]

    with database_of(app).transaction() as session, pytest.raises(InvalidTransition) as error:
        review.reject(session, clock, held["id"], operator="alice.ops", reason="too late")
    assert error.value.code == "not_held"


def test_reject_rejects_the_payments_and_nothing_is_ever_sent(client, wallet, app, clock):
    headers = wallet_token(client, wallet)
    held = pay(client, headers, iban=BLOCKED)
    with database_of(app).transaction() as session:
        review.reject(session, clock, held["id"], operator="alice.ops", reason="sanctions hit")
    rejected = client.get(f"/payments/{held['id']}", headers=headers).json
    assert rejected["status"] == "rejected"
    assert rejected["reason"] == {"code": None, "text": "sanctions hit"}
    assert message_status(app, held) == MessageStatus.CANCELLED
    for _ in range(2):
        clock.advance(minutes=30)
        assert work(app, clock).delivered == 0
    assert sandbox_files(app) == []


def test_a_held_bulk_payout_is_decided_whole(client, wallet, app, clock):
    headers = wallet_token(client, wallet)
    body = {"payments": [{"amount": "5.00", "currency": "EUR", "creditor": {"name": "Fine", "iban": MERCHANT}},
                         {"amount": "6.00", "currency": "EUR", "creditor": {"name": "Blocked", "iban": BLOCKED}}]}
    answer = post_operation(client, headers, "bulk-payout", body)
    assert answer.status_code == 201
    assert [p["status"] for p in answer.json["payments"]] == ["held", "held"]
    with database_of(app).transaction() as session:
        review.release(session, clock, answer.json["payments"][0]["id"], operator="ops", reason="checked")
    assert work(app, clock).delivered == 1
    statuses = [client.get(f"/payments/{p['id']}", headers=headers).json["status"] for p in answer.json["payments"]]
    assert statuses == ["booked", "booked"]


def test_the_cli_releases_and_rejects(client, wallet, app, clock, settings, monkeypatch, capsys):
    """``gateway payments`` as an operator runs it: settings from GATEWAY_* variables only."""
    headers = wallet_token(client, wallet)
    to_release, to_reject = pay(client, headers, "1500.00"), pay(client, headers, "1600.00")
    for name in [n for n in os.environ if n.startswith("GATEWAY_") and n != "GATEWAY_SCHEMA_DIR"]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("GATEWAY_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("USER", "ops-cli")
    # The CLI decides on the wall clock; here it runs at the test's time, like the worker below
    # (on the wall clock, a release after the fixed test date is "due later" for that worker).
    monkeypatch.setattr(payments_cli, "utcnow", clock)

    def gateway(*args):
        capsys.readouterr()
        assert main(["payments", *args]) == 0, capsys.readouterr().err
        return json.loads(capsys.readouterr().out)

    assert gateway("release", to_release["id"], "--reason", "known customer")["status"] == "pending"
    assert gateway("reject", to_reject["id"], "--reason", "fraud pattern")["status"] == "cancelled"
    held = gateway("list", "--status", "held")
    assert held == []

    assert work(app, clock).delivered == 1
    assert sandbox_files(app) == [to_release["message_id"]]
    released = client.get(f"/payments/{to_release['id']}", headers=headers).json
    assert "released by operator:ops-cli" in released["history"][1]["source"]
    rejected = client.get(f"/payments/{to_reject['id']}", headers=headers).json
    assert (rejected["status"], rejected["reason"]["text"]) == ("rejected", "fraud pattern")


def status_report(payment: dict, *, group: str | None = None, transaction: str | None = None,
                  reason: str | None = None, message_id: str = "SANDBOX-STS-FORGED") -> bytes:
    """A pain.002 about ``payment``'s file: a group status, or one for the payment itself."""
    from datetime import UTC, datetime

    from gateway.domain.status import PaymentInformationStatus, StatusReason, StatusReport, TransactionStatus
    from gateway.iso20022 import build

    reasons = (StatusReason(code=reason),) if reason else ()
    blocks = () if transaction is None else (PaymentInformationStatus(
        original_payment_information_id=payment["payment_information_id"],
        transactions=(TransactionStatus(original_end_to_end_id=payment["end_to_end_id"], status=transaction,
                                        reasons=reasons),)),)
    return build(StatusReport(message_id=message_id, creation_date_time=datetime(2026, 11, 23, 10, tzinfo=UTC),
                              original_message_id=payment["message_id"], original_message_name_id="pain.001.001.09",
                              group_status=group, group_reasons=reasons if group else (),
                              payment_informations=blocks), "pain.002.001.12")


def collected(app, clock, body: bytes, name: str = "forged-1") -> None:
    """The sandbox's mailbox had ``body``: stored and applied as the worker does with what it collects."""
    from gateway.connectors.base import InboundMessage
    from gateway.services import inbound

    runtime = app.extensions["gateway.runtime"]
    assert inbound.store_and_interpret(database_of(app), "sandbox", [InboundMessage(id=name, body=body)],
                                       clock=clock, router=runtime.router) == 1


def open_exceptions(app) -> list[dict]:
    from sqlalchemy import select

    from gateway.persistence.payment_models import InboundMessage, ReconciliationException
    with database_of(app).transaction() as session:
        assert {row.outcome for row in session.scalars(select(InboundMessage))} <= {"processed"}  # stored, read
        return [{"kind": row.kind, "payment_id": row.payment_id, "reason": row.reason, **(row.details or {})}
                for row in session.scalars(select(ReconciliationException)
                                           .where(ReconciliationException.resolved_at.is_(None)))]


@pytest.mark.parametrize("report", [{"transaction": "ACCP"}, {"group": "RJCT", "reason": "AM04"},
                                    {"group": "RJCT", "reason": "DUPL"}], ids=["accepted", "rejected", "duplicate"])
def test_a_status_report_about_a_held_file_leaves_its_payments_held(client, wallet, app, clock, report):
    """The gateway never sent a held file, so a bank's report about its MsgId cannot be about it:
    the payments stay held for the operator, and the mismatch is an open exception naming the file."""
    headers = wallet_token(client, wallet)
    held = pay(client, headers, "2500.00")
    collected(app, clock, status_report(held, **report))

    seen = client.get(f"/payments/{held['id']}", headers=headers).json
    assert seen["status"] == "held" and [h["status"] for h in seen["history"]] == ["held"]
    assert message_status(app, held) == MessageStatus.HELD
    (exception,) = open_exceptions(app)
    assert (exception["kind"], exception["rule"], exception["file_status"], exception["payments"]) == \
        ("unexpected_report", "status.unsent_file", "held", 1)
    assert (exception["message_id"], exception["report"]) == (held["message_id"], "SANDBOX-STS-FORGED")
    assert "never sent" in exception["reason"] and held["message_id"] in exception["reason"]

    with database_of(app).transaction() as session:  # the operator's decision, and the real send, still work
        review.release(session, clock, held["id"], operator="alice.ops", reason="customer confirmed")
    assert work(app, clock).delivered == 1
    after = client.get(f"/payments/{held['id']}", headers=headers).json
    assert [h["status"] for h in after["history"]] == ["held", "queued", "sent", "accepted", "booked"]


def test_a_status_report_about_a_queued_file_never_tried_changes_nothing(client, wallet, app, clock):
    """Released or never held, a file no worker has claimed or tried is still only in the outbox."""
    headers = wallet_token(client, wallet)
    queued = pay(client, headers, "10.00")
    collected(app, clock, status_report(queued, group="RJCT", reason="AC04"))

    assert client.get(f"/payments/{queued['id']}", headers=headers).json["status"] == "queued"
    (exception,) = open_exceptions(app)
    assert (exception["rule"], exception["file_status"]) == ("status.unsent_file", "pending")
    assert work(app, clock).delivered == 1
    assert client.get(f"/payments/{queued['id']}", headers=headers).json["status"] == "booked"


def test_a_status_report_about_a_file_a_worker_may_have_sent_applies(client, wallet, app, clock):
    """A worker that claimed the file and died before recording the send may have given it to the
    bank: the bank's answer about it is applied (the lease runs out and the re-send is a duplicate)."""
    from gateway.persistence.repositories.outbox import Outbox

    headers = wallet_token(client, wallet)
    queued = pay(client, headers, "10.00")
    with database_of(app).transaction() as session:
        assert len(Outbox(session, clock).claim_due("crashed-worker")) == 1
    collected(app, clock, status_report(queued, group="RJCT", reason="AC04"))

    rejected = client.get(f"/payments/{queued['id']}", headers=headers).json
    assert (rejected["status"], rejected["reason"]["code"]) == ("rejected", "AC04")
    assert open_exceptions(app) == []
