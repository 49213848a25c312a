"""Payment files: a wallet provider uploads a pain.001 under a holder's payments consent.

The file is accepted whole or not at all:

1. valid against its XSD and the business rules (findings with XPaths, 422);
2. a pain.001 the client has not sent before (MsgId, EndToEndIds: 409);
3. within its consent: every debtor account is one the holder picked, the
   consent's file hash (if it names one) is this file's, and the file as a whole
   fits the per-payment, total and count limits (403 ``consent_limit_exceeded``,
   checked for the whole file first, so a file one payment too long is told so
   rather than finding the consent used up half-way through);
4. every block routes to a bank that can take it (422 with findings).

Findings about the file (consent, routing, the bank's capabilities) carry the
XPath of the uploaded file, like the validator's: the uploader reads XML.

Then it is split per destination bank.  A file that goes to one bank in a
version that bank takes is sent as the very bytes uploaded (the client's
MsgId, their signature if any); otherwise each bank's part is rebuilt in the
bank's preferred version under ``<MsgId>-P<n>``.  MsgIds are unique per bank (the bank
sees nothing else), so where another client's file at that bank already has the MsgId, ours
goes under a MsgId of the gateway's: the bank would otherwise take it for a duplicate.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.domain.errors import InvalidInput
from gateway.domain.findings import Finding
from gateway.domain.money import money_text
from gateway.domain.payments import PaymentBatch
from gateway.iso20022 import build, validate
from gateway.iso20022.validate import locate
from gateway.mapping.registry import default_mappings
from gateway.persistence.errors import AlreadyExists, LimitExceeded
from gateway.persistence.models import Consent
from gateway.persistence.payment_models import OutgoingMessage
from gateway.persistence.repositories import Consents
from gateway.persistence.repositories.outbox import Outbox
from gateway.routing import BankProfile
from gateway.services import ids
from gateway.services.operations import (
    Initiated,
    hold_reasons,
    refuse_reused_end_to_end_ids,
    store_payments,
)
from gateway.services.runtime import Runtime

Clock = Callable[[], datetime]
OPERATION = "payment-file"


def submit_file(session: Session, clock: Clock, runtime: Runtime, *, client_id: str, consent: Consent,
                body: bytes) -> Initiated:
    parsed = _valid_file(body, clock)
    batch, declared = parsed.document, str(parsed.message)
    digest = hashlib.sha256(body).hexdigest()
    _refuse_reused_message_id(session, client_id, batch.message_id)
    try:
        refuse_reused_end_to_end_ids(session, client_id, [
            (t.end_to_end_id, ("payment_informations", i, "transactions", j, "end_to_end_id"))
            for i, info in enumerate(batch.payment_informations) for j, t in enumerate(info.transactions)])
        _within_consent(consent, batch, digest)
        parts = _split(runtime, batch)
    except (InvalidInput, LimitExceeded, AlreadyExists) as exc:
        raise _with_xpaths(exc, parsed.message) from None
    actor = f"client:{client_id}"
    for transfer in batch.transactions:
        Consents(session, clock).record_use(consent, transfer.amount.value, transfer.amount.currency, actor=actor,
                                            reason=f"payment file {batch.message_id} {transfer.end_to_end_id}")
    payments, messages = [], []
    for number, (bank, part) in enumerate(parts.items(), start=1):
        if len(parts) == 1 and bank.accepts_pain001(declared) and not _taken_at(session, bank.id, batch.message_id):
            message_type, xml = declared, body
        else:
            part_id = _part_id(batch.message_id, number)
            _refuse_taken_part_id(session, client_id, part_id, batch.message_id)
            if _taken_at(session, bank.id, part_id):  # another client's file at this bank has it
                part_id = ids.message_id(clock())
            part = replace(part, message_id=part_id, number_of_transactions=None, control_sum=None)
            message_type = bank.preferred_pain001
            xml = build(part, message_type)
        held = hold_reasons(session, clock, runtime, part)
        message = Outbox(session, clock).add(client_id=client_id, bank_id=bank.id, message_type=message_type,
                                             message_id=part.message_id, body=xml,
                                             sha256=hashlib.sha256(xml).hexdigest(), held=held, actor=actor)
        messages.append(message)
        payments += store_payments(session, clock, part, message, operation=OPERATION, client_id=client_id,
                                   consent=consent, held=held, actor=actor)
    return Initiated(tuple(payments), tuple(messages))


def _valid_file(body: bytes, clock: Clock):
    """The parsed file (its ``document`` a PaymentBatch), or the validator's findings (422)."""
    report = validate(body, today=clock().date())
    if report.family not in (None, "pain.001"):
        raise InvalidInput(f"a payment file is a pain.001, not a {report.family}", report.findings,
                           code="not_a_payment_file")
    if not report.valid:
        raise InvalidInput(f"the payment file has {len(report.errors)} error(s); nothing was accepted",
                           report.findings, code="invalid_payment_file")
    assert report.parsed is not None and isinstance(report.parsed.document, PaymentBatch)
    return report.parsed


def _refuse_reused_message_id(session: Session, client_id: str, message_id: str) -> None:
    taken = session.scalar(select(OutgoingMessage.id).where(OutgoingMessage.client_id == client_id,
                                                            OutgoingMessage.message_id.in_([message_id, _part_id(message_id, 1)])))
    if taken is not None:
        raise AlreadyExists(f"a file with MsgId {message_id!r} was already submitted by this client; a MsgId is "
                            "never reused", code="message_id_reused")


