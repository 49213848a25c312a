"""Initiate wallet operations: JSON request → canonical payments → one pain.001 per bank,
stored with the payments in the caller's transaction (the transactional outbox).

Order of the checks, cheapest and most certain first, so that a refused request
has changed nothing: the request's schema; the accounts it names (the wallet's
own, the consent's); routing and the bank's capabilities; the consent's limits;
then the built file's XSD.  Only then are rows written, and the risk rules decide
whether the file waits for review (``held``) or is due for delivery (``queued``).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.domain.errors import InvalidInput
from gateway.domain.findings import Finding
from gateway.domain.parties import Account, Agent, Party
from gateway.domain.payments import PaymentBatch
from gateway.iso20022 import build
from gateway.mapping.operations import (
    Endpoint,
    OperationContext,
    Origin,
    PlannedPayment,
    assemble,
    plan,
    validate_request,
)
from gateway.persistence.errors import AlreadyExists
from gateway.persistence.models import Consent
from gateway.persistence.payment_models import Payment, PaymentStatus
from gateway.persistence.prepared import NewRow
from gateway.persistence.repositories import Consents
from gateway.persistence.repositories.outbox import Outbox
from gateway.persistence.repositories.payments import ClientAccounts, Payments, Wallet
from gateway.routing import BankProfile
from gateway.services import ids
from gateway.services.risk import DailyUse
from gateway.services.runtime import Runtime

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Initiated:
    """The payments one request created, and the files that carry them (one per bank)."""

    payments: tuple[NewRow, ...]
    messages: tuple[NewRow, ...]


def initiate(session: Session, clock: Clock, runtime: Runtime, *, client_id: str, consent: Consent | None,
             operation: str, body: Mapping) -> Initiated:
    validate_request(operation, body)
    wallet = ClientAccounts(session).wallet(client_id)
    context = OperationContext(wallet=_wallet_endpoints(wallet),
                               consent_accounts=_consent_endpoints(consent), today=clock().date())
    minted: set[str] = set()
    planned = plan(operation, body, context, new_end_to_end_id=lambda: _remember(minted, ids.end_to_end_id()))
    # Ids the gateway minted carry 96 random bits (the unique constraint is the backstop); only the
    # client's own can have been used before.
    refuse_reused_end_to_end_ids(session, client_id, [(p.transfer.end_to_end_id, p.origin.field("end_to_end_id"))
                                                      for p in planned if p.transfer.end_to_end_id not in minted])
    actor = f"client:{client_id}"
    payments: list[NewRow] = []
    messages: list[NewRow] = []
    for bank, parts in _by_bank(runtime, planned).items():
        now = clock()
        message_id = ids.message_id(now)
        batch = assemble(parts, message_id=message_id, created_at=now,
                         initiating_party=Party(name=wallet.name),
                         new_payment_information_id=ids.block_ids(message_id), sepa=bank.is_sepa)
        try:
            runtime.router.require(bank, batch)
        except InvalidInput as exc:
            raise _at_request_fields(exc, batch, parts) from None
        if consent is not None:
            for transfer in batch.transactions:
                Consents(session, clock).record_use(consent, transfer.amount.value, transfer.amount.currency,
                                                    actor=actor, reason=f"{operation} {transfer.end_to_end_id}")
        message_type = bank.preferred_pain001
        xml = build(batch, message_type)
        held = hold_reasons(session, clock, runtime, batch)
        message = Outbox(session, clock).add(client_id=client_id, bank_id=bank.id, message_type=message_type,
                                             message_id=message_id, body=xml, sha256=_sha256(xml), held=held,
                                             actor=actor)
        messages.append(message)
        payments.extend(store_payments(session, clock, batch, message, operation=operation, client_id=client_id,
                                        consent=consent, held=held, actor=actor))
    return Initiated(tuple(payments), tuple(messages))


def store_payments(session: Session, clock: Clock, batch: PaymentBatch, message: NewRow, *, operation: str,
                   client_id: str, consent: Consent | None, held: Sequence[str], actor: str) -> list[NewRow]:
    """One row per credit transfer of ``batch``, carried by ``message`` (also used for uploaded files)."""
    status = PaymentStatus.HELD if held else PaymentStatus.QUEUED
    reason = "; ".join(held) if held else None
    rows = [
        {"client_id": client_id, "consent_id": consent.id if consent else None, "operation": operation,
         "status": status, "reason_code": None, "reason_text": reason, "amount": transfer.amount.value,
         "currency": transfer.amount.currency, "end_to_end_id": transfer.end_to_end_id,
         "message_id": batch.message_id, "payment_information_id": info.payment_information_id,
         "outgoing_message_id": message.id, "bank_id": message.bank_id,
         "debtor": _party_json(info.debtor, info.debtor_account, info.debtor_agent),
         "creditor": _party_json(transfer.creditor, transfer.creditor_account, transfer.creditor_agent),
         "debtor_iban": info.debtor_account.iban,
         "creditor_iban": transfer.creditor_account.iban if transfer.creditor_account else None,
         "remittance": _remittance_text(transfer), "requested_execution_date": info.requested_execution_date}
        for info in batch.payment_informations for transfer in info.transactions]
    return Payments(session, clock).add_many(rows, actor=actor, source=initial_source(reason, message.bank_id))


def initial_source(hold_reasons: str | None, bank_id: str) -> str:
    """Why a new payment is in its first state: the hold reasons, or the bank it is queued for."""
    return hold_reasons or f"queued for {bank_id}"


def _remember(minted: set[str], value: str) -> str:
    minted.add(value)
    return value


def _wallet_endpoints(wallet: Wallet) -> dict[str, Endpoint]:
    return {row.role.value: Endpoint(Party(name=row.name), Account(iban=row.iban, currency=row.currency),
                                     Agent(bic=row.bic))
            for row in wallet.accounts}


def _consent_endpoints(consent: Consent | None) -> tuple[Endpoint, ...]:
    if consent is None:
        return ()
    return tuple(Endpoint(Party(name=a.name), Account(iban=a.iban, currency=a.currency), Agent(bic=a.bic))
                 for a in consent.accounts)


def _by_bank(runtime: Runtime, planned: Sequence[PlannedPayment]) -> dict[BankProfile, list[PlannedPayment]]:
    """Route every payment by its debtor account before anything is written; all-or-nothing."""
    groups: dict[BankProfile, list[PlannedPayment]] = {}
    for payment in planned:
        try:
            bank = runtime.router.route(payment.debtor.account)
        except InvalidInput as exc:
            exc.findings = [replace(f, location=payment.origin.debtor) for f in exc.findings]
            raise
        groups.setdefault(bank, []).append(payment)
    return groups


def _at_request_fields(error: InvalidInput, batch: PaymentBatch, planned: Sequence[PlannedPayment]) -> InvalidInput:
    """Routing and capability findings are located in the built batch (``payment_informations.0.
    transactions.1.amount.currency``); the caller sent JSON, so each is moved to the request field
    the value came from (``payments.1.currency``), through the planned payments' origins."""
    origins = {p.transfer.end_to_end_id: p.origin for p in planned}
    error.findings = [replace(f, location=_request_location(f.location, batch, origins)) for f in error.findings]
    return error


