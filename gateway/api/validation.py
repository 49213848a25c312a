"""``POST /validate``: the command line's ``gateway validate`` over HTTP.

The body is one ISO 20022 document; the answer is the validation report (JSON,
or JUnit XML for CI servers).  A document with errors is still a successful
validation (200, ``valid: false``); only a body that cannot be validated at
all (not XML, hostile, not a message the gateway reads) is a 422 problem, the
same line the CLI draws between exit 1 and exit 2.  Nothing is stored.

The body is read by :func:`gateway.api.bodies.xml_body` (media type, size limit).
"""

from __future__ import annotations

import time
from datetime import date

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import NotAcceptable

from gateway.api import query as params
from gateway.api.bodies import xml_body
from gateway.api.junit import junit_report
from gateway.domain.errors import GatewayError, InvalidInput, UnsupportedMessage
from gateway.iso20022 import ValidationReport, validate

bp = Blueprint("validation", __name__)

FORMATS = ("json", "junit")


@bp.post("/validate")
def validate_document():
    body = xml_body()
    junit = _wants_junit()
    profile = params.single("profile") or None
    today = _today()
    limit = current_app.config["GATEWAY_SETTINGS"].max_body_bytes
    started = time.perf_counter()
    report = validate(body, profile=profile, today=today, max_bytes=limit)
    if report.family is None:
        raise _unusable(report)
    if not junit:
        return report.to_dict()
    properties = {"profile": profile or "", "today": today.isoformat()}
    xml = junit_report(report, properties=properties, seconds=time.perf_counter() - started)
    return Response(xml, mimetype="application/xml")


def _wants_junit() -> bool:
    """``?format=`` wins over ``Accept``; without either the answer is JSON."""
    name = params.single("format")
    if name is not None:
        if name not in FORMATS:
            raise GatewayError(f"format must be one of {', '.join(FORMATS)}, not {name!r}", code="invalid_parameter")
        return name == "junit"
    if not request.accept_mimetypes:  # no Accept header: anything goes
        return False
    best = request.accept_mimetypes.best_match(["application/json", "application/xml", "text/xml"])
    if best is None:
        raise NotAcceptable("the report is available as application/json or application/xml (JUnit)")
    return best != "application/json"


def _today() -> date:
    """Date rules (execution dates in the past) run against ``?today=``, else the server's date."""
    text = params.single("today")
    if not text:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise GatewayError(f"today must be a date like 2026-11-23, not {text!r}", code="invalid_parameter") from None


def _unusable(report: ValidationReport) -> GatewayError:
    """Not a document the gateway can validate: the findings say why (422 either way)."""
    first = report.errors[0].message if report.errors else "the document cannot be read"
    detail = f"the document cannot be validated: {first}"
    if any(f.rule == "unsupported_message" for f in report.findings):
        error = UnsupportedMessage(detail)
        error.findings = report.findings  # the problem carries them like InvalidInput's
        return error
    return InvalidInput(detail, report.findings)
