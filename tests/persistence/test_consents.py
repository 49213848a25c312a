"""Consents: isolation between clients, the lifecycle, audit in the same
transaction, exact limits."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from gateway.domain.errors import InvalidInput
from gateway.persistence.errors import ConsentNotActive, InvalidTransition, LimitExceeded, NotFound
from gateway.persistence.models import AuditEvent, Consent, ConsentKind, ConsentStatus, Token
from gateway.persistence.repositories import AuditLog, Consents, Tokens
from gateway.persistence.secrets import new_token

from .conftest import OPERATOR

S = ConsentStatus


def create(db, world, clock, kind=ConsentKind.PAYMENTS, client=None, **fields) -> str:
    fields.setdefault("expires_at", clock.now + timedelta(days=90))
    client_id = (client or world.wallet).client.client_id
    with db.transaction() as s:
        return Consents(s, clock).create(client_id=client_id, kind=kind, permissions=[kind.value],
                                         actor=f"client:{client_id}", **fields).id


def authorised(db, world, clock, **fields) -> str:
    consent_id = create(db, world, clock, **fields)
    with db.transaction() as s:
        consents = Consents(s, clock)
        consents.authorise(consents.get(consent_id), holder_id=world.holder.id, account_ids=[world.account.id],
                           actor="holder:alice")
    return consent_id


def audit(db, consent_id) -> list[tuple[str, str, str | None]]:
    with db.transaction() as s:
        return [(e.action, e.actor, e.reason) for e in AuditLog(s).entries(subject_type="consent",
                                                                           subject_id=consent_id)]


def test_a_client_sees_its_own_consents_and_nobody_elses(db, world, clock):
    mine = create(db, world, clock)
    theirs = create(db, world, clock, client=world.other_wallet)
    wallet, other = world.wallet.client.client_id, world.other_wallet.client.client_id
    with db.transaction() as s:
        consents = Consents(s, clock)
        assert consents.get_for_client(wallet, mine).id == mine
        assert [c.id for c in consents.list_for_client(wallet)] == [mine]
        assert [c.id for c in consents.list_for_client(other)] == [theirs]
        with pytest.raises(NotFound) as foreign:
            consents.get_for_client(wallet, theirs)
        with pytest.raises(NotFound) as missing:
            consents.get_for_client(wallet, "no-such-consent")
    assert foreign.value.code == missing.value.code == "consent_not_found"  # existence is not revealed


def test_a_holder_sees_only_the_consents_they_authorised(db, world, clock):
    consent_id = authorised(db, world, clock)
    with db.transaction() as s:
        consents = Consents(s, clock)
        assert [c.id for c in consents.list_for_holder(world.holder.id)] == [consent_id]
        assert consents.list_for_holder(world.other_holder.id) == []
        with pytest.raises(NotFound):
            consents.get_for_holder(world.other_holder.id, consent_id)


def test_authorising_binds_holder_and_accounts_and_is_audited(db, world, clock):
    consent_id = create(db, world, clock)
    clock.advance(minutes=2)
    with db.transaction() as s:
        consents = Consents(s, clock)
        consents.authorise(consents.get(consent_id), holder_id=world.holder.id,
                           account_ids=[world.account.id, world.account.id], actor="holder:alice")
    with db.transaction() as s:
        consent = s.get(Consent, consent_id)
        assert (consent.status, consent.holder_id) == (S.AUTHORISED, world.holder.id)
        assert [a.iban for a in consent.accounts] == [world.account.iban]
        assert consent.updated_at == clock.now > consent.created_at
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "consent.authorised")).one()
    assert (event.actor, event.at, event.details) == ("holder:alice", clock.now, {"previous": "awaiting_authorisation"})
    assert [a for a, _, _ in audit(db, consent_id)] == ["consent.created", "consent.authorised"]


def test_a_holder_cannot_authorise_with_someone_elses_account(db, world, clock):
    consent_id = create(db, world, clock)
    with pytest.raises(NotFound) as refused, db.transaction() as s:
        consents = Consents(s, clock)
        consents.authorise(consents.get(consent_id), holder_id=world.holder.id,
                           account_ids=[world.account.id, world.other_account.id], actor="holder:alice")
    assert refused.value.code == "bank_account_not_found"
    with db.transaction() as s:
        consent = s.get(Consent, consent_id)
        assert (consent.status, consent.holder_id, consent.accounts) == (S.AWAITING_AUTHORISATION, None, [])


def test_an_expired_consent_cannot_be_authorised(db, world, clock):
    consent_id = create(db, world, clock, expires_at=clock.now + timedelta(minutes=10))
    clock.advance(minutes=10)
    with pytest.raises(InvalidTransition) as refused, db.transaction() as s:
        consents = Consents(s, clock)
        consents.authorise(consents.get(consent_id), holder_id=world.holder.id, account_ids=[world.account.id],
                           actor="holder:alice")
    assert refused.value.code == "consent_expired"


@pytest.mark.parametrize(("path", "refused"), [
    ([S.REJECTED], S.AUTHORISED), ([S.REVOKED], S.AUTHORISED), ([S.EXPIRED], S.REVOKED),
    ([S.AUTHORISED], S.AWAITING_AUTHORISATION), ([S.AUTHORISED, S.REVOKED], S.AUTHORISED),
    ([S.AUTHORISED, S.CONSUMED], S.REVOKED), ([], S.CONSUMED)])
def test_the_lifecycle_refuses_transitions_it_does_not_allow(db, world, clock, path, refused):
    consent_id = create(db, world, clock)
    with db.transaction() as s:
        consents = Consents(s, clock)
        consent = consents.get(consent_id)
        consent.holder_id = world.holder.id
        for status in path:
            consents.transition(consent, status, actor=OPERATOR, reason="test")
    events_before = len(audit(db, consent_id))
    with pytest.raises(InvalidTransition) as error, db.transaction() as s:
        consents = Consents(s, clock)
        consents.transition(consents.get(consent_id), refused, actor=OPERATOR, reason="test")
    assert error.value.code == "invalid_transition"
    with db.transaction() as s:
        assert s.get(Consent, consent_id).status == (path[-1] if path else S.AWAITING_AUTHORISATION)
    assert len(audit(db, consent_id)) == events_before


def test_a_failure_between_state_change_and_audit_leaves_neither(db, world, clock, monkeypatch):
    consent_id = authorised(db, world, clock)
    seen_inside = []

    def failing_append(self, **event):
        self.session.flush()  # the status change has reached the database inside the transaction ...
        seen_inside.append(self.session.scalar(select(Consent.status).where(Consent.id == consent_id)))
        raise RuntimeError("audit storage failed")

    monkeypatch.setattr(AuditLog, "append", failing_append)
    with pytest.raises(RuntimeError), db.transaction() as s:
        consents = Consents(s, clock)
        consents.transition(consents.get(consent_id), S.REVOKED, actor="client:x", reason="withdrawn")
    monkeypatch.undo()

    assert seen_inside == [S.REVOKED]
    with db.transaction() as s:  # ... and is gone with the audit event that failed
        assert s.get(Consent, consent_id).status == S.AUTHORISED
    assert [a for a, _, _ in audit(db, consent_id)] == ["consent.created", "consent.authorised"]


def test_revoking_a_consent_revokes_its_tokens(db, world, clock):
    consent_id = authorised(db, world, clock)
    with db.transaction() as s:
        token = Tokens(s, clock).store(access_token=new_token(), client_id=world.wallet.client.client_id,
                                       consent_id=consent_id, scope="payments", actor="system",
                                       access_expires_at=clock.now + timedelta(minutes=5))
    with db.transaction() as s:
        consents = Consents(s, clock)
        consents.transition(consents.get(consent_id), S.REVOKED, actor="holder:alice", reason="changed my mind")
    with db.transaction() as s:
        assert not s.get(Token, token.id).access_is_active(clock.now)
        revoked = AuditLog(s).entries(subject_type="token", subject_id=token.id, action="token.revoked")
    assert [(e.actor, e.reason) for e in revoked] == [("holder:alice", "changed my mind")]
    assert audit(db, consent_id)[-1] == ("consent.revoked", "holder:alice", "changed my mind")


def test_limits_are_exact_decimals(db, world, clock):
    """0.1 + 0.2 is 0.3 here; in floats it is 0.30000000000000004 and would break the limit."""
    consent_id = authorised(db, world, clock, currency="EUR", max_total_amount=Decimal("0.3"),
                            max_amount_per_payment=Decimal("0.2"))
    for amount in ("0.1", "0.2"):
        with db.transaction() as s:
            consents = Consents(s, clock)
            consents.record_use(consents.get(consent_id), Decimal(amount), "EUR", actor="client:x")
    with db.transaction() as s:
        consent = s.get(Consent, consent_id)
        assert (consent.used_amount, consent.used_count, consent.status) == (Decimal("0.3"), 2, S.CONSUMED)
    assert [a for a, _, _ in audit(db, consent_id)][-3:] == ["consent.used", "consent.used", "consent.consumed"]


@pytest.mark.parametrize(("amount", "currency", "code"), [
    ("1000.00001", "EUR", "consent_limit_exceeded"),   # over the per-payment limit by the smallest unit
    ("500.00", "GBP", "consent_currency_mismatch"),
])
def test_a_payment_over_a_limit_is_refused_and_changes_nothing(db, world, clock, amount, currency, code):
    consent_id = authorised(db, world, clock, currency="EUR", max_amount_per_payment=Decimal(1000),
                            max_total_amount=Decimal(5000))
    with pytest.raises(LimitExceeded) as refused, db.transaction() as s:
        consents = Consents(s, clock)
        consents.record_use(consents.get(consent_id), Decimal(amount), currency, actor="client:x")
    assert refused.value.code == code
    if code == "consent_limit_exceeded":
        assert refused.value.message == "1000.00001 EUR is over the per-payment limit of 1000.00 EUR"
    with db.transaction() as s:
        consent = s.get(Consent, consent_id)
        assert (consent.used_amount, consent.used_count) == (Decimal(0), 0)


def test_the_total_and_the_count_are_enforced(db, world, clock):
    consent_id = authorised(db, world, clock, currency="EUR", max_total_amount=Decimal("100.00"), max_count=3)

    def use(amount: str) -> None:
        consents = Consents(s, clock)
        consents.record_use(consents.get(consent_id), Decimal(amount), "EUR", actor="client:x")

    with db.transaction() as s:
        use("60.00")
        with pytest.raises(LimitExceeded) as refused:
            use("40.00001")
        # amounts as the currency writes them, not as stored (100.00000): typed out by hand
        assert refused.value.message == "40.00001 EUR would go over the total limit of 100.00 EUR (60.00 EUR used)"
        use("39.99")
        use("0.01")  # the third and last payment, exactly at the total
    with db.transaction() as s:
        with pytest.raises(ConsentNotActive):
            use("0.01")
        consent = s.get(Consent, consent_id)
    assert (consent.used_amount, consent.used_count, consent.status) == (Decimal("100.00"), 3, S.CONSUMED)


def test_a_consent_is_used_only_while_authorised_and_unexpired(db, world, clock):
    waiting = create(db, world, clock)
    active = authorised(db, world, clock, expires_at=clock.now + timedelta(hours=1))
    accounts = create(db, world, clock, kind=ConsentKind.ACCOUNTS)
    clock.advance(minutes=59)
    with db.transaction() as s:
        consents = Consents(s, clock)
        consents.record_use(consents.get(active), Decimal(1), "EUR", actor="client:x")
        for consent_id in (waiting, accounts):
            with pytest.raises(ConsentNotActive):
                consents.record_use(consents.get(consent_id), Decimal(1), "EUR", actor="client:x")
    clock.advance(minutes=1)
    with pytest.raises(ConsentNotActive), db.transaction() as s:
        Consents(s, clock).record_use(Consents(s, clock).get(active), Decimal(1), "EUR", actor="client:x")


def test_overdue_consents_are_expired_by_the_system(db, world, clock):
    soon = authorised(db, world, clock, expires_at=clock.now + timedelta(hours=1))
    waiting = create(db, world, clock, expires_at=clock.now + timedelta(hours=1))
    later = authorised(db, world, clock, expires_at=clock.now + timedelta(days=1))
    clock.advance(hours=1)
    with db.transaction() as s:
        expired = Consents(s, clock).expire_due()
    assert sorted(c.id for c in expired) == sorted([soon, waiting])
    with db.transaction() as s:
        assert [s.get(Consent, i).status for i in (soon, waiting, later)] == [S.EXPIRED, S.EXPIRED, S.AUTHORISED]
    assert audit(db, soon)[-1] == ("consent.expired", "system", "expiry date passed")


@pytest.mark.parametrize(("expires_in", "limits", "code"), [
    (timedelta(0), {}, "invalid_consent"), (timedelta(days=1), {"max_count": 0}, "invalid_consent"),
    (timedelta(days=1), {"max_total_amount": Decimal(-5)}, "invalid_amount")])
def test_a_consent_must_expire_in_the_future_and_have_positive_limits(db, world, clock, expires_in, limits, code):
    with pytest.raises(InvalidInput) as refused:
        create(db, world, clock, currency="EUR", expires_at=clock.now + expires_in, **limits)
    assert refused.value.code == code
