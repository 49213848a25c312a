"""The operator's admin API: register, list and disable clients; enrol and list account
holders and their bank accounts.

    GET  /admin/clients                       POST /admin/clients
    GET  /admin/clients/{client_id}           POST /admin/clients/{client_id}/disable
    GET  /admin/holders                       POST /admin/holders
    GET  /admin/holders/{holder_id}/accounts  POST /admin/holders/{holder_id}/accounts

Who may call it: a token with the ``admin`` scope, whose client is (still) the operator's
(``is_operator``), checked on every call.  Only ``gateway clients create --kind operator`` on
the gateway's own machine makes such a client; this API never does (``kind`` here is a
wallet provider or a bank), and it refuses ``admin`` for any client it registers.  So a
leaked wallet secret, or this API itself, can never lead to an admin token.

What it shows: never a password, secret or their hashes.  Two things are shown exactly once,
in the answer that creates them, because nobody can show them again: a new client's secret
(``client_secret_basic``), and a new holder's TOTP secret with its ``otpauth://`` URI, for the
holder's authenticator app.

Bodies are checked against ``schemas/admin/*.json`` (JSON Schema 2020-12; violations are 422
``invalid_admin_request`` naming each field), then by the same rules as the command line
(``gateway.consent.registration``: redirect URIs, scopes, keys, password, IBAN...).  Every
change is audited by the repositories, with the actor ``operator:client:<client id>``.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pyotp
from flask import Blueprint, url_for
from jsonschema import Draft202012Validator

from gateway.api.bodies import json_body
from gateway.consent import storage
from gateway.consent.errors import InsufficientScope
from gateway.consent.protect import current_token, require_oauth
from gateway.consent.registration import (
    check_account,
    check_client_name,
    check_jwks,
    check_password,
    check_redirect_uris,
    check_scopes,
    check_username,
    describe_account,
    describe_client,
    describe_holder,
)
from gateway.domain.errors import InvalidInput
from gateway.domain.findings import Finding
from gateway.persistence.models import AuthMethod
from gateway.persistence.repositories import BankAccounts, Clients, Holders
from gateway.persistence.repositories.parties import ADMIN_SCOPE

SCHEMAS = Path(__file__).resolve().parent / "schemas" / "admin"
TOTP_ISSUER = "ISO 20022 Gateway"

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


VALIDATORS = {name: _validator(name) for name in ("client", "disable", "holder", "account")}


def _repo(cls):
    return cls(storage.session(), storage.clock())


def operator_only(view):
    """``admin`` scope, and the token's client is an enabled operator client (checked again here:
    the scope alone is never taken as proof)."""
    @require_oauth(ADMIN_SCOPE)
    @functools.wraps(view)
    def guarded(*args, **kwargs):
        client = _repo(Clients).find(current_token().row.client_id)
        if client is None or not client.is_operator or client.disabled_at is not None:
            raise InsufficientScope("the admin API is for the operator's client only")
        return view(*args, **kwargs)

    return guarded


def _actor() -> str:
    return f"operator:client:{current_token().row.client_id}"


def _body(name: str) -> dict:
    body = json_body()
    errors = sorted(VALIDATORS[name].iter_errors(body), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        findings = [Finding(rule=f"admin.{name}", reason="FF01", message=e.message, location=tuple(e.absolute_path))
                    for e in errors]
        raise InvalidInput(f"the request does not match its schema ({name})", findings, code="invalid_admin_request")
    return body


# -- clients -------------------------------------------------------------------------------------------

@bp.get("/clients")
@operator_only
def list_clients():
    return {"clients": [describe_client(c) for c in _repo(Clients).list()]}


@bp.post("/clients")
@operator_only
def create_client():
    body = _body("client")
    method = AuthMethod(body.get("token_endpoint_auth_method", AuthMethod.CLIENT_SECRET_BASIC.value))
    name = check_client_name(body["name"])
    scopes = check_scopes(body["scopes"])
    redirect_uris = check_redirect_uris(body.get("redirect_uris", []))
    jwks = check_jwks(body["jwks"]) if method == AuthMethod.PRIVATE_KEY_JWT else None
    new = _repo(Clients).create(name=name, kind=body["kind"], redirect_uris=redirect_uris, scopes=scopes,
                                auth_method=method, jwks=jwks, actor=_actor())
    storage.session().flush()
    answer = {**describe_client(new.client), "client_secret": new.secret}
    return answer, 201, {"Location": url_for("admin.get_client", client_id=new.client.client_id)}


@bp.get("/clients/<client_id>")
@operator_only
def get_client(client_id: str):
    return describe_client(_repo(Clients).get(client_id))


@bp.post("/clients/<client_id>/disable")
@operator_only
def disable_client(client_id: str):
    reason = _body("disable")["reason"].strip()
    return describe_client(_repo(Clients).disable(client_id, actor=_actor(), reason=reason))


# -- holders and their accounts ------------------------------------------------------------------------

@bp.get("/holders")
@operator_only
def list_holders():
    return {"holders": [describe_holder(h) for h in _repo(Holders).list()]}


@bp.post("/holders")
@operator_only
def create_holder():
    body = _body("holder")
    username, password = check_username(body["username"]), check_password(body["password"])
    secret = pyotp.random_base32()
    holder = _repo(Holders).create(username=username, password=password, totp_secret=secret, actor=_actor())
    storage.session().flush()
    totp = {"secret": secret,
            "otpauth_uri": pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=TOTP_ISSUER)}
    location = url_for("admin.list_accounts", holder_id=holder.id)
    return {**describe_holder(holder), "totp": totp}, 201, {"Location": location}


@bp.get("/holders/<holder_id>/accounts")
@operator_only
def list_accounts(holder_id: str):
    _repo(Holders).get(holder_id)
    return {"accounts": [describe_account(a) for a in _repo(BankAccounts).for_holder(holder_id)]}


@bp.post("/holders/<holder_id>/accounts")
@operator_only
def create_account(holder_id: str):
    body = _body("account")
    details = check_account(body["iban"], body["currency"], body["name"], body.get("bic"))
    account = _repo(BankAccounts).create(holder_id=holder_id, iban=details.iban, currency=details.currency,
                                         name=details.name, bic=details.bic, actor=_actor())
    storage.session().flush()
    return describe_account(account), 201
