"""Demo data for a developer's machine: a wallet client, an account holder, bank accounts.

DEVELOPMENT ONLY.  The holder's password is printed in this file on purpose and
the demo client's secret is kept in clear in a git-ignored file
(``var/demo-client.json``) so that the demo and the browser tests can use it;
``gateway demo seed`` refuses the production profile.

:func:`seed` is idempotent: what exists is kept (the client and its secret, the
holder and her TOTP secret), what is missing is created, and what it did is in
the returned :class:`DemoData`.  Everything goes through the repositories, so
each creation is in the audit log like any operator's.

The client secret is returned by the repository only when the client is
created and is stored hashed; a later seed reads it back from the secrets file
and uses it only if it matches the stored hash (a file left over from another
database is ignored, never trusted).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pyotp

from gateway.files import write_atomic
from gateway.persistence.db import Database
from gateway.persistence.errors import AlreadyExists
from gateway.persistence.models import AuthMethod, ClientKind
from gateway.persistence.repositories import BankAccounts, Clients, Holders
from gateway.persistence.repositories.payments import ClientAccounts
from gateway.persistence.secrets import token_matches

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SECRETS_FILE = ROOT / "var" / "demo-client.json"
ACTOR = "operator:demo-seed"

CLIENT_ID = "demo-wallet"
CLIENT_NAME = "Demo Wallet"
CLIENT_SCOPES = ("consents", "payments", "accounts", "wallet")
CLIENT_REDIRECT_URI = "http://127.0.0.1:8765/callback"
"""Nothing listens there: a test or a developer reads the code from the address the browser is sent to."""
DEMO_CALLBACK_PATH = "/demo/callback"

WALLET_ACCOUNTS = (
    ("settlement", "NL13ABNA1000000001", "Demo Wallet settlement account"),
    ("collection", "NL83ABNA1000000002", "Demo Wallet collection account"),
)
"""The demo wallet provider's own accounts, held at the sandbox bank (config/banks/sandbox.toml)."""

HOLDER_USERNAME = "alice"
HOLDER_PASSWORD = "alice-demo-password-development-only"
"""Public on purpose: the demo holder exists only on development databases."""


@dataclass(frozen=True)
class DemoAccount:
    iban: str
    currency: str
    name: str
    bic: str


ACCOUNTS = (
    DemoAccount("NL91ABNA0417164300", "EUR", "Alice's current account", "ABNANL2A"),
    DemoAccount("DE89370400440532013000", "EUR", "Alice's savings account", "COBADEFFXXX"),
    DemoAccount("GB29NWBK60161331926819", "GBP", "Alice's pound account", "NWBKGB2L"),
)


@dataclass
class DemoData:
    client_id: str
    client_name: str
    client_secret: str | None
    """None when the client existed and the secrets file does not hold its secret."""
    client_created: bool
    redirect_uris: list[str]
    scopes: list[str]
    username: str
    password: str
    totp_secret: str
    holder_created: bool
    accounts: list[DemoAccount]
    accounts_created: list[str] = field(default_factory=list)
    """IBANs enrolled by this seed."""
    accounts_held_elsewhere: list[str] = field(default_factory=list)
    """Demo IBANs already enrolled for another holder (left alone)."""
    secrets_file: Path | None = None

    def totp(self) -> pyotp.TOTP:
        return pyotp.TOTP(self.totp_secret)

    @property
    def created_anything(self) -> bool:
        return self.client_created or self.holder_created or bool(self.accounts_created)


def redirect_uris_for(base_url: str | None) -> list[str]:
    uris = [CLIENT_REDIRECT_URI]
    if base_url:
        uris.append(base_url.rstrip("/") + DEMO_CALLBACK_PATH)
    return uris


