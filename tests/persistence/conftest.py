"""Storage tests run on SQLite and on a real PostgreSQL server (``tests/pg.py``):
every test that takes ``db`` runs once per backend."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from gateway.persistence.db import Database
from gateway.persistence.models import AccountHolder, BankAccount, ClientKind
from gateway.persistence.repositories import BankAccounts, Clients, Holders, NewClient
from tests.support import Clock

OPERATOR = "operator:test"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


@dataclass
class World:
    wallet: NewClient
    other_wallet: NewClient
    holder: AccountHolder
    other_holder: AccountHolder
    account: BankAccount
    other_account: BankAccount


@pytest.fixture
def world(db: Database, clock: Clock, fast_kdf: None) -> World:
    """Two wallet clients, two holders with one account each."""
    with db.transaction() as s:
        clients, holders, accounts = Clients(s, clock), Holders(s, clock), BankAccounts(s, clock)
        wallets = [clients.create(name=name, kind=ClientKind.WALLET_PROVIDER, redirect_uris=["https://w.example/cb"],
                                  scopes=["payments", "accounts"], actor=OPERATOR) for name in ("Wallet A", "Wallet B")]
        alice = holders.create(username="alice", password=PASSWORD, totp_secret="JBSWY3DPEHPK3PXP", actor=OPERATOR)
        bob = holders.create(username="bob", password="bob's own password", actor=OPERATOR)
        mine = accounts.create(holder_id=alice.id, iban="DE89 3704 0044 0532 0130 00", currency="EUR",
                               name="Alice current", bic="COBADEFFXXX", actor=OPERATOR)
        theirs = accounts.create(holder_id=bob.id, iban="GB29NWBK60161331926819", currency="GBP", name="Bob",
                                 actor=OPERATOR)
    return World(wallets[0], wallets[1], alice, bob, mine, theirs)
