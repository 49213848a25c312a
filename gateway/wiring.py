"""Build the services' :class:`~gateway.services.runtime.Runtime` from the settings: the one
place that knows which files hold the banks and the risk rules and how a connector is made.
The web app, the worker and the CLI all call it, so they route and connect alike."""

from __future__ import annotations

from gateway.config import Settings
from gateway.connectors import registry
from gateway.routing import BankProfile, Router, load_banks
from gateway.services.risk import load_risk_rules
from gateway.services.runtime import Runtime


def runtime_from(settings: Settings) -> Runtime:
    return Runtime(router=Router(load_banks(settings.banks_path)), connector_factory=connector_for,
                   risk=load_risk_rules(settings.risk_path))


def connector_for(bank: BankProfile):
    settings = dict(bank.connector_settings)
    if bank.connector_type == "sandbox" and bank.source is not None:
        # The sandbox *is* the bank: it reads the versions and currencies it takes from the bank's own
        # file (wherever banks_dir points), not from the repository's config/banks.
        settings.setdefault("bank_file", str(bank.source))
    return registry.create(bank.id, bank.connector_type, settings)
