"""``POST /payment-files``: a whole pain.001 under a holder's ``payments`` consent.

The body is the XML file (``application/xml``); the answer is 201 with the
payments it became and the files sent to each bank.  Invalid files are 422 with
the findings (XPath, line, ISO reason); a file outside its consent is 403; a
MsgId or EndToEndId the client used before is 409.  ``Idempotency-Key`` is
required, as on every POST that moves money.
"""

from __future__ import annotations

from flask import Blueprint, current_app

from gateway.api.bodies import xml_body
from gateway.api.idempotency import idempotent
from gateway.api.payments import RUNTIME, new_payment_json
from gateway.consent import storage
from gateway.consent.protect import current_consent, current_token, require_oauth
from gateway.services.files import OPERATION, submit_file

bp = Blueprint("files", __name__)


@bp.post("/payment-files")
@require_oauth("payments", consent_kind="payments")
def upload():
    client_id = current_token().row.client_id

    def run() -> tuple[int, dict]:
        initiated = submit_file(storage.session(), storage.clock(), current_app.extensions[RUNTIME],
                                client_id=client_id, consent=current_consent(), body=xml_body())
        return 201, {"operation": OPERATION,
                     "files": [{"bank": m.bank_id, "message_id": m.message_id, "message_type": m.message_type,
                                "status": m.status.value, "sha256": m.sha256} for m in initiated.messages],
                     "payments": [new_payment_json(p) for p in initiated.payments]}

    xml_body()  # media type and size before anything else
    return idempotent(client_id, run)
