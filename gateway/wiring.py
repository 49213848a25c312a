"""From the settings to what the services need: the database (migrated in development) and the
:class:`~gateway.services.runtime.Runtime` (banks, risk rules, connectors).  The one place that
knows which files hold the banks and the risk rules and how a connector is made; the web app,
the worker and the CLI all call it, so they route and connect alike, and the worker and CLI do
not load the web app to reach the database."""

from __future__ import annotations

from gateway.config import ConfigError, Settings
from gateway.connectors import registry
from gateway.persistence import migrate
from gateway.persistence.db import Database
from gateway.routing import BankProfile, Router, load_banks
from gateway.services.risk import load_risk_rules
from gateway.services.runtime import Runtime


def runtime_from(settings: Settings) -> Runtime:
    return Runtime(router=Router(load_banks(settings.banks_path)), connector_factory=connector_for,
                   risk=load_risk_rules(settings.risk_path), webhooks_to_loopback=settings.profile == "development")


def connector_for(bank: BankProfile):
    settings = dict(bank.connector_settings)
    if bank.connector_type == "sandbox" and bank.source is not None:
        # The sandbox *is* the bank: it reads the versions and currencies it takes from the bank's own
        # file (wherever banks_dir points), not from the repository's config/banks.
        settings.setdefault("bank_file", str(bank.source))
    return registry.create(bank.id, bank.connector_type, settings)


def open_database(settings: Settings) -> Database:
    """The database, migrated on start in development; production must be migrated
    explicitly (``gateway db upgrade``) and refuses to start on an older schema."""
    database = Database(settings.database_url)  # creates var/ for the development SQLite file
    if settings.profile == "development":
        if not migrate.is_up_to_date(database.url):
            migrate.upgrade(database.url)
    elif not migrate.is_up_to_date(database.url):
        raise ConfigError("the database is not at the current schema: run `gateway db upgrade` "
                          "(with the same GATEWAY_DATABASE_URL) before starting the service")
    return database