def _request_location(location: tuple, batch: PaymentBatch, origins: Mapping[str, Origin]) -> tuple:
    if len(location) < 2 or location[0] != "payment_informations" or not isinstance(location[1], int):
        return location  # group level (control figures): no one request field
    info = batch.payment_informations[location[1]]
    rest = location[2:]
    if rest[:1] == ("transactions",) and len(rest) >= 2 and isinstance(rest[1], int):
        origin = origins[info.transactions[rest[1]].end_to_end_id]
        return _transaction_field(origin, rest[2:]) or location
    origin = origins[info.transactions[0].end_to_end_id]  # a block's fields come from its payments
    if rest[:1] in (("debtor",), ("debtor_account",), ("debtor_agent",)):
        return origin.debtor
    if rest[:1] in (("charge_bearer",), ("requested_execution_date",), ("category_purpose",)):
        return origin.field(rest[0])
    return location


def _transaction_field(origin: Origin, rest: tuple) -> tuple | None:
    head = rest[0] if rest else None
    if head == "amount":
        return origin.field("currency" if rest[1:2] == ("currency",) else "amount")
    if head == "creditor_account":
        return origin.creditor_field("account_id" if rest[1:2] == ("other_id",) else "iban")
    if head == "creditor_agent":
        return origin.creditor_field("bic")
    if head == "creditor" and rest[1:2] == ("postal_address",):
        return origin.creditor_field("address") + rest[2:] if origin.creditor_given else origin.creditor
    if head == "creditor":
        return origin.creditor
    if head in ("charge_bearer", "remittance", "purpose", "category_purpose", "end_to_end_id"):
        return origin.field(head)
    return None


