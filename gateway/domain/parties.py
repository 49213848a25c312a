"""Parties, their addresses, accounts and agents (banks)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PostalAddress:
    """Structured address; ``lines`` holds unstructured AdrLine values."""

    department: str | None = None
    street_name: str | None = None
    building_number: str | None = None
    post_code: str | None = None
    town_name: str | None = None
    country_sub_division: str | None = None
    country: str | None = None
    lines: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Party:
    name: str | None = None
    postal_address: PostalAddress | None = None
    organisation_id: str | None = None
    """OrgId/Othr/Id: a registration or customer number."""
    bic_or_bei: str | None = None
    """OrgId/AnyBIC (BICOrBEI before 2019)."""
    lei: str | None = None
    private_id: str | None = None
    """PrvtId/Othr/Id."""
    country_of_residence: str | None = None


@dataclass(frozen=True, slots=True)
class Account:
    """An account by IBAN, or by another identifier (``other_id``) with its scheme."""

    iban: str | None = None
    other_id: str | None = None
    other_scheme: str | None = None
    currency: str | None = None
    name: str | None = None
    owner: Party | None = None
    servicer: "Agent | None" = None


@dataclass(frozen=True, slots=True)
class Agent:
    """A financial institution, by BIC and/or clearing-system member id."""

    bic: str | None = None
    clearing_member_id: str | None = None
    clearing_system: str | None = None
    name: str | None = None
    country: str | None = None
