"""Recording a delivery: what the bank answered at once is stored with the delivery, and an
outcome that comes after the file was decided changes no payment.

The bank is the sandbox; "answers at once" is the sandbox's own pain.002 for the file,
collected right after it took the file and handed back as ``Submission.immediate`` (as an
iso20022-http bank that answers in the response does; that connector is tested against
mock-bank in tests/connectors)."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from gateway.domain.status import StatusReason, StatusReport
from gateway.iso20022 import build
from gateway.persistence.payment_models import (
    InboundMessage,
    MessageStatus,
    OutgoingMessage,
    Payment,
)
from gateway.persistence.repositories.inbound import InboundMessages
from gateway.services import delivery, inbound
from gateway.services.runtime import Runtime
from tests.payments.conftest import MERCHANT, database_of, post_operation, wallet_token


class AnswersAtOnce:
    """The sandbox connector, but its pain.002 comes back with the submission."""

    def __init__(self, connector) -> None:
        self.connector = connector

    def __getattr__(self, name):
        return getattr(self.connector, name)

    def submit(self, outgoing):
        submission = self.connector.submit(outgoing)
        answers = tuple(m for m in self.connector.collect() if b"pain.002" in m.body)
        return dataclasses.replace(submission, immediate=answers)


@pytest.fixture
def paid(client, wallet) -> str:
    answer = post_operation(client, wallet_token(client, wallet), "pay",
                            {"amount": "12.50", "currency": "EUR", "end_to_end_id": "NOW-1",
                             "merchant": {"name": "Shop", "iban": MERCHANT}})
    assert answer.status_code == 201, answer.json
    return answer.json["payments"][0]["id"]


def answering_runtime(app) -> Runtime:
    runtime: Runtime = app.extensions["gateway.runtime"]
    sandbox = runtime.connector("sandbox")
    return dataclasses.replace(runtime, connector_factory=lambda bank: AnswersAtOnce(sandbox), _connectors={})


def test_the_banks_immediate_answer_is_stored_with_the_delivery(app, clock, paid):
    """A worker that dies right after recording the delivery must not lose the only pain.002:
    the answer is in inbound_messages when dispatch returns, before anything interprets it."""
    database = database_of(app)
    report = delivery.dispatch(database, answering_runtime(app), worker="w1", clock=clock)

    with database.transaction() as session:
        stored = session.scalars(select(InboundMessage)).all()
        payment = session.get(Payment, paid)
    assert len(stored) == 1 and stored[0].processed_at is None and b"pain.002" in stored[0].body
    assert payment.status == "sent"
    assert report.delivered == 1 and report.answers == [stored[0].id]

    # the process "died" here; the next pass interprets what was stored
    assert inbound.interpret_pending(database, clock=clock) == 1
    with database.transaction() as session:
        assert session.get(Payment, paid).status == "accepted"


def test_an_outcome_after_the_file_was_delivered_changes_no_payment(app, clock, paid):
    """Worker A's lease ran out while it waited for the bank; worker B sent the file again and
    recorded it delivered.  A's late 'refused' is kept as an attempt, and the payments stay sent."""
    database = database_of(app)
    with database.transaction() as session:
        row_id = session.scalar(select(OutgoingMessage.id))
    delivery._record(database, clock, row_id, worker="B", outcome="delivered", detail=None, bank_reference=None)
    delivery._record(database, clock, row_id, worker="A", outcome="refused", detail="HTTP 409: duplicate",
                     bank_reference=None)
    with database.transaction() as session:
        message = session.get(OutgoingMessage, row_id)
        payment = session.get(Payment, paid)
        assert message.status == MessageStatus.DELIVERED and message.attempts == 2
        assert payment.status == "sent"


@pytest.mark.parametrize(("code", "status"), [("DUPL", "sent"), ("AM05", "sent"), ("AC04", "rejected")])
def test_a_group_rejection_as_a_duplicate_of_the_gateways_own_file_changes_nothing(app, clock, paid, code, status):
    """The bank already has this MsgId (an earlier send reached it): its group-level RJCT with
    DUPL or AM05 (duplication) is about the repeat, not the payments; any other reason rejects them."""
    database = database_of(app)
    delivery._record(database, clock, _message_row(database), worker="w", outcome="delivered", detail=None,
                     bank_reference=None)
    with database.transaction() as session:
        message_id = session.get(Payment, paid).message_id
    report = StatusReport(message_id="BANK-STS-1", creation_date_time=clock(), original_message_id=message_id,
                          original_message_name_id="pain.001.001.03", group_status="RJCT",
                          group_reasons=(StatusReason(code=code),))
    body = build(report, "pain.002.001.03")
    with database.transaction() as session:
        row, _ = InboundMessages(session, clock).store(bank_id="sandbox", external_id=f"sts-{code}", body=body)
    assert inbound.interpret_stored(database, row.id, clock=clock).outcome == "processed"
    with database.transaction() as session:
        assert session.get(Payment, paid).status == status


def _message_row(database) -> str:
    with database.transaction() as session:
        return session.scalar(select(OutgoingMessage.id))
