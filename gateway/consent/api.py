"""Consent resources, open-banking style, for OAuth clients:

* ``POST /consents`` (scope ``consents``, a client-credentials token): a new
  consent awaiting the account holder's authorisation (201, ``Location``);
* ``GET /consents/{id}``: the client's own consent; another client's is 404,
  never 403, so a client cannot learn whether an id exists;
* ``DELETE /consents/{id}``: revokes it, and every token bound to it;
* ``GET /accounts`` (scope ``accounts``, a token bound to an authorised
  accounts consent): the accounts the holder picked, the proof that the
  resource protector binds tokens to consents (balances and transactions
  come with the connectors).

Bodies are checked against ``schemas/consent-request.json`` (JSON Schema
2020-12); every violation is a finding naming its field, all in one 422.
Amounts are strings ("12.50"), never JSON numbers, as everywhere in the gateway.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from flask import Blueprint, request, url_for
from jsonschema import Draft202012Validator
from werkzeug.exceptions import UnsupportedMediaType

from gateway.consent import storage
from gateway.consent.models import CONSENTS_SCOPE
from gateway.consent.protect import current_consent, current_token, require_oauth
from gateway.domain.errors import InvalidInput
from gateway.domain.findings import Finding
from gateway.persistence.errors import NotFound
from gateway.persistence.models import Consent, ConsentKind, ConsentStatus
from gateway.persistence.repositories import SYSTEM, TRANSITIONS, Consents
from gateway.persistence.repositories.reads import ConsentRecord

SCHEMA = json.loads((Path(__file__).resolve().parent / "schemas" / "consent-request.json").read_text())
Draft202012Validator.check_schema(SCHEMA)
VALIDATOR = Draft202012Validator(SCHEMA)

bp = Blueprint("consents", __name__)


def _consents() -> Consents:
    return Consents(storage.session(), storage.clock())


def _client_id() -> str:
    return current_token().row.client_id


@bp.post("/consents")
@require_oauth(CONSENTS_SCOPE)
def create_consent():
    body = _json_body()
    findings = [Finding(rule="consent.schema", reason="FF01", message=_message(error, body),
                        location=tuple(error.absolute_path))
                for error in sorted(VALIDATOR.iter_errors(body), key=lambda e: list(map(str, e.absolute_path)))]
    if findings:
        raise InvalidInput("the consent request does not match its schema", findings, code="invalid_consent")
    expires_at = _expiry(body["expires_at"])
    limits = body.get("limits", {})
    amounts = {name: Decimal(limits[name]) for name in ("per_payment", "total") if name in limits}
    zero = [Finding(rule="consent.amount", reason="AM01", message="an amount limit must be more than zero",
                    location=("limits", name), value=limits[name]) for name, value in amounts.items() if value <= 0]
    if zero:
        raise InvalidInput("an amount limit is zero", zero, code="invalid_consent")
    kind = ConsentKind(body["kind"])
    client_id = _client_id()
    consent = _consents().create(
        client_id=client_id, kind=kind, permissions=body.get("permissions", []), expires_at=expires_at,
        actor=f"client:{client_id}", currency=limits.get("currency"), max_amount_per_payment=amounts.get("per_payment"),
        max_total_amount=amounts.get("total"), max_count=limits.get("count"), file_sha256=body.get("file_sha256"))
    storage.session().flush()
    location = url_for("consents.get_consent", consent_id=consent.id)
    return consent_json(consent), 201, {"Location": location}


@bp.get("/consents/<consent_id>")
@require_oauth(CONSENTS_SCOPE, own_consent="consent_id")
def get_consent(consent_id: str):
    """One read (token, consent and accounts together, no transaction); the ORM and a transaction
    only when the consent must be marked expired on the way."""
    consent = current_consent()
    if consent is None:
        raise NotFound(f"no consent {consent_id!r}", code="consent_not_found")
    if consent.status in TRANSITIONS and consent.expires_at <= storage.now():
        return consent_json(_current(consent_id))
    return consent_json(consent)


@bp.delete("/consents/<consent_id>")
@require_oauth(CONSENTS_SCOPE)
def revoke_consent(consent_id: str):
    consent = _current(consent_id)
    _consents().transition(consent, ConsentStatus.REVOKED, actor=f"client:{_client_id()}",
                           reason="revoked by the client")
    return consent_json(consent)


@bp.get("/accounts")
@require_oauth("accounts", consent_kind="accounts")
def list_accounts():
    consent = current_consent()
    return {"consent_id": consent.id,
            "accounts": [{"id": a.id, "iban": a.iban, "currency": a.currency, "name": a.name, "bic": a.bic}
                         for a in consent.accounts]}


def _current(consent_id: str) -> Consent:
    """The client's consent, marked expired first if its expiry has passed (audited)."""
    consents = _consents()
    consent = consents.get_for_client(_client_id(), consent_id)
    if consent.status in TRANSITIONS and consent.expires_at <= storage.now():
        consents.transition(consent, ConsentStatus.EXPIRED, actor=SYSTEM, reason="expiry date passed")
    return consent


def _message(error, body: object) -> str:
    """jsonschema's words, except for the 'not: {}' of a field the other kind of consent uses."""
    if error.validator == "not" and error.validator_value == {} and isinstance(body, dict):
        other = "payments" if body.get("kind") == "accounts" else "accounts"
        return f"{error.absolute_path[-1]} is only for {other} consents"
    return error.message


def amount_text(value: Decimal) -> str:
    """An amount as the gateway writes it: at least two decimals, no trailing zeros beyond ("12.50", "1.234")."""
    text = format(value.normalize(), "f")
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def _json_body() -> object:
    if request.mimetype != "application/json":
        raise UnsupportedMediaType(f"send the consent as Content-Type: application/json, "
                                   f"not {request.mimetype or 'no Content-Type'}")
    try:
        return json.loads(request.get_data(cache=False))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("the body is not JSON", [Finding(rule="json", reason="FF01", message=str(exc))],
                           code="invalid_consent") from None


def _expiry(text: str) -> datetime:
    def refuse(message: str) -> InvalidInput:
        return InvalidInput(message, [Finding(rule="consent.expires_at", reason="DT01", message=message,
                                              location=("expires_at",), value=text)], code="invalid_consent")

    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise refuse("expires_at must be an RFC 3339 date-time with an offset, e.g. 2026-12-31T23:59:59Z") from None
    if value.tzinfo is None:
        raise refuse("expires_at needs a time zone offset (Z or +01:00)")
    value = value.astimezone(UTC)
    if value <= storage.now():
        raise refuse("expires_at must be in the future")
    return value


def _time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def consent_json(consent: Consent | ConsentRecord) -> dict:
    body: dict = {"id": consent.id, "kind": consent.kind.value, "status": consent.status.value,
                  "expires_at": _time(consent.expires_at), "created_at": _time(consent.created_at),
                  "updated_at": _time(consent.updated_at)}
    if consent.kind == ConsentKind.ACCOUNTS:
        body["permissions"] = list(consent.permissions)
    else:
        limits = {"currency": consent.currency, "per_payment": consent.max_amount_per_payment,
                  "total": consent.max_total_amount, "count": consent.max_count}
        body["limits"] = {k: (amount_text(v) if isinstance(v, Decimal) else v) for k, v in limits.items()
                          if v is not None}
        body["used"] = {"amount": amount_text(consent.used_amount), "count": consent.used_count}
        if consent.file_sha256:
            body["file_sha256"] = consent.file_sha256
    body["accounts"] = [{"id": a.id, "iban": a.iban, "currency": a.currency} for a in consent.accounts]
    return body