def seed(db: Database, *, base_url: str | None = None, secrets_file: Path | None = DEFAULT_SECRETS_FILE) -> DemoData:
    """Create what is missing of the demo data in ``db`` (migrated) and return all of it.

    ``base_url`` (e.g. ``http://127.0.0.1:8080``) adds the server's own ``/demo/callback``
    to the client's redirect URIs.  ``secrets_file`` receives the client secret when the client
    is created (None: not written anywhere, only returned)."""
    wanted_uris = redirect_uris_for(base_url)
    with db.transaction() as session:
        clients = Clients(session)
        client = clients.find(CLIENT_ID)
        secret: str | None = None
        if client is None:
            new = clients.create(client_id=CLIENT_ID, name=CLIENT_NAME, kind=ClientKind.WALLET_PROVIDER,
                                 redirect_uris=wanted_uris, scopes=list(CLIENT_SCOPES),
                                 auth_method=AuthMethod.CLIENT_SECRET_BASIC, actor=ACTOR)
            client, secret, client_created = new.client, new.secret, True
        else:
            client_created = False
            secret = _secret_from_file(secrets_file, client.client_secret_hash)
            if not set(CLIENT_SCOPES) <= set(client.scopes):  # seeded by an older gateway
                client.scopes = [*client.scopes, *(s for s in CLIENT_SCOPES if s not in client.scopes)]
            missing = [uri for uri in wanted_uris if uri not in client.redirect_uris]
            if missing:  # e.g. `gateway serve` on another port since the first seed
                client.redirect_uris = [*client.redirect_uris, *missing]
                clients.audit(ACTOR, "client.redirect_uris_added", client, "demo seed for another address",
                              redirect_uris=missing)

        wallet = {row.role.value: row.iban for row in ClientAccounts(session).for_client(CLIENT_ID)}
        for role, iban, name in WALLET_ACCOUNTS:
            if role not in wallet:
                ClientAccounts(session).set(client_id=CLIENT_ID, role=role, iban=iban, currency="EUR", name=name,
                                            bic="ABNANL2A", actor=ACTOR)

        holders = Holders(session)
        holder = holders.find_by_username(HOLDER_USERNAME)
        holder_created = holder is None
        if holder is None:
            holder = holders.create(username=HOLDER_USERNAME, password=HOLDER_PASSWORD,
                                    totp_secret=pyotp.random_base32(), actor=ACTOR)
        if not holder.totp_secret:
            raise RuntimeError(f"the existing holder {HOLDER_USERNAME!r} has no TOTP secret; "
                               "it was not made by the demo seed")

        accounts = BankAccounts(session)
        held = {account.iban for account in accounts.for_holder(holder.id)}
        created, elsewhere = [], []
        for demo in ACCOUNTS:
            if demo.iban in held:
                continue
            try:
                accounts.create(holder_id=holder.id, iban=demo.iban, currency=demo.currency, name=demo.name,
                                bic=demo.bic, actor=ACTOR)
                created.append(demo.iban)
            except AlreadyExists:  # checked before anything is added: the transaction goes on
                elsewhere.append(demo.iban)

        data = DemoData(client_id=client.client_id, client_name=client.name, client_secret=secret,
                        client_created=client_created, redirect_uris=list(client.redirect_uris),
                        scopes=list(client.scopes), username=holder.username, password=HOLDER_PASSWORD,
                        totp_secret=holder.totp_secret, holder_created=holder_created, accounts=list(ACCOUNTS),
                        accounts_created=created, accounts_held_elsewhere=elsewhere)
    # Written after the commit: a secret on disk always belongs to a client that exists.
    if client_created and secrets_file is not None:
        write_secrets_file(secrets_file, data)
        data.secrets_file = Path(secrets_file)
    elif secret is not None and secrets_file is not None:
        data.secrets_file = Path(secrets_file)
    return data


def _secret_from_file(path: Path | None, stored_hash: str | None) -> str | None:
    if path is None:
        return None
    try:
        saved = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    secret = saved.get("client_secret") if isinstance(saved, dict) else None
    return secret if isinstance(secret, str) and token_matches(secret, stored_hash) else None


def write_secrets_file(path: Path, data: DemoData) -> None:
    """The demo client's credentials, readable by the owner only, replaced atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    content = {
        "warning": "DEVELOPMENT ONLY: the demo client's secret in clear, for the demo and the tests. "
                   "Never copy this file to a server; git ignores var/.",
        "client_id": data.client_id,
        "client_secret": data.client_secret,
        "token_endpoint_auth_method": AuthMethod.CLIENT_SECRET_BASIC.value,
        "redirect_uris": data.redirect_uris,
        "scopes": data.scopes,
    }
    write_atomic(path, (json.dumps(content, indent=2) + "\n").encode("utf-8"), mode=0o600)
