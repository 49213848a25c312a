"""Where an account is held, and whether a payment between two accounts is cross-border.

A payment's reach is decided by the countries of the *accounts* (where the money
is booked), not by the parties' postal addresses: a Dutch resident with a German
account is paid in Germany.  The country of an account is the first two letters of
its IBAN; without an IBAN, characters 5-6 of its bank's BIC (ISO 9362); without
either, the country the agent is said to be in.

A transaction is **domestic** when

* the creditor's account is in the same country as the debtor's, or
* it is in euro and both countries are in the SEPA zone: SEPA makes the euro
  area one domestic area (the same scheme, IBAN only, no BIC needed since the
  SEPA Regulation 260/2012 art. 5(7)).  The zone is the IBAN registry's
  ``in_sepa_zone`` as ``schwifty`` carries it (EU/EEA, CH, GB, MC, SM, VA, AD and
  their territories).

Everything else is **cross-border**, including a transaction whose creditor
country cannot be told: nothing then shows that it stays at home, and a bank
that pays only at home could not route it either.
"""

from __future__ import annotations

import re

from schwifty import registry
from schwifty.exceptions import SchwiftyException

from gateway.domain.parties import Account, Agent

_IBAN_COUNTRY = re.compile(r"[A-Z]{2}")
_BIC_COUNTRY = re.compile(r"[A-Z0-9]{4}([A-Z]{2})[A-Z0-9]{2}(?:[A-Z0-9]{3})?")

SEPA_CURRENCY = "EUR"


def in_sepa_zone(country: str) -> bool:
    """Whether IBANs of ``country`` are in the SEPA zone (False for a country without IBANs)."""
    try:
        return bool(registry.get_iban_spec(country).in_sepa_zone)
    except SchwiftyException:
        return False


def bic_country(bic: str | None) -> str | None:
    """Characters 5-6 of a well-shaped BIC, else None."""
    match = _BIC_COUNTRY.fullmatch(bic or "")
    return match.group(1) if match else None


def account_country(account: Account | None, agent: Agent | None = None) -> str | None:
    """The country ``account`` is held in: its IBAN's, else its bank's BIC's, else the bank's stated country.

    ``agent`` is the account's bank as the payment names it (DbtrAgt, CdtrAgt); the
    account's own ``servicer`` is used when the payment names none."""
    iban = account.iban if account is not None else None
    if iban and _IBAN_COUNTRY.fullmatch(iban[:2]):
        return iban[:2]
    agent = agent or (account.servicer if account is not None else None)
    if agent is None:
        return None
    stated = agent.country if agent.country and _IBAN_COUNTRY.fullmatch(agent.country) else None
    return bic_country(agent.bic) or stated


def is_cross_border(debtor_country: str | None, creditor_country: str | None, currency: str | None) -> bool:
    """The rule in the module docstring; an unknown country on either side counts as cross-border."""
    if debtor_country is None or creditor_country is None:
        return True
    if debtor_country == creditor_country:
        return False
    within_sepa = (currency == SEPA_CURRENCY and in_sepa_zone(debtor_country)
                   and in_sepa_zone(creditor_country))
    return not within_sepa
