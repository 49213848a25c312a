"""Planned payments → one pain.001 ``PaymentBatch``, grouped and with its control figures.

Grouping: a payment information block (PmtInf) has one debtor account, one
requested execution date and one payment type (service level, local instrument,
category purpose), so payments are grouped by exactly that key; blocks come in the
order their first payment was planned, and payments keep their order inside a
block.  NbOfTxs and CtrlSum are computed for every block and the group header.

The scheme decides the rest:

* SEPA (``sepa=True``, EPC SCT rulebook): service level ``SEPA`` and charge bearer
  ``SLEV`` on every block.  Refused, each finding at the request field: a currency
  other than euro (AM03), another charge bearer asked for (BE19), another service
  level (FF04), an account without IBAN or with an IBAN outside the SEPA zone
  (AC02 debtor, AC03 creditor).
* Otherwise: the charge bearer asked for, SHAR when none (PSD2 art. 62(2) makes
  "each pays its own bank" the rule inside the EEA and it is the neutral choice
  elsewhere), on the block when all its payments agree, else on each payment; and
  the creditor's BIC is required (RC01) when the creditor's account is not in the
  debtor's country (the countries of the IBANs; an account without IBAN is
  reachable only through its bank's BIC), since outside SEPA the bank cannot route
  on the IBAN alone.

A pain.001 must name the debtor's bank (DbtrAgt).  An endpoint without BIC gets
the BIC the IBAN registry gives for its bank code; when the registry has none the
payment is refused (RC01) rather than written with a bank nobody named.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

from schwifty import IBAN, registry
from schwifty.exceptions import SchwiftyException

from gateway.domain.countries import account_country, is_cross_border
from gateway.domain.findings import Finding
from gateway.domain.parties import Account, Agent, Party
from gateway.domain.payments import CreditTransfer, PaymentBatch, PaymentInformation
from gateway.mapping.operations.endpoints import Endpoint
from gateway.mapping.operations.errors import EmptyBatch, PaymentRefused
from gateway.mapping.operations.planned import PlannedPayment

SEPA_SERVICE_LEVEL = "SEPA"
SEPA_CHARGE_BEARER = "SLEV"
SEPA_CURRENCY = "EUR"
DEFAULT_CHARGE_BEARER = "SHAR"

GroupKey = tuple[Endpoint, date, str | None, str | None, str | None]


def assemble(planned: Sequence[PlannedPayment], *, message_id: str, created_at: datetime, initiating_party: Party,
             new_payment_information_id: Callable[[], str], sepa: bool) -> PaymentBatch:
    """One batch carrying ``planned``; ``PaymentRefused`` with every finding when the scheme cannot carry them."""
    if not planned:
        raise EmptyBatch("a pain.001 carries at least one payment; nothing was planned")
    findings: list[Finding] = []
    agents: dict[Endpoint, Agent] = {}
    for payment in planned:
        findings += _sepa(payment) if sepa else _cross_border(payment)
        if payment.debtor not in agents:
            agent = _debtor_agent(payment, findings)
            if agent is not None:
                agents[payment.debtor] = agent
    if findings:
        unique = list(dict.fromkeys(findings))
        raise PaymentRefused(f"{'SEPA' if sepa else 'the bank'} cannot carry this: {unique[0].message}", unique)

    groups: dict[GroupKey, list[PlannedPayment]] = {}
    for payment in planned:
        service_level = SEPA_SERVICE_LEVEL if sepa else payment.service_level
        key = (payment.debtor, payment.requested_execution_date, service_level, payment.local_instrument,
               payment.category_purpose)
        groups.setdefault(key, []).append(payment)
    blocks = tuple(_block(key, members, agents[key[0]], new_payment_information_id(), sepa)
                   for key, members in groups.items())
    return PaymentBatch(message_id=message_id, creation_date_time=created_at, initiating_party=initiating_party,
                        payment_informations=blocks,
                        number_of_transactions=sum(b.number_of_transactions for b in blocks),
                        control_sum=sum((b.control_sum for b in blocks), Decimal(0)))


def _block(key: GroupKey, members: list[PlannedPayment], agent: Agent, block_id: str,
           sepa: bool) -> PaymentInformation:
    debtor, when, service_level, local_instrument, category_purpose = key
    transfers = [m.transfer for m in members]
    if sepa:
        bearer = SEPA_CHARGE_BEARER
        transfers = [_without_charge_bearer(t) for t in transfers]
    else:
        asked = {t.charge_bearer or DEFAULT_CHARGE_BEARER for t in transfers}
        if len(asked) == 1:
            bearer = asked.pop()
            transfers = [_without_charge_bearer(t) for t in transfers]
        else:  # ChrgBr on each transaction instead (allowed by both pain.001 versions)
            bearer = None
            transfers = [replace(t, charge_bearer=t.charge_bearer or DEFAULT_CHARGE_BEARER) for t in transfers]
    return PaymentInformation(
        payment_information_id=block_id, requested_execution_date=when, debtor=debtor.party,
        debtor_account=debtor.account, debtor_agent=agent, transactions=tuple(transfers),
        service_level=service_level, local_instrument=local_instrument, category_purpose=category_purpose,
        charge_bearer=bearer, number_of_transactions=len(transfers),
        control_sum=sum((t.amount.value for t in transfers), Decimal(0)))


def _without_charge_bearer(transfer: CreditTransfer) -> CreditTransfer:
    """The block's ChrgBr speaks for it (most transfers never had their own)."""
    return transfer if transfer.charge_bearer is None else replace(transfer, charge_bearer=None)


