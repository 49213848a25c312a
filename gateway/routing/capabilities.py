"""Can this bank take this payment?  Checked before anything is built or sent.

Routing says *which* bank holds the debtor's account; this says whether that bank
can carry the payment as it stands, so the wallet hears why at once instead of
from a pain.002 rejection a day later.  The bank's rule profile is applied by
``gateway.domain.rules.check_batch`` itself; the checks here are the ones that
depend on the bank file, each with the ISO 20022 ExternalStatusReason1Code a
bank would answer with:

* **AM03** NotAllowedCurrency ("a non processable currency outside of existing
  agreement"): the bank's ``currencies`` are that agreement.  AM11 is for a
  currency that is invalid or missing, which this one is not.
* **AC02** InvalidDebtorAccountNumber: the debtor account is not one this bank
  holds (its IBAN's bank code is not in the bank's ``[[iban]]``).
* **RC06** InvalidDebtorBICIdentifier ("Debtor BIC identifier is invalid or
  missing"): DbtrAgt names a BIC that is not one of the bank's.
* **RC07** InvalidCreditorBICIdentifier ("Creditor BIC identifier is invalid or
  missing"): a cross-border transaction without the creditor agent's BIC.  RC01
  would say the BIC's *format* is wrong, which is not the case.
* **AG03** TransactionNotSupported ("Transaction type not supported/authorized on
  this account"): a cross-border transaction at a bank with ``cross_border = false``.
* **BE04** MissingCreditorAddress ("required for payment, is missing/not correct"):
  a creditor-side address with AdrLine, or without town name or country, at a bank
  with ``structured_address = true``.
* **BE19** InvalidChargeBearerCode ("Charge bearer code for transaction type is
  invalid"): a charge bearer other than SLEV under a SEPA profile; the EPC SCT
  rulebook allows SLEV only.  An absent charge bearer is fine (it is optional).

Cross-border is defined in ``gateway.domain.countries``.  A finding already made
by the rule profile at the same place with the same reason (the SEPA profile's
EUR-only AM03, its structured-address BE04) is not repeated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime

from gateway.domain.findings import Finding
from gateway.domain.parties import Party
from gateway.domain.payments import CreditTransfer, PaymentBatch, PaymentInformation
from gateway.domain.rules import bic_problem, check_batch as check_rules
from gateway.routing.banks import CHARGE_BEARER_SEPA, BankProfile, iban_bank_code
from gateway.domain.countries import account_country, is_cross_border

Location = tuple[str | int, ...]

CREDITOR_SIDE = ("creditor", "ultimate_creditor")


def check_payment_information(bank: BankProfile, info: PaymentInformation, *, index: int = 0,
                              today: date | None = None) -> list[Finding]:
    """Findings for sending one payment information block to ``bank``, located as block ``index``
    of its batch; the bank's rule profile included (dates only with ``today``)."""
    alone = PaymentBatch(message_id="ROUTING-CHECK", creation_date_time=datetime(2000, 1, 1),
                         initiating_party=Party(), payment_informations=(info,))
    block = ("payment_informations", 0)
    rules = [replace(f, location=("payment_informations", index) + f.location[2:])
             for f in check_rules(alone, profile=bank.rules, today=today) if f.location[:2] == block]
    return _merge(rules, block_capabilities(bank, info, index))


def check_payment_batch(bank: BankProfile, batch: PaymentBatch, *, today: date | None = None) -> list[Finding]:
    """Every finding for sending ``batch`` to ``bank``: its rule profile, then the bank's capabilities."""
    capabilities = [f for index, info in enumerate(batch.payment_informations)
                    for f in block_capabilities(bank, info, index)]
    return _merge(check_rules(batch, profile=bank.rules, today=today), capabilities)


def block_capabilities(bank: BankProfile, info: PaymentInformation, index: int) -> list[Finding]:
    """The bank-file checks alone (no rule profile) for block ``index``."""
    base: Location = ("payment_informations", index)
    findings = []
    iban = info.debtor_account.iban
    if iban_bank_code(iban) is not None and not bank.holds_iban(iban):
        findings.append(Finding(
            rule="routing.debtor_account", reason="AC02", location=base + ("debtor_account", "iban"), value=iban,
            message=f"the debtor account is not held by {bank.name} (bank {bank.id!r})"))
    bic = info.debtor_agent.bic
    if bic and bank.bics and bic_problem(bic) is None and not bank.has_bic(bic):
        findings.append(Finding(
            rule="routing.debtor_agent", reason="RC06", location=base + ("debtor_agent", "bic"), value=bic,
            message=f"the debtor agent {bic} is not {bank.name} ({', '.join(bank.bics)})"))
    findings += _charge_bearer(bank, info.charge_bearer, base)
    debtor_country = account_country(info.debtor_account, info.debtor_agent)
    for number, tx in enumerate(info.transactions):
        findings += _transaction(bank, tx, base + ("transactions", number), debtor_country)
    return findings


