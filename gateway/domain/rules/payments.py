"""Business rules for a credit transfer initiation (pain.001) beyond its XSD.

``check_batch`` returns every finding at once rather than stopping at the first,
so a customer can fix a file in one round trip.  Rules and reason codes:

* control figures, at group and payment-information level, only when declared:
  NbOfTxs (AM18) and CtrlSum (AM10), compared as exact Decimals;
* every IBAN (AC01) and BIC (RC01) anywhere in the batch, see ``identifiers``;
* every transaction amount, see ``amounts``;
* duplicate EndToEndId (AM05), reported at the second occurrence and naming the
  first; the ISO placeholder ``NOTPROVIDED`` may repeat.  Duplicate PmtInfId (AM05);
* requested execution date (DT01, only when ``today`` is given, since "the past"
  depends on the caller's clock): in the past is an error, because banks reject it
  rather than silently moving it; more than a year ahead is an error too;
* profile rules: one currency per batch (AM03), IBAN required (AC01), BIC required
  (RC01), structured addresses (BE04 creditor side, BE07 debtor side), remittance
  length and lines (FF01), SEPA character set and identifiers (FF01).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from gateway.domain.findings import Finding
from gateway.domain.parties import Party
from gateway.domain.payments import PaymentBatch
from gateway.domain.rules._walk import Location, Nodes, walk
from gateway.domain.rules.amounts import check_amount
from gateway.domain.rules.charset import check_sepa_charset, check_sepa_identifiers
from gateway.domain.rules.identifiers import identifier_findings
from gateway.domain.rules.profiles import GENERIC, RuleProfile

NOT_PROVIDED = "NOTPROVIDED"


def check_batch(batch: PaymentBatch, *, profile: RuleProfile | None = None,
                today: date | None = None) -> list[Finding]:
    """All findings for ``batch`` under ``profile`` (generic when None), dates relative to ``today``."""
    profile = profile or GENERIC
    nodes = list(walk(batch))
    findings = [*_control_figures(batch), *identifier_findings(nodes), *_amounts(batch, profile),
                *_duplicates(batch)]
    if today is not None:
        findings += _execution_dates(batch, today)
    findings += _requirements(batch, nodes, profile)
    if profile.sepa_charset:
        findings += check_sepa_charset(nodes)
    if profile.sepa_identifiers:
        findings += check_sepa_identifiers(nodes)
    return findings


def dotted(location: Location) -> str:
    """The location as written in ``Finding.to_dict()['field']``."""
    return ".".join(str(part) for part in location)


def _control(level: str, base: Location, declared_n: int | None, count: int,
             declared_sum: Decimal | None, total: Decimal) -> list[Finding]:
    findings = []
    if declared_n is not None and declared_n != count:
        findings.append(Finding(
            rule=f"{level}.number_of_transactions", reason="AM18", location=base + ("number_of_transactions",),
            value=str(declared_n), extra={"expected": str(count)},
            message=f"number of transactions says {declared_n}, but there are {count}"))
    if declared_sum is not None and declared_sum != total:
        findings.append(Finding(
            rule=f"{level}.control_sum", reason="AM10", location=base + ("control_sum",),
            value=str(declared_sum), extra={"expected": str(total)},
            message=f"control sum says {declared_sum}, but the amounts add up to {total} "
                    f"(difference {declared_sum - total})"))
    return findings


def _control_figures(batch: PaymentBatch) -> list[Finding]:
    """NbOfTxs always; CtrlSum only where every amount could be read."""
    all_known = all(info.amounts_known for info in batch.payment_informations)
    findings = _control("group", (), batch.number_of_transactions, batch.computed_number_of_transactions,
                        batch.control_sum if all_known else None, batch.computed_control_sum)
    for i, info in enumerate(batch.payment_informations):
        findings += _control("payment_information", ("payment_informations", i),
                             info.number_of_transactions, info.computed_number_of_transactions,
                             info.control_sum if info.amounts_known else None, info.computed_control_sum)
    return findings


def _transactions(batch: PaymentBatch):
    for i, info in enumerate(batch.payment_informations):
        for j, tx in enumerate(info.transactions):
            yield ("payment_informations", i, "transactions", j), tx


def _amounts(batch: PaymentBatch, profile: RuleProfile) -> list[Finding]:
    findings: list[Finding] = []
    first: tuple[Location, str] | None = None
    for base, tx in _transactions(batch):
        findings += check_amount(tx.amount, base + ("amount",), currencies=profile.currencies,
                                 max_amount=profile.max_amount)
        allowed = profile.currencies is None or tx.amount.currency in profile.currencies
        if not profile.single_currency or not allowed:  # a disallowed currency is reported once
            continue
        if first is None:
            first = (base, tx.amount.currency)
        elif tx.amount.currency != first[1]:
            findings.append(Finding(
                rule="currency.mixed", reason="AM03", location=base + ("amount", "currency"),
                value=tx.amount.currency,
                message=f"all transactions must be in one currency: {dotted(first[0])} is in "
                        f"{first[1]}, this one in {tx.amount.currency}"))
    return findings


def _repeats(items: Iterable[tuple[Location, str]], rule: str, what: str) -> list[Finding]:
    seen: dict[str, Location] = {}
    findings = []
    for location, value in items:
        if value not in seen:
            seen[value] = location
            continue
        findings.append(Finding(
            rule=rule, reason="AM05", location=location, value=value,
            extra={"first_location": dotted(seen[value])},
            message=f"{what} {value!r} is used more than once"))
    return findings


def _duplicates(batch: PaymentBatch) -> list[Finding]:
    infos = ((("payment_informations", i, "payment_information_id"), p.payment_information_id)
             for i, p in enumerate(batch.payment_informations))
    ends = ((base + ("end_to_end_id",), tx.end_to_end_id) for base, tx in _transactions(batch)
            if tx.end_to_end_id != NOT_PROVIDED)
    return (_repeats(infos, "duplicate.payment_information_id", "payment information id")
            + _repeats(ends, "duplicate.end_to_end_id", "EndToEndId"))


def _one_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def _execution_dates(batch: PaymentBatch, today: date) -> list[Finding]:
    findings = []
    latest = _one_year_after(today)
    for i, info in enumerate(batch.payment_informations):
        when = info.requested_execution_date
        if when is None:
            continue  # missing or unreadable: the XSD or the parse has said so
        day = when.date() if isinstance(when, datetime) else when
        if day < today:
            message = f"requested execution date {day} is in the past (today is {today})"
        elif day > latest:
            message = f"requested execution date {day} is more than a year ahead (latest {latest})"
        else:
            continue
        findings.append(Finding(rule="execution_date.past" if day < today else "execution_date.too_far",
                                reason="DT01", message=message, value=when.isoformat(),
                                location=("payment_informations", i, "requested_execution_date")))
    return findings


def _requirements(batch: PaymentBatch, nodes: Nodes, profile: RuleProfile) -> list[Finding]:
    findings = []
    name = profile.name
    for i, info in enumerate(batch.payment_informations):
        block = ("payment_informations", i)
        if profile.require_iban and info.debtor_account.iban is None:
            findings.append(_missing("iban.required", "AC01", block + ("debtor_account", "iban"),
                                     f"profile {name} requires the debtor account as IBAN"))
        if profile.require_bic and info.debtor_agent.bic is None:
            findings.append(_missing("bic.required", "RC01", block + ("debtor_agent", "bic"),
                                     f"profile {name} requires the debtor agent's BIC"))
    for base, tx in _transactions(batch):
        if profile.require_iban and (tx.creditor_account is None or tx.creditor_account.iban is None):
            findings.append(_missing("iban.required", "AC01", base + ("creditor_account", "iban"),
                                     f"profile {name} requires the creditor account as IBAN"))
        if profile.require_bic and (tx.creditor_agent is None or tx.creditor_agent.bic is None):
            findings.append(_missing("bic.required", "RC01", base + ("creditor_agent", "bic"),
                                     f"profile {name} requires the creditor agent's BIC"))
        findings += _remittance(tx.remittance, base + ("remittance",), profile)
    if profile.require_structured_address:
        findings += _addresses(nodes, name)
    return findings


def _missing(rule: str, reason: str, location: Location, message: str) -> Finding:
    return Finding(rule=rule, reason=reason, location=location, message=message)


def _remittance(remittance, location: Location, profile: RuleProfile) -> list[Finding]:
    lines = remittance.unstructured if remittance else ()
    findings = []
    limit = profile.max_remittance_lines
    if limit is not None and len(lines) > limit:
        findings.append(Finding(
            rule="remittance.lines", reason="FF01", location=location + ("unstructured", limit),
            value=lines[limit], message=f"at most {limit} unstructured remittance line(s), got {len(lines)}"))
    limit = profile.max_remittance_length
    total = 0
    for k, line in enumerate(lines):
        total += len(line)
        if limit is not None and total > limit:
            findings.append(Finding(
                rule="remittance.length", reason="FF01", location=location + ("unstructured", k), value=line,
                message=f"unstructured remittance is limited to {limit} characters, "
                        f"it has {sum(map(len, lines))}"))
            break
    return findings


def _addresses(nodes: Nodes, name: str) -> list[Finding]:
    findings = []
    for location, node in nodes:
        if not isinstance(node, Party) or node.postal_address is None:
            continue
        reason = "BE04" if "creditor" in str(location[-1]) else "BE07"
        for part, label in (("town_name", "town name"), ("country", "country")):
            if getattr(node.postal_address, part) is None:
                findings.append(_missing("address.structured", reason,
                                         location + ("postal_address", part),
                                         f"profile {name} requires a structured address: {label} is missing"))
    return findings