def _sepa(payment: PlannedPayment) -> list[Finding]:
    origin, transfer = payment.origin, payment.transfer
    findings = []
    if transfer.amount.currency != SEPA_CURRENCY:
        findings.append(Finding(rule="sepa.currency", reason="AM03", location=origin.field("currency"),
                                value=transfer.amount.currency,
                                message=f"SEPA credit transfers are in euro only, not {transfer.amount.currency}"))
    if transfer.charge_bearer not in (None, SEPA_CHARGE_BEARER):
        findings.append(Finding(rule="sepa.charge_bearer", reason="BE19", location=origin.field("charge_bearer"),
                                value=transfer.charge_bearer,
                                message=f"SEPA charges are shared by the scheme's rules (SLEV); "
                                        f"charge_bearer {transfer.charge_bearer} cannot be honoured"))
    if payment.service_level not in (None, SEPA_SERVICE_LEVEL):
        findings.append(Finding(rule="sepa.service_level", reason="FF04", location=origin.field("service_level"),
                                value=payment.service_level,
                                message=f"a SEPA payment has service level SEPA, not {payment.service_level}"))
    findings += _sepa_account(payment.debtor.account, "debtor", origin.debtor, "AC02")
    account = transfer.creditor_account or Account()
    where = origin.creditor_field("iban" if account.iban else "account_id")
    findings += _sepa_account(account, "creditor", where, "AC03")
    return findings


def _sepa_account(account: Account, side: str, where, reason: str) -> list[Finding]:
    if account.iban is None:
        return [Finding(rule="sepa.iban", reason=reason, location=where, value=account.other_id,
                        message=f"SEPA identifies accounts by IBAN only; the {side}'s account has none")]
    if not _in_sepa_zone(account.iban[:2]):
        return [Finding(rule="sepa.zone", reason=reason, location=where, value=account.iban,
                        message=f"the {side}'s account is in {account.iban[:2]}, outside the SEPA zone")]
    return []


def _in_sepa_zone(country: str) -> bool:
    try:
        return bool(registry.get_iban_spec(country).in_sepa_zone)
    except SchwiftyException:
        return False


def _cross_border(payment: PlannedPayment) -> list[Finding]:
    """Outside SEPA a cross-border payment must name the creditor's bank; "cross-border" is the
    one definition the routing uses too (gateway.domain.countries: euro between SEPA countries
    is domestic)."""
    transfer = payment.transfer
    if transfer.creditor_agent is not None and transfer.creditor_agent.bic:
        return []
    account = transfer.creditor_account or Account()
    debtor = account_country(payment.debtor.account, payment.debtor.agent)
    creditor = account_country(account) if account.iban else None
    if creditor is not None and not is_cross_border(debtor, creditor, transfer.amount.currency):
        return []
    where = payment.origin.creditor_field("bic")
    if creditor is None:
        message = "the creditor's account has no IBAN, so its bank must be named: give the creditor's bic"
    else:
        message = (f"the creditor's account is in {creditor}, the debtor's in {debtor or 'an unknown country'}: "
                   "a cross-border payment needs the creditor's bic")
    return [Finding(rule="creditor_agent.bic_required", reason="RC01", location=where, message=message)]


def _debtor_agent(payment: PlannedPayment, findings: list[Finding]) -> Agent | None:
    """The debtor's bank as the block names it: the endpoint's, or the BIC its IBAN's bank code registers."""
    agent, account = payment.debtor.agent, payment.debtor.account
    if agent.bic or agent.clearing_member_id or agent.name:
        return agent
    bic = None
    if account.iban:
        try:
            bic = IBAN(account.iban).bic
        except SchwiftyException:
            bic = None
    if bic is not None:
        return replace(agent, bic=str(bic))
    findings.append(Finding(rule="debtor_agent.bic_required", reason="RC01", location=payment.origin.debtor,
                            value=account.iban,
                            message="the debtor's bank has no BIC on record and the IBAN registry knows none "
                                    "for its bank code: a pain.001 must name the debtor's bank"))
    return None
