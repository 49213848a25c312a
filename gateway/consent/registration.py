"""What the operator may register, checked the same way at both doors: the command line
(``gateway clients``, ``gateway holders``) and the admin API (``gateway.api.admin``).

Why one module: a rule that only one door knows is a rule the other door breaks.  Each
check raises :class:`InvalidInput` with a stable ``code`` and a finding that names the
field (the API's 422 lists them; the command line prints the message).

* Clients: a name; redirect URIs exact, absolute, without fragment or user info, https
  (or http on a loopback host, RFC 8252); scopes the gateway knows; a JWKS of public
  signing keys the gateway can verify with (RSA of at least 2048 bits, or EC P-256),
  never private key material.  The operator's client holds ``admin`` and nothing else,
  and no other client ever holds ``admin`` (checked again by the repository).
* Holders: a username without spaces; a password of 12 to 1024 characters.
* Bank accounts: IBAN and BIC with valid check digits and format, an ISO 4217 currency,
  a name of 1 to 140 characters.

And what the operator sees of them (``describe_*``): never a password or secret, nor their
hashes; a client's secret and a holder's TOTP secret are shown once, by whoever creates them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from gateway.consent.models import ADMIN_SCOPE, SCOPES_SUPPORTED
from gateway.domain.errors import InvalidInput
from gateway.domain.findings import Finding
from gateway.domain.money import minor_units
from gateway.domain.rules.identifiers import bic_problem, iban_problem
from gateway.persistence.models import AccountHolder, BankAccount, OAuthClient

PARTY_SCOPES = tuple(s for s in SCOPES_SUPPORTED if s != ADMIN_SCOPE)
"""What a wallet provider or bank may be registered for."""
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
PRIVATE_JWK_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")
MIN_RSA_BITS = 2048
MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH = 12, 1024
MAX_NAME_LENGTH = 200


def refuse(message: str, code: str, field: str | tuple[str | int, ...] = (), value: object = None) -> InvalidInput:
    location = (field,) if isinstance(field, str) else field
    finding = Finding(rule=code, reason="FF01", message=message, location=location,
                      value=None if value is None else str(value))
    return InvalidInput(message, [finding], code=code)


# -- clients -------------------------------------------------------------------------------------------

def check_client_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise refuse(f"the name must be 1-{MAX_NAME_LENGTH} characters (account holders see it)",
                     "invalid_client_metadata", "name")
    return name


def check_redirect_uri(uri: str, field: str | tuple = "redirect_uris") -> str:
    parts = urlsplit(uri)
    problem = None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        problem = "must be an absolute https:// URI (or http:// on a loopback host)"
    elif parts.fragment or "#" in uri:
        problem = "must not contain a fragment (#...)"
    elif parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        problem = f"http:// is only allowed on a loopback host ({', '.join(LOOPBACK_HOSTS)}); use https://"
    elif parts.username or parts.password:
        problem = "must not contain a user name or password"
    if problem:
        raise refuse(f"redirect URI {uri!r} {problem}", "invalid_redirect_uri", field, uri)
    return uri


def check_redirect_uris(uris: Iterable[str]) -> list[str]:
    return [check_redirect_uri(uri, ("redirect_uris", i)) for i, uri in enumerate(dict.fromkeys(uris))]


def check_scopes(scopes: Iterable[str], *, operator: bool = False) -> list[str]:
    """The scopes, deduplicated in order.  An operator client gets ``admin`` only; a party never."""
    result = list(dict.fromkeys(scopes))
    if operator:
        if result != [ADMIN_SCOPE]:
            raise refuse(f"the operator's client holds the {ADMIN_SCOPE!r} scope and nothing else",
                         "invalid_scope", "scopes")
        return result
    for position, scope in enumerate(result):
        if scope == ADMIN_SCOPE:
            raise refuse(f"only the operator's client may hold the {ADMIN_SCOPE!r} scope (register it as "
                         "kind operator)", "invalid_scope", ("scopes", position), scope)
        if scope not in PARTY_SCOPES:
            raise refuse(f"unknown scope {scope!r}; known: {', '.join(PARTY_SCOPES)}", "invalid_scope",
                         ("scopes", position), scope)
    if not result:
        raise refuse("a client needs at least one scope", "invalid_scope", "scopes")
    return result


def check_jwks(jwks: object, source: str = "the JWKS") -> dict:
    """A JWKS of public signing keys (RS256 or ES256), returned as given."""
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(keys, list) or not keys:
        raise refuse(f'{source} is not a JWKS: expected {{"keys": [ ...at least one key... ]}}', "invalid_jwks",
                     "jwks")
    for position, key in enumerate(keys, 1):
        where = ("jwks", "keys", position - 1)
        if not isinstance(key, dict) or not isinstance(key.get("kty"), str):
            raise refuse(f"{source}: key {position} has no \"kty\"", "invalid_jwks", where)
        private = sorted(set(key) & set(PRIVATE_JWK_MEMBERS))
        if private:
            raise refuse(f"{source}: key {position} contains private key material ({', '.join(private)}); "
                         "register the public key only", "invalid_jwks", where)
        problem = _key_problem(key)
        if problem:
            raise refuse(f"{source}: key {position} {problem}", "invalid_jwks", where)
    try:
        KeySet.import_key_set(jwks)
    except (JoseError, ValueError, TypeError) as exc:
        raise refuse(f"{source} cannot be read as a JWKS: {exc}", "invalid_jwks", "jwks") from None
    return jwks


def _key_problem(key: dict) -> str | None:
    if key.get("use") not in (None, "sig"):
        return f"is for {key['use']!r}, not for signatures (\"use\": \"sig\")"
    if key.get("alg") not in (None, "RS256", "ES256"):
        return f"is for {key['alg']!r}; the gateway verifies RS256 and ES256"
    if key["kty"] == "EC":
        return None if key.get("crv") == "P-256" else "is an EC key on a curve other than P-256 (ES256)"
    if key["kty"] == "RSA":
        modulus = key.get("n")
        bits = len(modulus) * 6 if isinstance(modulus, str) else 0  # base64url: 6 bits a character
        return None if bits >= MIN_RSA_BITS - 6 else f"is an RSA key shorter than {MIN_RSA_BITS} bits"
    return f"has kty {key['kty']!r}; the gateway verifies RSA (RS256) and EC P-256 (ES256) keys"


# -- holders and their accounts ------------------------------------------------------------------------

def check_username(username: str) -> str:
    if not username or username != username.strip() or any(ch.isspace() for ch in username) \
            or len(username) > 150:
        raise refuse(f"username {username!r} must be 1-150 characters without spaces", "invalid_username",
                     "username")
    return username


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise refuse(f"the password is too short ({len(password)} characters, at least {MIN_PASSWORD_LENGTH})",
                     "weak_password", "password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise refuse(f"the password is longer than {MAX_PASSWORD_LENGTH} characters", "weak_password", "password")
    return password


@dataclass(frozen=True)
class AccountDetails:
    iban: str
    currency: str
    name: str
    bic: str | None


def check_account(iban: str, currency: str, name: str, bic: str | None) -> AccountDetails:
    """Normalised (IBAN without spaces, upper case) and checked."""
    normalised = "".join(iban.split()).upper()
    problem = iban_problem(normalised)
    if problem:
        raise refuse(f"{iban!r} is not a valid IBAN: {problem}", "invalid_iban", "iban", iban)
    code = currency.strip().upper()
    if len(code) != 3 or minor_units(code) is None:
        raise refuse(f"{currency!r} is not an ISO 4217 currency code", "invalid_account_currency", "currency", currency)
    bic_code = bic.strip().upper() if bic else None
    if bic_code and (problem := bic_problem(bic_code)):
        raise refuse(f"{bic!r} is not a valid BIC: {problem}", "invalid_bic", "bic", bic)
    label = name.strip()
    if not label or len(label) > 140:
        raise refuse("the account name must be 1-140 characters", "invalid_account_name", "name")
    return AccountDetails(normalised, code, label, bic_code)


# -- what the operator sees ----------------------------------------------------------------------------

OPERATOR_KIND = "operator"


def _time(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def describe_client(client: OAuthClient) -> dict:
    """A client as the command line and the admin API show it: never a secret or its hash (the
    public keys of a ``private_key_jwt`` client are not secret)."""
    return {"client_id": client.client_id, "name": client.name,
            "kind": OPERATOR_KIND if client.is_operator else client.kind.value,
            "token_endpoint_auth_method": client.token_endpoint_auth_method.value,
            "scopes": list(client.scopes), "redirect_uris": list(client.redirect_uris), "jwks": client.jwks,
            "created_at": _time(client.created_at), "disabled_at": _time(client.disabled_at)}


def describe_holder(holder: AccountHolder) -> dict:
    """A holder without the password hash or the TOTP secret: only whether one is enrolled."""
    return {"id": holder.id, "username": holder.username, "totp_enrolled": bool(holder.totp_secret),
            "created_at": _time(holder.created_at)}


def describe_account(account: BankAccount) -> dict:
    return {"id": account.id, "holder_id": account.holder_id, "iban": account.iban, "currency": account.currency,
            "name": account.name, "bic": account.bic, "created_at": _time(account.created_at)}
