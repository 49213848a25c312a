"""The bank side of the API (the ``bank-api`` connector): banks that connect to the gateway.

A bank is an OAuth client with the ``bank`` scope (client credentials), named as
``client_id`` in its bank file's ``[connector]``.  It sees only its own files:

* ``GET /bank/files``: files waiting for it (oldest first);
* ``GET /bank/files/{id}``: one file's XML;
* ``POST /bank/files/{id}/ack``: it has the file (its payments become ``sent``);
* ``POST /bank/messages``: its pain.002, camt.054, camt.053 or pacs.004, validated on
  arrival (422 with findings if invalid) and applied at once.  A message about a file the
  bank has not acknowledged (a pain.002 about it, a camt.05x booking or a pacs.004 returning
  one of its payments) shows that it has it: the file is delivered first, as by its ack.
"""

from __future__ import annotations

import base64

from flask import Blueprint, Response, current_app

from gateway.api.bodies import xml_body
from gateway.api.payments import RUNTIME
from gateway.connectors.bank_api import BankApiConnector
from gateway.consent import storage
from gateway.consent.models import BANK_SCOPE
from gateway.consent.protect import current_token, require_oauth
from gateway.persistence.errors import NotFound
from gateway.persistence.payment_models import OutgoingMessage
from gateway.persistence.repositories.outbox import Outbox
from gateway.services import delivery, inbound

bp = Blueprint("bank", __name__)


def _bank() -> tuple[str, str]:
    """(bank id, client id) of the calling bank; a client that speaks for no bank sees nothing.
    Read from the bank files (``[connector] client_id`` of the bank-api banks), without making
    any bank's connector in the web process."""
    client_id = current_token().row.client_id
    for bank in current_app.extensions[RUNTIME].router.banks:
        if bank.connector_type == BankApiConnector.type and bank.connector_settings.get("client_id") == client_id:
            return bank.id, client_id
    raise NotFound("this client speaks for no bank with a bank-api connector", code="bank_not_found")


def _file_json(row: OutgoingMessage) -> dict:
    return {"id": row.id, "message_id": row.message_id, "message_type": row.message_type, "sha256": row.sha256,
            "status": row.status.value, "created_at": row.created_at.isoformat(),
            "delivered_at": row.delivered_at.isoformat() if row.delivered_at else None}


@bp.get("/bank/files")
@require_oauth(BANK_SCOPE)
def list_files():
    bank_id, _ = _bank()
    return {"files": [_file_json(r) for r in Outbox(storage.session(), storage.clock()).pending_for_bank(bank_id)]}


@bp.get("/bank/files/<file_id>")
@require_oauth(BANK_SCOPE)
def get_file(file_id: str):
    bank_id, _ = _bank()
    row = Outbox(storage.session(), storage.clock()).find(file_id)
    if row is None or row.bank_id != bank_id or row.status.value in ("held", "cancelled"):
        raise NotFound(f"no file {file_id!r} for this bank", code="file_not_found")
    return Response(row.body, mimetype="application/xml", headers={"Repr-Digest": repr_digest(row.sha256)})


def repr_digest(sha256_hex: str) -> str:
    """RFC 9530 ``Repr-Digest``: the algorithm and the digest's bytes as a structured-field byte
    sequence (base64 between colons), so a bank's HTTP library can check the file it fetched."""
    return f"sha-256=:{base64.b64encode(bytes.fromhex(sha256_hex)).decode()}:"


@bp.post("/bank/files/<file_id>/ack")
@require_oauth(BANK_SCOPE)
def acknowledge(file_id: str):
    bank_id, client_id = _bank()
    row = delivery.acknowledge(storage.session(), storage.clock(), bank_id=bank_id, row_id=file_id,
                               client_id=client_id)
    return _file_json(row)


@bp.post("/bank/messages")
@require_oauth(BANK_SCOPE)
def post_message():
    bank_id, _ = _bank()
    row, outcome = inbound.receive(storage.session(), storage.clock(), bank_id, xml_body(),
                                   router=current_app.extensions[RUNTIME].router)
    return {"id": row.id, "family": outcome.family, "message_type": row.message_type, "message_id": row.message_id,
            "outcome": outcome.outcome, "findings": list(outcome.findings)}, 201
