"""OAuth clients, account holders and the bank accounts the holders hold.

The ``admin`` scope belongs to the operator's own client and to no other: ``Clients.create``
refuses it for a wallet provider or bank, refuses anything else for the operator's client,
and the table's CHECK keeps the two kinds apart (``is_operator`` xor ``kind``).  The OAuth
layer checks ``is_operator`` again when it issues or accepts an ``admin`` token.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from gateway.domain.errors import InvalidInput
from gateway.persistence.errors import (
    AlreadyExists,
    InvalidCredentials,
    InvalidTransition,
)
from gateway.persistence.models import (
    AccountHolder,
    AuthMethod,
    BankAccount,
    ClientKind,
    OAuthClient,
    new_id,
)
from gateway.persistence.repositories.audit import Repository, found
from gateway.persistence.repositories.tokens import Tokens
from gateway.persistence.secrets import (
    hash_password,
    hash_token,
    needs_rehash,
    new_token,
    token_matches,
    verify_password,
)

ADMIN_SCOPE = "admin"
"""The operator's scope (the admin API); see the module docstring."""


@dataclass(frozen=True)
class NewClient:
    client: OAuthClient
    secret: str | None  # shown once, to whoever registered the client; only its hash is stored


class Clients(Repository):
    def create(self, *, name: str, kind: ClientKind | str | None, redirect_uris: Iterable[str],
               scopes: Iterable[str], actor: str, auth_method: AuthMethod | str = AuthMethod.CLIENT_SECRET_BASIC,
               jwks: dict[str, Any] | None = None, client_id: str | None = None,
               operator: bool = False) -> NewClient:
        """Register a client; a ``client_secret_basic`` client gets a generated secret, returned once.
        ``operator=True`` registers the operator's client: no kind, scope ``admin`` only, no redirect URIs."""
        client_id, auth_method = client_id or new_id(), AuthMethod(auth_method)
        scopes, redirect_uris = list(scopes), list(redirect_uris)
        if self.find(client_id) is not None:
            raise AlreadyExists(f"client {client_id!r} exists", code="client_id_taken")
        if auth_method == AuthMethod.PRIVATE_KEY_JWT and not jwks:
            raise InvalidInput("private_key_jwt needs the client's JWKS", code="invalid_client_metadata")
        if operator and (kind is not None or scopes != [ADMIN_SCOPE] or redirect_uris):
            raise InvalidInput(f"the operator's client has no kind, no redirect URIs and the {ADMIN_SCOPE!r} "
                               "scope only", code="invalid_client_metadata")
        if not operator and (kind is None or ADMIN_SCOPE in scopes):
            raise InvalidInput(f"a wallet provider or bank needs its kind and never gets the {ADMIN_SCOPE!r} "
                               "scope", code="invalid_client_metadata")
        secret = new_token() if auth_method == AuthMethod.CLIENT_SECRET_BASIC else None
        client = OAuthClient(client_id=client_id, client_secret_hash=secret and hash_token(secret), name=name,
                             kind=None if operator else ClientKind(kind), is_operator=operator,
                             redirect_uris=redirect_uris, scopes=scopes, token_endpoint_auth_method=auth_method,
                             jwks=jwks, created_at=self.clock())
        self.session.add(client)
        self.audit(actor, "client.created", client, kind=client.kind.value if client.kind else "operator",
                   auth_method=auth_method.value, scopes=scopes)
        return NewClient(client, secret)

    def find(self, client_id: str) -> OAuthClient | None:
        return self.session.get(OAuthClient, client_id)

    def list(self) -> list[OAuthClient]:
        """Every client, enabled or not, oldest first."""
        return list(self.session.scalars(select(OAuthClient).order_by(OAuthClient.created_at,
                                                                      OAuthClient.client_id)))

    def get(self, client_id: str) -> OAuthClient:
        return found(self.find(client_id), "client", client_id)

    def authenticate(self, client_id: str, secret: str) -> OAuthClient:
        """The client, if ``secret`` is its secret and it is enabled; one error for every failure."""
        client = self.find(client_id)
        if client is None or client.disabled_at is not None or not token_matches(secret, client.client_secret_hash):
            raise InvalidCredentials("client authentication failed", code="invalid_client")
        return client

    def disable(self, client_id: str, *, actor: str, reason: str) -> OAuthClient:
        """No more authentication, and every live token of the client is revoked."""
        client = self.get(client_id)
        if client.disabled_at is not None:
            raise InvalidTransition(f"client {client_id!r} is already disabled")
        client.disabled_at = self.clock()
        self.audit(actor, "client.disabled", client, reason)
        Tokens(self.session, self.clock).revoke_for_client(client_id, actor=actor, reason=reason)
        return client


