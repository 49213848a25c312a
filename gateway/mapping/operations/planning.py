"""From a valid request to the payments it asks for: whose accounts, which codes, when.

``plan`` reads the operation's spec and nothing else decides: which account is the
debtor and which the creditor (sources.py), and the default codes when the request
gives none.  What it refuses, all at once, each finding locating the field:

* an account the operation needs that is not there (no settlement account
  configured, a ``debtor_iban`` that is not one of the consent's...): AC02 for the
  debtor side, AC03 for the creditor side;
* a requested execution date in the past (DT01): banks reject it rather than
  silently moving it, so the wallet hears it now; or more than a year ahead (CH03),
  which banks do not accept either.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from gateway.domain.findings import Finding
from gateway.domain.money import InvalidAmount, Money, minor_units
from gateway.domain.parties import Agent
from gateway.domain.payments import CreditTransfer
from gateway.mapping.operations.catalog import OperationCatalog, default_catalog
from gateway.mapping.operations.endpoints import Endpoint, OperationContext
from gateway.mapping.operations.errors import OperationRefused
from gateway.mapping.operations.planned import Origin, PlannedPayment
from gateway.mapping.operations.sources import Refusal
from gateway.mapping.operations.spec import OperationSpec
from gateway.mapping.operations.vocabulary import RequestFields, remittance


def plan(operation: str, body: Mapping[str, Any], context: OperationContext, *,
         new_end_to_end_id: Callable[[], str], catalog: OperationCatalog | None = None) -> list[PlannedPayment]:
    """The payments ``body`` (already valid, see ``validate_request``) asks for, in request order.

    ``new_end_to_end_id`` is called once for every payment that brings no
    ``end_to_end_id`` of its own."""
    spec = (catalog or default_catalog()).spec(operation)
    planned: list[PlannedPayment] = []
    findings: list[Finding] = []
    for fields in spec.payments(body):
        try:
            planned.append(_plan_one(spec, fields, context, new_end_to_end_id))
        except _Refused as refused:
            findings += refused.findings
    if findings:
        unique = list(dict.fromkeys(findings))  # one missing wallet account, not one per payment
        raise OperationRefused(f"the {operation} cannot be carried out: {unique[0].message}", unique)
    return planned


class _Refused(Exception):
    def __init__(self, findings: list[Finding]) -> None:
        super().__init__(findings[0].message)
        self.findings = findings


def _plan_one(spec: OperationSpec, fields: RequestFields, context: OperationContext,
              new_end_to_end_id: Callable[[], str]) -> PlannedPayment:
    findings: list[Finding] = []
    resolved = {}
    for side, source in (("debtor", spec.debtor), ("creditor", spec.creditor)):
        try:
            resolved[side] = source.resolve(fields, context, side)
        except Refusal as refusal:
            findings.append(refusal.finding)
    when = _execution_date(fields, context.today, findings)
    amount = _amount(fields, findings)
    if findings:
        raise _Refused(findings)
    debtor, creditor = resolved["debtor"], resolved["creditor"]
    defaults = spec.defaults

    def choose(name: str) -> str | None:
        value, _ = fields.get(name)
        return value if value is not None else getattr(defaults, name)

    end_to_end_id, _ = fields.get("end_to_end_id")
    transfer = CreditTransfer(
        end_to_end_id=end_to_end_id or new_end_to_end_id(), amount=amount,
        charge_bearer=choose("charge_bearer"), creditor_agent=_agent(creditor.endpoint),
        creditor=creditor.endpoint.party, creditor_account=creditor.endpoint.account,
        purpose=choose("purpose"), remittance=remittance(fields.get("remittance")[0]))
    origin = Origin(payment=fields.base, debtor=debtor.location, creditor=creditor.location,
                    creditor_given=creditor.given)
    return PlannedPayment(debtor=debtor.endpoint, transfer=transfer, requested_execution_date=when,
                          service_level=defaults.service_level, local_instrument=defaults.local_instrument,
                          category_purpose=choose("category_purpose"), origin=origin)


def _agent(endpoint: Endpoint) -> Agent | None:
    """The creditor's bank when something identifies it; an empty CdtrAgt is not written at all."""
    agent = endpoint.agent
    return agent if (agent.bic or agent.clearing_member_id or agent.name) else None


def _execution_date(fields: RequestFields, today: date, findings: list[Finding]) -> date:
    text, where = fields.get("requested_execution_date")
    if text is None:
        return today
    when = date.fromisoformat(text)
    latest = _one_year_after(today)
    if when < today:
        findings.append(Finding(rule="operation.execution_date", reason="DT01", location=where, value=text,
                                message=f"requested_execution_date {when} is in the past (today is {today})"))
    elif when > latest:
        findings.append(Finding(rule="operation.execution_date", reason="CH03", location=where, value=text,
                                message=f"requested_execution_date {when} is more than a year ahead (latest {latest})"))
    return when


def _one_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def _amount(fields: RequestFields, findings: list[Finding]) -> Money | None:
    value, where = fields.get("amount")
    currency, _ = fields.get("currency")
    try:
        money = Money.of(value, currency)
    except InvalidAmount as exc:  # validate_request refuses these first; a caller that skipped it hears it here
        findings.append(Finding(rule="operation.amount", reason="AM12", location=where, value=str(value),
                                message=exc.message))
        return None
    # Written with the currency's decimals ("5" -> "5.00"): the same value, in the form banks and statements use.
    exponent = Decimal(1).scaleb(-(minor_units(currency) or 0))
    return Money(money.value.quantize(exponent), currency)
