"""A statement that arrives late settles what its absence raised.

Monday's and Wednesday's end-of-day statements arrive, Tuesday's does not: Wednesday's
continuity check reports Tuesday missing (and its sequence number 2); the daily check does not
report Tuesday a second time; when Tuesday's statement arrives, both are settled.  The
statements are camt.053.001.08 built by the gateway from one day's ledger each (no bookings,
balance 1000.00 throughout), stored as a bank's and interpreted like collected ones."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from gateway.domain.codec import from_data
from gateway.domain.ledger import Ledger, statement_from_ledger
from gateway.iso20022 import build
from gateway.persistence.payment_models import ReconciliationException
from gateway.persistence.repositories.inbound import InboundMessages
from gateway.services import inbound, reports
from tests.payments.conftest import database_of

ACCOUNT = "NL91ABNA0417164300"
DAYS = {1: date(2026, 11, 23), 2: date(2026, 11, 24), 3: date(2026, 11, 25)}  # Monday to Wednesday


def arrives(app, clock, sequence: int) -> None:
    ledger = from_data(Ledger, {"account": {"iban": ACCOUNT, "currency": "EUR"}, "currency": "EUR",
                                "date": DAYS[sequence].isoformat(), "opening_balance": "1000.00",
                                "sequence_number": sequence})
    body = build(statement_from_ledger(ledger), "camt.053.001.08")
    database = database_of(app)
    with database.transaction() as session:
        row, _ = InboundMessages(session, clock).store(bank_id="sandbox", external_id=f"stmt-{sequence}", body=body)
    assert inbound.interpret_stored(database, row.id, clock=clock).outcome == "processed"


def open_integrity(app) -> list[dict]:
    with database_of(app).transaction() as session:
        rows = session.scalars(select(ReconciliationException).where(
            ReconciliationException.kind == "statement_integrity", ReconciliationException.resolved_at.is_(None)))
        return sorted(((row.details or {}) | {"reason": row.reason} for row in rows), key=lambda f: f["reason"])


def test_a_late_statement_settles_the_missing_day_and_the_sequence_gap(app, clock):
    arrives(app, clock, 1)
    arrives(app, clock, 3)
    found = open_integrity(app)
    assert sorted(f["rule"] for f in found) == ["reconcile.missing_statement", "reconcile.sequence_gap"], found
    assert [f.get("date") for f in found if f["rule"] == "reconcile.missing_statement"] == ["2026-11-24"]

    with database_of(app).transaction() as session:
        assert reports.flag_missing_statements(session, clock, through=DAYS[3]) == 0  # Tuesday is flagged already
    assert len(open_integrity(app)) == 2

    arrives(app, clock, 2)
    assert open_integrity(app) == []