class Holders(Repository):
    def create(self, *, username: str, password: str, actor: str, totp_secret: str | None = None) -> AccountHolder:
        """Enrol a holder; the password is stored as scrypt, the TOTP secret as issued (see models.py)."""
        if self.find_by_username(username) is not None:
            raise AlreadyExists(f"username {username!r} is taken", code="username_taken")
        holder = AccountHolder(id=new_id(), username=username, password_hash=hash_password(password),
                               totp_secret=totp_secret, created_at=self.clock())
        self.session.add(holder)
        self.audit(actor, "holder.created", holder)
        return holder

    def get(self, holder_id: str) -> AccountHolder:
        return found(self.session.get(AccountHolder, holder_id), "holder", holder_id)

    def find_by_username(self, username: str) -> AccountHolder | None:
        return self.session.scalar(select(AccountHolder).where(AccountHolder.username == username))

    def list(self) -> list[AccountHolder]:
        return list(self.session.scalars(select(AccountHolder).order_by(AccountHolder.username)))

    def accept_totp_step(self, holder: AccountHolder, step: int) -> bool:
        """Record ``step`` as the holder's last accepted TOTP time step, if it is later than the last
        one; False if it is not (the code was already used, or an older one).  One conditional
        UPDATE, so of two requests with the same code, in any workers, exactly one wins."""
        result = self.session.execute(
            update(AccountHolder)
            .where(AccountHolder.id == holder.id,
                   or_(AccountHolder.totp_last_step.is_(None), AccountHolder.totp_last_step < step))
            .values(totp_last_step=step)
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            return False
        set_committed_value(holder, "totp_last_step", step)
        return True

    def authenticate(self, username: str, password: str) -> AccountHolder:
        """The holder if the password is right; an unknown name costs the same time as a wrong password.
        A hash made with weaker parameters than today's is upgraded on the way."""
        holder = self.find_by_username(username)
        if not verify_password(password, holder.password_hash if holder else _dummy_hash()) or holder is None:
            raise InvalidCredentials("wrong username or password")
        if needs_rehash(holder.password_hash):
            holder.password_hash = hash_password(password)
        return holder

    def change_password(self, holder: AccountHolder, password: str, *, actor: str) -> None:
        holder.password_hash = hash_password(password)
        self.audit(actor, "holder.password_changed", holder)


class BankAccounts(Repository):
    def create(self, *, holder_id: str, iban: str, currency: str, name: str, actor: str,
               bic: str | None = None) -> BankAccount:
        """Enrol an account (IBAN without spaces, upper case; checking it is the service's job)."""
        iban = "".join(iban.split()).upper()
        if self.session.scalar(select(BankAccount.id).where(BankAccount.iban == iban)) is not None:
            raise AlreadyExists(f"IBAN {iban} is already enrolled", code="iban_taken")
        Holders(self.session, self.clock).get(holder_id)
        account = BankAccount(id=new_id(), holder_id=holder_id, iban=iban, currency=currency, name=name, bic=bic,
                              created_at=self.clock())
        self.session.add(account)
        self.audit(actor, "bank_account.created", account, holder_id=holder_id)
        return account

    def for_holder(self, holder_id: str) -> list[BankAccount]:
        query = select(BankAccount).where(BankAccount.holder_id == holder_id).order_by(BankAccount.iban)
        return list(self.session.scalars(query))

    def get_for_holder(self, holder_id: str, account_id: str) -> BankAccount:
        """The account if this holder holds it; another holder's account is 'not found'."""
        account = self.session.get(BankAccount, account_id)
        return found(account if account and account.holder_id == holder_id else None, "bank_account", account_id)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A real hash to verify against when the username is unknown, so timing does not reveal it."""
    return hash_password(new_token())
