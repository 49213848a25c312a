"""Consents and their lifecycle:

    awaiting_authorisation → authorised → consumed | revoked | expired
    awaiting_authorisation → rejected | revoked | expired

Every change is audited in the same transaction.  Limits are checked in exact
decimals, in Python (on SQLite amounts are stored as text; see types.py), and
the version column turns two concurrent uses of one consent into one success
and one ``ConcurrentUpdate``, never a limit overrun.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, select

from gateway.domain.errors import InvalidInput
from gateway.domain.money import money_text
from gateway.persistence.errors import (
    ConsentNotActive,
    InvalidTransition,
    LimitExceeded,
)
from gateway.persistence.models import Consent, ConsentKind, ConsentStatus, new_id
from gateway.persistence.repositories.audit import SYSTEM, Repository, found
from gateway.persistence.repositories.parties import BankAccounts
from gateway.persistence.repositories.tokens import Tokens

_S = ConsentStatus
TRANSITIONS: dict[ConsentStatus, frozenset[ConsentStatus]] = {
    _S.AWAITING_AUTHORISATION: frozenset({_S.AUTHORISED, _S.REJECTED, _S.REVOKED, _S.EXPIRED}),
    _S.AUTHORISED: frozenset({_S.CONSUMED, _S.REVOKED, _S.EXPIRED}),
}  # every other status is final


class Consents(Repository):
    def create(self, *, client_id: str, kind: ConsentKind | str, permissions: Iterable[str], expires_at: datetime,
               actor: str, currency: str | None = None, max_amount_per_payment: Decimal | None = None,
               max_total_amount: Decimal | None = None, max_count: int | None = None,
               file_sha256: str | None = None) -> Consent:
        """A new consent awaiting the holder's authorisation."""
        if expires_at <= self.clock():
            raise InvalidInput("a consent must expire in the future", code="invalid_consent")
        for limit in (max_amount_per_payment, max_total_amount):
            if limit is not None:
                _positive_amount(limit)
        if max_count is not None and max_count <= 0:
            raise InvalidInput(f"max_count must be positive, got {max_count}", code="invalid_consent")
        consent = Consent(id=new_id(), client_id=client_id, kind=ConsentKind(kind), status=_S.AWAITING_AUTHORISATION,
                          permissions=list(permissions), currency=currency, max_amount_per_payment=max_amount_per_payment,
                          max_total_amount=max_total_amount, max_count=max_count, used_amount=Decimal(0), used_count=0,
                          file_sha256=file_sha256, expires_at=expires_at, created_at=self.clock(),
                          updated_at=self.clock())
        self.session.add(consent)
        self.audit(actor, "consent.created", consent, client_id=client_id, kind=consent.kind.value)
        return consent

    def get(self, consent_id: str) -> Consent:
        """Any consent, for the operator and the system; clients and holders use the two below."""
        return found(self.session.get(Consent, consent_id), "consent", consent_id)

    def get_for_client(self, client_id: str, consent_id: str) -> Consent:
        """The consent if this client created it; another client's consent is 'not found', not 'forbidden'."""
        return self._one(consent_id, Consent.client_id == client_id)

    def get_for_holder(self, holder_id: str, consent_id: str) -> Consent:
        return self._one(consent_id, Consent.holder_id == holder_id)

    def list_for_client(self, client_id: str) -> list[Consent]:
        return self._list(Consent.client_id == client_id)

    def list_for_holder(self, holder_id: str) -> list[Consent]:
        return self._list(Consent.holder_id == holder_id)

    def authorise(self, consent: Consent, *, holder_id: str, account_ids: Iterable[str], actor: str,
                  reason: str = "approved by the account holder") -> Consent:
        """The holder approves, for the accounts they picked (all theirs, at least one)."""
        accounts = BankAccounts(self.session, self.clock)
        chosen = [accounts.get_for_holder(holder_id, account_id) for account_id in dict.fromkeys(account_ids)]
        if not chosen:
            raise InvalidInput("pick at least one account", code="no_account_chosen")
        if consent.expires_at <= self.clock():
            raise InvalidTransition("the consent has expired", code="consent_expired")
        consent.holder_id, consent.accounts = holder_id, chosen
        return self.transition(consent, _S.AUTHORISED, actor=actor, reason=reason)

    def transition(self, consent: Consent, status: ConsentStatus, *, actor: str, reason: str) -> Consent:
        """Move to ``status`` if the lifecycle allows it, with its audit event.  Revoking a consent
        revokes its tokens too (the resource protector checks the consent anyway; this also shows
        in introspection and in the audit log)."""
        if status not in TRANSITIONS.get(consent.status, frozenset()):
            raise InvalidTransition(f"a {consent.status.value} consent cannot become {status.value}")
        previous, consent.status, consent.updated_at = consent.status, _S(status), self.clock()
        self.session.flush()
        self.audit(actor, f"consent.{status.value}", consent, reason, previous=previous.value)
        if status == _S.REVOKED:
            Tokens(self.session, self.clock).revoke_for_consent(consent.id, actor=actor, reason=reason)
        return consent

    def record_use(self, consent: Consent, amount: Decimal, currency: str, *, actor: str,
                   reason: str | None = None) -> Consent:
        """Count a payment against the consent's limits; it becomes ``consumed`` when its count or
        total is used up."""
        if consent.kind != ConsentKind.PAYMENTS or not consent.is_active(self.clock()):
            raise ConsentNotActive(f"consent {consent.id} is {consent.status.value} and cannot be used")
        _check_limits(consent, amount, currency)
        consent.used_amount += amount
        consent.used_count += 1
        consent.updated_at = self.clock()
        self.session.flush()
        self.audit(actor, "consent.used", consent, reason, amount=str(amount), currency=currency,
                   used_amount=str(consent.used_amount), used_count=consent.used_count)
        if _used_up(consent):
            self.transition(consent, _S.CONSUMED, actor=actor, reason="limits used up")
        return consent

    def expire_due(self) -> list[Consent]:
        """Mark every open consent past its expiry as expired (run periodically)."""
        query = select(Consent).where(Consent.status.in_(list(TRANSITIONS)), Consent.expires_at <= self.clock())
        due = list(self.session.scalars(query))
        for consent in due:
            self.transition(consent, _S.EXPIRED, actor=SYSTEM, reason="expiry date passed")
        return due

    def _one(self, consent_id: str, owner: ColumnElement[bool]) -> Consent:
        consent = self.session.scalar(select(Consent).where(Consent.id == consent_id, owner))
        return found(consent, "consent", consent_id)

    def _list(self, owner: ColumnElement[bool]) -> list[Consent]:
        return list(self.session.scalars(select(Consent).where(owner).order_by(Consent.created_at, Consent.id)))