def refuse_reused_end_to_end_ids(session: Session, client_id: str, wanted: Sequence[tuple[str, tuple]]) -> None:
    """An EndToEndId names one payment of a client, for good: a repeat in the request is 422, one
    already used by an earlier payment 409.  ``wanted``: each EndToEndId with where it was given
    (a request field or a canonical location); every finding names its place, so the line to fix
    in a 10,000-payment payout is found without searching."""
    if not wanted:
        return
    ids = [e for e, _ in wanted]
    taken = set(session.scalars(select(Payment.end_to_end_id).where(Payment.client_id == client_id,
                                                                    Payment.end_to_end_id.in_(ids))))
    findings, seen = [], set()
    for e2e, location in wanted:
        if e2e in taken:
            message = f"EndToEndId {e2e!r} is used by another payment of this client"
        elif e2e in seen:
            message = f"EndToEndId {e2e!r} appears twice in this request"
        else:
            seen.add(e2e)
            continue
        findings.append(Finding(rule="operation.end_to_end_id", reason="AM05", message=message, value=e2e,
                                location=location))
    if not findings:
        return
    if taken:
        error = AlreadyExists("an EndToEndId is never reused for a different payment", code="end_to_end_id_reused")
        error.findings = findings
        raise error
    raise InvalidInput("the request repeats an EndToEndId", findings, code="invalid_operation")


def hold_reasons(session: Session, clock: Clock, runtime: Runtime, batch: PaymentBatch) -> list[str]:
    """Why the risk rules hold this batch's file for review (empty: send it)."""
    reasons: list[str] = []
    if runtime.risk.empty:
        return reasons
    today = clock().replace(hour=0, minute=0, second=0, microsecond=0)
    for info in batch.payment_informations:
        use = _daily_use(session, info.debtor_account.iban, today) if runtime.risk.counts_daily_use else DailyUse()
        for transfer in info.transactions:
            found = runtime.risk.reasons(
                amount=transfer.amount.value, currency=transfer.amount.currency,
                creditor_iban=transfer.creditor_account.iban if transfer.creditor_account else None,
                creditor_name=transfer.creditor.name if transfer.creditor else None, today=use)
            reasons += [f"{transfer.end_to_end_id}: {r}" for r in found]
            use = DailyUse(use.count + 1, use.amount + transfer.amount.value)
    return reasons


def _daily_use(session: Session, iban: str | None, day_start: datetime) -> DailyUse:
    if not iban:
        return DailyUse()
    query = select(func.count(), Payment.amount).where(
        Payment.debtor_iban == iban, Payment.created_at >= day_start, Payment.created_at < day_start + timedelta(1),
        Payment.status != PaymentStatus.REJECTED).group_by(Payment.amount)
    count, total = 0, Decimal(0)
    for n, amount in session.execute(query):  # amounts are summed in Python: exact on SQLite too
        count, total = count + n, total + n * amount
    return DailyUse(count, total)


def _party_json(party: Party | None, account: Account | None, agent: Agent | None) -> dict:
    return {"name": party.name if party else None, "iban": account.iban if account else None,
            "bic": agent.bic if agent else None}


def _remittance_text(transfer) -> str | None:
    remittance = transfer.remittance
    if remittance is None:
        return None
    return remittance.creditor_reference or " ".join(remittance.unstructured) or None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
