"""The request's JSON words turned into canonical values, and where a word is found.

Every operation speaks the same vocabulary (``schemas/operations/common.json``):
a counterparty is ``{name, iban | account_id [+ account_scheme], bic, address}``,
a remittance is ``{unstructured}`` or ``{creditor_reference[, creditor_reference_type]}``.
Bodies reach these functions already schema-valid, so they convert and never judge.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gateway.domain.parties import Account, Agent, Party, PostalAddress
from gateway.domain.payments import Remittance
from gateway.mapping.operations.endpoints import Endpoint
from gateway.mapping.operations.planned import Location

SCOR = "SCOR"
"""Structured communication reference: the creditor reference type SEPA requires and the only one it knows."""


@dataclass(frozen=True, slots=True)
class RequestFields:
    """One payment's view of a request: its own object first, then the top of the body.

    A bulk payout's ``payments[i]`` may give its own ``requested_execution_date`` or
    ``category_purpose``; what it leaves out is taken from the request's top level.
    For a single operation both are the body itself."""

    body: Mapping[str, Any]
    item: Mapping[str, Any]
    base: Location = ()

    def get(self, name: str) -> tuple[Any, Location]:
        """``(value, location)``; value None when neither gives it (location then where it belongs)."""
        if name in self.item:
            return self.item[name], self.base + (name,)
        if name in self.body:
            return self.body[name], (name,)
        return None, self.base + (name,)


def postal_address(data: Mapping[str, Any] | None) -> PostalAddress | None:
    if not data:
        return None
    return PostalAddress(street_name=data.get("street_name"), building_number=data.get("building_number"),
                         post_code=data.get("post_code"), town_name=data.get("town_name"),
                         country=data.get("country"), lines=tuple(data.get("lines", ())))


def counterparty(data: Mapping[str, Any]) -> Endpoint:
    """A request's counterparty as an endpoint; its agent is empty when no BIC is given."""
    party = Party(name=data["name"], postal_address=postal_address(data.get("address")))
    account = Account(iban=data.get("iban"), other_id=data.get("account_id"), other_scheme=data.get("account_scheme"))
    return Endpoint(party, account, Agent(bic=data.get("bic")))


def remittance(data: Mapping[str, Any] | None) -> Remittance | None:
    if not data:
        return None
    if "creditor_reference" in data:
        return Remittance(creditor_reference=data["creditor_reference"],
                          creditor_reference_type=data.get("creditor_reference_type", SCOR))
    return Remittance(unstructured=(data["unstructured"],))
