"""Where an operation's debtor and creditor accounts come from.

A spec names each side with one of four sources (``mappings/operations/*.yaml``):

* ``wallet: <role>``: the wallet provider's own account for that role;
* ``consent: <field>``: one of the holder's accounts under the token's payments
  consent, picked by the IBAN in request field ``<field>`` (which may be left out
  when the consent covers exactly one account);
* ``holder: {party, iban, name}``: the holder's own account as the request names
  it (a full counterparty in ``party``, or an IBAN and a name); with a payments
  consent it must be one of the consent's accounts;
* ``request: <field>``: a counterparty object of the request, anyone.

A debtor is only ever a ``wallet`` or a ``consent`` account: the gateway debits
accounts it is entitled to debit, never one a request merely names.

A source that cannot be resolved raises ``Refusal`` with one finding that names
the field (or the wallet role) and an ISO reason: AC02 for the debtor's account,
AC03 for the creditor's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from gateway.domain.findings import Finding
from gateway.domain.parties import Account, Agent, Party
from gateway.mapping.operations.endpoints import Endpoint, OperationContext
from gateway.mapping.operations.planned import Location
from gateway.mapping.operations.vocabulary import RequestFields, counterparty

Side = Literal["debtor", "creditor"]
ACCOUNT_REASON = {"debtor": "AC02", "creditor": "AC03"}


class Refusal(Exception):
    """One unresolvable account; ``plan`` collects them into one ``OperationRefused``."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


@dataclass(frozen=True, slots=True)
class Resolved:
    endpoint: Endpoint
    location: Location
    given: bool = False
    """True when ``location`` is a counterparty object of the request (its bic etc. sit below it)."""


class Source(Protocol):
    def resolve(self, fields: RequestFields, context: OperationContext, side: Side) -> Resolved: ...

    def request_fields(self) -> tuple[str, ...]:
        """The request fields this source reads (checked against the operation's schema at load)."""
        ...


def _refuse(side: Side, location: Location, message: str, value: str | None = None) -> Refusal:
    return Refusal(Finding(rule=f"operation.{side}_account", reason=ACCOUNT_REASON[side], message=message,
                           location=location, value=value))


def _by_iban(accounts: tuple[Endpoint, ...], iban: str | None) -> Endpoint | None:
    return next((a for a in accounts if iban is not None and a.account.iban == iban), None)


@dataclass(frozen=True, slots=True)
class WalletAccount:
    role: str

    def resolve(self, fields: RequestFields, context: OperationContext, side: Side) -> Resolved:
        location: Location = ("wallet", self.role)
        endpoint = context.wallet.get(self.role)
        if endpoint is None:
            raise _refuse(side, location, f"the wallet provider has no {self.role} account configured, "
                                          f"and this operation's {side} is that account")
        return Resolved(endpoint, location)

    def request_fields(self) -> tuple[str, ...]:
        return ()


@dataclass(frozen=True, slots=True)
class ConsentAccount:
    pick_by: str

    def resolve(self, fields: RequestFields, context: OperationContext, side: Side) -> Resolved:
        iban, location = fields.get(self.pick_by)
        accounts = context.consent_accounts
        if not accounts:
            raise _refuse(side, location, f"this operation's {side} is one of the holder's accounts under a "
                                          "payments consent, and the token has no such consent (or it covers no account)")
        if iban is None:
            if len(accounts) == 1:
                return Resolved(accounts[0], location)
            raise _refuse(side, location, f"the payments consent covers {len(accounts)} accounts: "
                                          f"say which one with {self.pick_by}")
        endpoint = _by_iban(accounts, iban)
        if endpoint is None:
            raise _refuse(side, location, f"{iban} is not one of the accounts under the payments consent", iban)
        return Resolved(endpoint, location)

    def request_fields(self) -> tuple[str, ...]:
        return (self.pick_by,)


@dataclass(frozen=True, slots=True)
class HolderAccount:
    party: str
    iban: str
    name: str

    def resolve(self, fields: RequestFields, context: OperationContext, side: Side) -> Resolved:
        data, party_location = fields.get(self.party)
        if data is not None:
            key = "iban" if "iban" in data else "account_id"
            named, location = data.get("iban"), party_location + (key,)
        else:
            named, location = fields.get(self.iban)
        if context.consent_accounts:
            endpoint = _by_iban(context.consent_accounts, named)
            if endpoint is None:
                what = named or "an account without IBAN"
                raise _refuse(side, location, f"{what} is not one of the accounts under the payments consent; "
                                              "with a consent, only its accounts can be credited", named)
            return Resolved(endpoint, location)
        if data is not None:
            return Resolved(counterparty(data), party_location, given=True)
        if named is None:
            raise _refuse(side, location, f"name the account to credit: {self.iban} or {self.party}")
        holder, name_location = fields.get(self.name)
        if holder is None:
            raise _refuse(side, name_location, f"{self.name} (the holder's name as the bank knows it) is required "
                                               "when no payments consent names the account")
        return Resolved(Endpoint(Party(name=holder), Account(iban=named), Agent()), location)

    def request_fields(self) -> tuple[str, ...]:
        return (self.party, self.iban, self.name)


@dataclass(frozen=True, slots=True)
class RequestParty:
    field: str

    def resolve(self, fields: RequestFields, context: OperationContext, side: Side) -> Resolved:
        data, location = fields.get(self.field)
        if data is None:
            raise _refuse(side, location, f"{self.field} is required")
        return Resolved(counterparty(data), location, given=True)

    def request_fields(self) -> tuple[str, ...]:
        return (self.field,)