def _transaction(bank: BankProfile, tx: CreditTransfer, at: Location, debtor_country: str | None) -> list[Finding]:
    findings = []
    currency = tx.amount.currency if tx.amount is not None else None
    if currency and not bank.takes_currency(currency):
        findings.append(Finding(
            rule="routing.currency", reason="AM03", location=at + ("amount", "currency"), value=currency,
            message=f"{bank.name} takes {', '.join(bank.currencies)}, not {currency}"))
    creditor_country = account_country(tx.creditor_account, tx.creditor_agent)
    if is_cross_border(debtor_country, creditor_country, currency):
        findings += _cross_border(bank, tx, at, debtor_country, creditor_country)
    if bank.structured_address:
        for role in CREDITOR_SIDE:
            findings += _structured_address(getattr(tx, role), at + (role,))
    findings += _charge_bearer(bank, tx.charge_bearer, at)
    return findings


def _cross_border(bank: BankProfile, tx: CreditTransfer, at: Location, debtor_country: str | None,
                  creditor_country: str | None) -> list[Finding]:
    why = (f"the creditor's account is in {creditor_country}, the debtor's in {debtor_country or 'an unknown country'}"
           if creditor_country else "the creditor account's country cannot be told (no IBAN, no agent BIC)")
    findings = []
    agent_bic = tx.creditor_agent.bic if tx.creditor_agent is not None else None
    if not agent_bic:
        findings.append(Finding(
            rule="routing.creditor_agent_bic", reason="RC07", location=at + ("creditor_agent", "bic"),
            message=f"a cross-border payment needs the creditor agent's BIC: {why}"))
    if not bank.cross_border:
        creditor_iban = tx.creditor_account.iban if tx.creditor_account is not None else None
        if creditor_iban:
            where, value = at + ("creditor_account", "iban"), creditor_iban
        elif agent_bic:
            where, value = at + ("creditor_agent", "bic"), agent_bic
        else:
            where, value = at + ("creditor_account",), None
        findings.append(Finding(
            rule="routing.cross_border", reason="AG03", location=where, value=value,
            message=f"{bank.name} makes domestic payments only, and this one is cross-border: {why}"))
    return findings


def _structured_address(party: Party | None, at: Location) -> list[Finding]:
    address = party.postal_address if party is not None else None
    if address is None:
        return []
    where = at + ("postal_address",)
    findings = []
    if address.lines:
        findings.append(Finding(
            rule="routing.address_lines", reason="BE04", location=where + ("lines", 0), value=address.lines[0],
            message="the bank takes structured addresses only: give street, town and country "
                    "in their own fields instead of address lines"))
    for part, label in (("town_name", "town name"), ("country", "country")):
        if getattr(address, part) is None:
            findings.append(Finding(
                rule="address.structured", reason="BE04", location=where + (part,),
                message=f"the bank takes structured addresses only: {label} is missing"))
    return findings


def _charge_bearer(bank: BankProfile, charge_bearer: str | None, at: Location) -> list[Finding]:
    if not bank.is_sepa or charge_bearer is None or charge_bearer == CHARGE_BEARER_SEPA:
        return []
    return [Finding(rule="routing.charge_bearer", reason="BE19", location=at + ("charge_bearer",),
                    value=charge_bearer,
                    message=f"SEPA credit transfers carry charge bearer {CHARGE_BEARER_SEPA} only, "
                            f"not {charge_bearer}")]


def _merge(first: list[Finding], then: Iterable[Finding]) -> list[Finding]:
    """``first``, then those of ``then`` not already said at the same place with the same reason."""
    said = {(f.location, f.reason) for f in first}
    merged = list(first)
    for finding in then:
        if (finding.location, finding.reason) not in said:
            said.add((finding.location, finding.reason))
            merged.append(finding)
    return merged
