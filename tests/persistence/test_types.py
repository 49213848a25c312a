"""Datetimes come back aware and in UTC, amounts come back exact: on both backends."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import DateTime, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import StatementError

from gateway.domain.errors import InvalidInput
from gateway.persistence.models import Consent, ConsentKind
from gateway.persistence.repositories import Consents
from gateway.persistence.types import UTCDateTime

from .conftest import OPERATOR

INDIA = timezone(timedelta(hours=5, minutes=30))


def new_consent(db, world, clock, **fields) -> str:
    fields.setdefault("expires_at", clock.now + timedelta(days=30))
    with db.transaction() as s:
        return Consents(s, clock).create(client_id=world.wallet.client.client_id, kind=ConsentKind.PAYMENTS,
                                         permissions=["payments"], actor=OPERATOR, **fields).id


def load(db, consent_id) -> Consent:
    with db.transaction() as s:  # a new session: values come from the database, not the identity map
        return s.get(Consent, consent_id)


def test_aware_datetimes_round_trip_as_utc(db, world, clock):
    expires = datetime(2027, 3, 1, 17, 45, 30, 654321, tzinfo=INDIA)
    consent = load(db, new_consent(db, world, clock, expires_at=expires))

    assert consent.expires_at == expires
    assert consent.expires_at.tzinfo is not None and consent.expires_at.utcoffset() == timedelta(0)
    assert consent.expires_at.isoformat() == "2027-03-01T12:15:30.654321+00:00"
    assert consent.created_at == clock.now and consent.created_at.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(db, world, clock):
    with pytest.raises(StatementError, match="naive datetime"), db.transaction() as s:
        consent = Consents(s, clock).create(client_id=world.wallet.client.client_id, kind=ConsentKind.ACCOUNTS,
                                            permissions=["balances"], expires_at=clock.now + timedelta(days=1),
                                            actor=OPERATOR)
        consent.expires_at = datetime(2027, 1, 1, 12, 0)
        s.flush()


@pytest.mark.parametrize("amount", ["999999999999999999.99999", "0.00001", "123456789012345678.12345", "0.1", "100",
                                    "999999999999999999"])  # 18 integer digits: an ISO 20022 amount's most
def test_amounts_round_trip_exactly(db, world, clock, amount):
    consent = load(db, new_consent(db, world, clock, currency="EUR", max_total_amount=Decimal(amount)))
    assert consent.max_total_amount == Decimal(amount)
    assert str(consent.max_total_amount) == format(Decimal(amount).quantize(Decimal("0.00001")), "f")


def test_amounts_are_stored_as_exact_decimals_not_floats(db, world, clock):
    """A float would hold 999999999999999999.99999 as 1e18."""
    consent_id = new_consent(db, world, clock, currency="EUR", max_total_amount=Decimal("999999999999999999.99999"))
    with db.transaction() as s:
        stored = s.execute(text("SELECT CAST(max_total_amount AS TEXT) FROM consents WHERE id = :id"),
                           {"id": consent_id}).scalar()
    assert stored == "999999999999999999.99999"


@pytest.mark.parametrize(("amount", "error"), [(0.1, TypeError), (Decimal("0.000001"), ValueError),
                                               (Decimal(10) ** 18, ValueError), (Decimal("NaN"), ValueError),
                                               (Decimal("Infinity"), ValueError)])
def test_the_amount_column_refuses_values_it_would_change(db, world, clock, amount, error):
    """Below the repositories' own checks: the column type itself never rounds or goes through float."""
    consent_id = new_consent(db, world, clock, currency="EUR")
    with pytest.raises(StatementError) as refused, db.transaction() as s:
        s.get(Consent, consent_id).max_amount_per_payment = amount
        s.flush()
    assert isinstance(refused.value.orig, error)


@pytest.mark.parametrize("amount", [0.5, Decimal(0), Decimal(-1), Decimal("NaN")])
def test_a_consent_refuses_limits_that_are_not_positive_decimals(db, world, clock, amount):
    with pytest.raises(InvalidInput) as refused:
        new_consent(db, world, clock, currency="EUR", max_total_amount=amount)
    assert refused.value.code == "invalid_amount"


def test_ids_never_start_with_a_dash_so_the_command_line_takes_them(monkeypatch):
    import secrets

    from gateway.persistence import models

    monkeypatch.setattr(secrets, "token_urlsafe", lambda n: "-" + "A" * 21)
    assert models.new_id() == "x" + "A" * 21
    monkeypatch.undo()
    assert not any(models.new_id().startswith("-") for _ in range(2000))


def test_sqlite_datetimes_are_stored_as_sqlalchemy_stores_them():
    """The isoformat shortcut writes exactly SQLAlchemy's own SQLite DATETIME text (what earlier rows
    hold and what comparisons and ordering in SQL rely on): microseconds always, years padded."""
    dialect = sqlite.dialect()
    ours = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    theirs = DateTime().dialect_impl(dialect).bind_processor(dialect)
    rng = random.Random(20261123)
    values = [datetime(2026, 11, 23, 9, 0, tzinfo=UTC), datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
              datetime(2026, 3, 29, 2, 30, 0, 999999, tzinfo=timezone(timedelta(hours=-5)))]
    values += [datetime(rng.randint(1, 9999), rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23),
                        rng.randint(0, 59), rng.randint(0, 59), rng.choice([0, rng.randint(0, 999999)]),
                        tzinfo=timezone(timedelta(minutes=rng.randint(-720, 720)))) for _ in range(500)]
    for value in values:
        if not datetime(1, 1, 2, tzinfo=UTC) <= value <= datetime(9999, 12, 30, tzinfo=UTC):
            continue  # converting to UTC would leave the calendar
        utc = value.astimezone(UTC).replace(tzinfo=None)
        assert ours(value) == theirs(utc), value
    assert ours(None) is None
