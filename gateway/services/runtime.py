"""What the use cases need besides a database session: the banks (routing), the risk
rules and a way to reach each bank's connector.

The edges (web app, worker, CLI) build one ``Runtime`` from the configuration and pass
it in; the services never read files or construct connectors themselves, so a test can
hand them a router over two banks and a connector factory of its choosing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from gateway.connectors.base import Connector, ConnectorError
from gateway.routing import BankProfile, Router
from gateway.services.risk import RiskRules

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    router: Router
    connector_factory: Callable[[BankProfile], Connector]
    risk: RiskRules = field(default_factory=RiskRules)
    webhooks_to_loopback: bool = False
    """Webhooks may go to this machine (a developer's receiver): the development profile."""
    _connectors: dict[str, Connector] = field(default_factory=dict, repr=False)

    def connector(self, bank_id: str) -> Connector:
        """One connector per bank for the life of the runtime (they may hold sessions, state files)."""
        if bank_id not in self._connectors:
            self._connectors[bank_id] = self.connector_factory(self.router.bank(bank_id))
        return self._connectors[bank_id]

    def push_banks(self) -> list[str]:
        """Banks the gateway delivers to (the others fetch their files: bank-api).  A bank whose
        connector cannot be made (a setting wrong, a secret's variable unset) is left out and
        logged, so it stops only its own deliveries."""
        banks = []
        for bank in self.router.banks:
            try:
                if self.connector(bank.id).capabilities.delivery == "push":
                    banks.append(bank.id)
            except ConnectorError as exc:
                log.error("bank %s is skipped: %s", bank.id, exc.message)
        return banks

    def close(self) -> None:
        for connector in self._connectors.values():
            connector.close()
        self._connectors.clear()
