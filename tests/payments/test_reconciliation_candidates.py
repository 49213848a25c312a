"""The payments a statement loads for reconciliation (``reports._payments_for``) are exactly
those ``Relevant.wanted`` names, on SQLite and PostgreSQL: the SQL and the domain's predicate
(which the property test in tests/unit/test_reconciliation.py proves sufficient) must agree.

Sixty payments from the wallet's settlement account with every status, three execution dates,
three amounts and EndToEndIds E2E-0..59 are compared under several ``Relevant`` values."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from gateway.domain.money import Money
from gateway.domain.reconciliation import Relevant, SentPayment
from gateway.persistence.payment_models import Payment, PaymentStatus
from gateway.services import reports
from tests.payments.conftest import (
    MERCHANT,
    SETTLEMENT,
    database_of,
    post_operation,
    wallet_token,
)

STATUSES = ["held", "queued", "sent", "accepted", "pending", "booked", "rejected", "returned"]
DAYS = [date(2026, 11, 20), date(2026, 11, 23), date(2026, 11, 24)]
AMOUNTS = ["10.00", "20.00", "30.50"]


@pytest.fixture
def history(client, wallet, app):
    body = {"payments": [{"amount": AMOUNTS[n % 3], "currency": "EUR", "end_to_end_id": f"E2E-{n}",
                          "creditor": {"name": f"Seller {n}", "iban": MERCHANT}} for n in range(60)]}
    assert post_operation(client, wallet_token(client, wallet), "bulk-payout", body).status_code == 201
    with database_of(app).transaction() as session:
        rows = session.scalars(select(Payment).order_by(Payment.end_to_end_id)).all()
        for row, (status, day) in zip(rows, itertools.cycle(itertools.product(STATUSES, DAYS))):
            row.status, row.requested_execution_date = PaymentStatus(status), day
    return app


def eur(value: str) -> Money:
    return Money(Decimal(value), "EUR")


@pytest.mark.parametrize("relevant", [
    Relevant(frozenset(), False, None, frozenset()),
    Relevant(frozenset({"E2E-1", "E2E-7", "E2E-44", "NOT-OURS"}), False, None, frozenset()),
    Relevant(frozenset(), True, None, frozenset()),
    Relevant(frozenset({"E2E-3"}), False, date(2026, 11, 23), frozenset({eur("10.00"), eur("30.50")})),
    Relevant(frozenset(), True, date(2026, 11, 20), frozenset({eur("10.00"), Money(Decimal("20.00"), "USD")})),
    Relevant(frozenset(), False, None, frozenset({eur("10.000001")})),  # no stored amount is that precise
], ids=["nothing", "by-e2e", "all-awaiting", "open-debits", "statement", "unstorable-amount"])
def test_the_sql_loads_what_the_domain_wants(history, relevant):
    with database_of(history).transaction() as session:
        everything = session.scalars(select(Payment)).all()
        assert len(everything) == 60
        loaded = reports._payments_for(session, "sandbox", relevant, SETTLEMENT)
        wanted = {p.id for p in everything if p.status.value in reports.STATUSES and relevant.wanted(_sent(p))}
    assert set(loaded) == wanted
    assert 0 < len(wanted) < 60 or not (relevant.end_to_end_ids or relevant.all_awaiting or relevant.since)


def _sent(payment: Payment) -> SentPayment:
    return SentPayment(payment_id=payment.id, end_to_end_id=payment.end_to_end_id,
                       amount=Money(payment.amount, payment.currency),
                       requested_execution_date=payment.requested_execution_date, status=payment.status.value,
                       debtor_iban=payment.debtor_iban, creditor_iban=payment.creditor_iban)
