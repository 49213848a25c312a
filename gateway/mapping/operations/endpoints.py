"""The accounts an operation can move money between, as the caller resolved them.

The gateway does not look accounts up itself here (that is storage's business);
the caller hands in what the wallet provider configured and what the token's
consent covers, and ``plan`` picks from them as the operation's spec says.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from gateway.domain.parties import Account, Agent, Party


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One end of a credit transfer: who, which account, at which bank.

    ``agent`` may have no BIC (the bank is told by the IBAN); the assembler then
    derives it from the IBAN registry where it can, since a pain.001 must name the
    debtor's bank."""

    party: Party
    account: Account
    agent: Agent


@dataclass(frozen=True, slots=True)
class OperationContext:
    """What a request may draw on besides its body.

    ``wallet`` maps a role ("settlement", "collection") to the wallet provider's own
    account for it; ``consent_accounts`` are the holder's accounts under the token's
    payments consent (empty without one); ``today`` is the caller's clock, so that
    "in the past" is decided once, by the caller."""

    wallet: Mapping[str, Endpoint]
    consent_accounts: tuple[Endpoint, ...]
    today: date