def _positive_amount(amount: object) -> None:
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        raise InvalidInput(f"amounts are positive Decimals, got {amount!r}", code="invalid_amount")


def _check_limits(consent: Consent, amount: Decimal, currency: str) -> None:
    _positive_amount(amount)
    if consent.currency is not None and currency != consent.currency:
        raise LimitExceeded(f"the consent is in {consent.currency}, not {currency}", code="consent_currency_mismatch")
    if consent.max_amount_per_payment is not None and amount > consent.max_amount_per_payment:
        raise LimitExceeded(f"{money_text(amount, currency)} is over the per-payment limit of "
                            f"{money_text(consent.max_amount_per_payment, currency)}")
    if consent.max_total_amount is not None and consent.used_amount + amount > consent.max_total_amount:
        raise LimitExceeded(f"{money_text(amount, currency)} would go over the total limit of "
                            f"{money_text(consent.max_total_amount, currency)} "
                            f"({money_text(consent.used_amount, currency)} used)")
    if consent.max_count is not None and consent.used_count >= consent.max_count:
        raise LimitExceeded(f"all {consent.max_count} payments of the consent are used")


def _used_up(consent: Consent) -> bool:
    return ((consent.max_count is not None and consent.used_count >= consent.max_count)
            or (consent.max_total_amount is not None and consent.used_amount >= consent.max_total_amount))
