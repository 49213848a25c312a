"""``SandboxConnector``: the in-process bank behind the gateway's embedded default.

It implements the connector interface over :class:`~gateway.connectors.sandbox.bank.SandboxBank`,
so ``make run`` shows payment → pain.002 → camt.054 → camt.053 without an
external bank.  Its state is a SQLite file (``state`` in the bank file), so the
gateway's worker and ``gateway sandbox advance`` share one bank.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import ClassVar

from gateway.connectors.base import (
    Capabilities,
    Connector,
    InboundMessage,
    OutgoingFile,
    Submission,
)
from gateway.connectors.sandbox.bank import AdvanceReport, SandboxBank
from gateway.connectors.sandbox.records import (
    AccountState,
    MailboxMessage,
    PaymentRecord,
)
from gateway.connectors.sandbox.settings import SandboxSettings, load_settings

COLLECTS = frozenset({"pain.002", "camt.054", "camt.053"})


@dataclass
class SandboxConnector(Connector):
    """Connector type ``sandbox``; ``settings`` is the bank file's ``[connector]`` table."""

    clock: Callable[[], datetime] | None = field(default=None, repr=False, compare=False)
    """Wall clock for message times (tests pass a hand-moved one); the bank date is the bank's own."""

    type: ClassVar[str] = "sandbox"

    def __post_init__(self) -> None:
        self.config: SandboxSettings = load_settings(self.bank_id, self.settings)
        self.bank = SandboxBank(self.config, **({"clock": self.clock} if self.clock else {}))

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(submits=self.config.submits, collects=COLLECTS, currencies=self.config.currencies)

    def submit(self, outgoing: OutgoingFile) -> Submission:
        self.capabilities.require_submit(outgoing.message)
        return self.bank.submit(outgoing)

    def collect(self) -> list[InboundMessage]:
        return [InboundMessage(id=m.id, body=m.body, received_at=m.created_at, hint=m.family)
                for m in self.bank.mailbox()]

    def acknowledge(self, message_ids: Iterable[str]) -> None:
        self.bank.acknowledge(message_ids)

    # -- the sandbox's own controls (the `gateway sandbox` command, tests, the demo) --------------------------

    def advance(self, *, days: int | None = None, to: date | None = None) -> AdvanceReport:
        """Move the bank date: statements for each business day passed, future-dated payments booked."""
        return self.bank.advance(days=days, to=to)

    def bank_date(self) -> date:
        return self.bank.bank_date()

    def accounts(self) -> list[AccountState]:
        return self.bank.accounts()

    def messages(self, *, include_taken: bool = True) -> list[MailboxMessage]:
        return self.bank.mailbox(include_taken=include_taken)

    def payments(self, message_id: str | None = None) -> list[PaymentRecord]:
        return self.bank.payments(message_id)

    def set_closed(self, iban: str, closed: bool = True) -> None:
        self.bank.set_closed(iban, closed)