def _within_consent(consent: Consent, batch: PaymentBatch, digest: str) -> None:
    if consent.file_sha256 and consent.file_sha256.lower() != digest:
        raise LimitExceeded(f"the consent is for the file with SHA-256 {consent.file_sha256}, not this one "
                            f"({digest})", code="consent_file_mismatch")
    allowed = {a.iban for a in consent.accounts}
    outside = [Finding(rule="consent.debtor_account", reason="AG01", location=("payment_informations", i,
                                                                               "debtor_account", "iban"),
                       message=f"the holder did not consent to payments from {info.debtor_account.iban}",
                       value=info.debtor_account.iban)
               for i, info in enumerate(batch.payment_informations) if info.debtor_account.iban not in allowed]
    if outside:
        error = LimitExceeded(outside[0].message, code="consent_account_mismatch")
        error.findings = outside
        raise error
    _within_limits(consent, batch)


def _within_limits(consent: Consent, batch: PaymentBatch) -> None:
    """The whole file against the consent's limits before any payment is counted: ``record_use``
    checks one payment at a time and turns the consent ``consumed`` when the count is reached, so
    a file with one payment too many would otherwise be refused as 'consent not active'."""
    amounts = [t.amount for t in batch.transactions]
    if consent.currency is not None:
        other = sorted({a.currency for a in amounts if a.currency != consent.currency})
        if other:
            raise LimitExceeded(f"the consent is in {consent.currency}; the file pays in {', '.join(other)}",
                                code="consent_currency_mismatch")
    total = sum((a.value for a in amounts), Decimal(0))
    if consent.max_count is not None and consent.used_count + len(amounts) > consent.max_count:
        raise LimitExceeded(f"the file has {len(amounts)} payments; the consent allows {consent.max_count} "
                            f"({consent.used_count} used)")
    if consent.max_total_amount is not None and consent.used_amount + total > consent.max_total_amount:
        currency = consent.currency or ""
        raise LimitExceeded(f"the file's payments total {money_text(total, currency)}, which would go over the "
                            f"consent's total limit of {money_text(consent.max_total_amount, currency)} "
                            f"({money_text(consent.used_amount, currency)} used)")
    # the per-payment limit is record_use's, payment by payment, with the amount in its message


def _with_xpaths(error, message):
    """The error with each finding given the uploaded file's XPath for its canonical location."""
    locator = default_mappings().locator(message)
    error.findings = [locate(f, locator) for f in getattr(error, "findings", None) or []]
    return error


def _split(runtime: Runtime, batch: PaymentBatch) -> dict[BankProfile, PaymentBatch]:
    """The blocks per destination bank, each part checked against its bank's capabilities."""
    blocks: dict[BankProfile, list] = {}
    for index, info in enumerate(batch.payment_informations):
        blocks.setdefault(runtime.router.route_information(info, index=index), []).append(info)
    if len(blocks) == 1:
        parts = {bank: batch for bank in blocks}
    else:  # each part's group header counts its own payments (the blocks' figures stand as validated)
        parts = {bank: replace(batch, payment_informations=tuple(infos), number_of_transactions=len(
                     [t for info in infos for t in info.transactions]), control_sum=sum(
                     (t.amount.value for info in infos for t in info.transactions), Decimal(0)))
                 for bank, infos in blocks.items()}
    for bank, part in parts.items():
        runtime.router.require(bank, part)
    return parts


def _taken_at(session: Session, bank_id: str, message_id: str) -> bool:
    """Whether a file with this MsgId already went to this bank (another client's: the bank would
    take ours for a duplicate of it, so ours is sent under a MsgId of the gateway's)."""
    return session.scalar(select(OutgoingMessage.id).where(OutgoingMessage.bank_id == bank_id,
                                                           OutgoingMessage.message_id == message_id)) is not None


def _refuse_taken_part_id(session: Session, client_id: str, part_id: str, message_id: str) -> None:
    """A part's derived MsgId may be one the client gave an earlier file itself (``X-P2``); the
    unique (client, MsgId) would refuse it at commit as a 500, so it is refused here, by name."""
    taken = session.scalar(select(OutgoingMessage.id).where(OutgoingMessage.client_id == client_id,
                                                            OutgoingMessage.message_id == part_id))
    if taken is not None:
        raise AlreadyExists(f"this file goes to more than one bank, and its part for one of them would be sent as "
                            f"MsgId {part_id!r} (derived from {message_id!r}), which an earlier file of this client "
                            "already has; send the file under another MsgId", code="message_id_reused")


def _part_id(message_id: str, number: int) -> str:
    """The client's MsgId with the part's number (``<MsgId>-P<n>``), within Max35Text.  A MsgId too
    long for the suffix keeps its start and gets 6 hex digits of its SHA-256 instead of its end, so
    two MsgIds that differ only in their last characters still give different part ids."""
    suffix = f"-P{number}"
    if len(message_id) + len(suffix) <= 35:
        return message_id + suffix
    digest = hashlib.sha256(message_id.encode()).hexdigest()[:6].upper()
    return f"{message_id[:35 - len(suffix) - len(digest) - 1]}-{digest}{suffix}"
