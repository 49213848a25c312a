"""gateway build --type pain.001 --version 09 < payments.json: canonical JSON in,
XSD-valid ISO 20022 XML out.  The business rules run first (IBAN and BIC
check digits, control sums, duplicates, amounts; --profile adds a scheme's):
input that breaks them is refused (exit 1) and nothing is written.  For camt.053 the input may also be a ledger: an
account's opening balance and the day's bookings, from which the balances and
summary are computed."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from gateway.cli.io import day
from gateway.cli.main import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from gateway.domain import PaymentBatch, Report, StatusReport
from gateway.domain.codec import from_data
from gateway.domain.errors import InvalidInput
from gateway.domain.ledger import Ledger, statement_from_ledger
from gateway.domain.messages import MessageType
from gateway.iso20022 import build
from gateway.iso20022.validate import check, profile_named

MODELS = {"pain.001": PaymentBatch, "pain.002": StatusReport,
          "camt.052": Report, "camt.053": Report, "camt.054": Report}


def add_parser(sub) -> None:
    parser = sub.add_parser("build", help="build an ISO 20022 message from canonical JSON",
                            description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--type", required=True, choices=sorted(MODELS), help="message type")
    parser.add_argument("--version", required=True, help="version, e.g. 09 or 001.09")
    parser.add_argument("--variant", help="a bank's mapping variant (mappings/banks/<variant>)")
    parser.add_argument("--input", default="-", help="JSON file (default: stdin)")
    parser.add_argument("--profile", help="rule profile from mappings/profiles (e.g. sepa)")
    parser.add_argument("--today", type=day, help="also refuse execution dates in the past of this day (YYYY-MM-DD)")
    parser.add_argument("--no-rules", action="store_true",
                        help="skip the business rules (IBAN/BIC, control sums, duplicates...); the XSD still applies")
    parser.set_defaults(run=run)


def message_of(kind: str, version: str) -> MessageType:
    version = version if "." in version else f"001.{version.zfill(2)}"
    return MessageType.parse(f"{kind}.{version}")


def document_from(kind: str, data: object):
    """Canonical JSON as ``parse`` prints it (or just its document), or a ledger for camt.053."""
    if isinstance(data, dict) and "message" in data:
        if "document" in data:
            data = data["document"]
        elif "report" in data and "statements" in data:  # a streamed statement
            data = {**data["report"], "statements": data["statements"]}
    if kind == "camt.053" and isinstance(data, dict) and ("bookings" in data or "opening_balance" in data):
        return statement_from_ledger(from_data(Ledger, data))
    return from_data(MODELS[kind], data)


def _read_json(name: str) -> object:
    if name == "-":
        raw = sys.stdin.buffer.read()
        where = "standard input"
    else:
        try:
            raw = Path(name).read_bytes()
        except OSError as exc:
            raise _Unusable(f"cannot read {name}: {exc.strerror or exc}") from None
        where = name
    if not raw.strip():
        raise _Unusable(f"{where} is empty; expected canonical JSON (see `gateway parse` output)")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise _Unusable(f"{where} is not JSON ({exc})") from None


class _Unusable(Exception):
    pass


def _report(findings) -> None:
    """Findings on the JSON input name its fields; those on the built XML, XPaths."""
    for f in findings:
        where = ".".join(map(str, f.location)) or f.xpath or "document"
        code = f"[{f.reason}] " if f.reason else ""
        first = f"; first at {f.extra['first_location']}" if "first_location" in f.extra else ""
        print(f"  {f.severity.value.upper():7} {code}{where}: {f.message}{first}", file=sys.stderr)


def run(args) -> int:
    try:
        message = message_of(args.type, args.version)
        data = _read_json(args.input)
    except (ValueError, _Unusable) as exc:
        print(f"gateway build: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        document = document_from(args.type, data)
        if not args.no_rules:
            findings = check(message.family, document, profile=profile_named(args.profile), today=args.today)
            if any(f.is_error for f in findings):
                print(f"gateway build: refused: the input breaks {sum(f.is_error for f in findings)} "
                      f"rule(s); nothing was written", file=sys.stderr)
                _report(findings)
                return EXIT_FINDINGS
            _report(findings)
        xml = build(document, message, variant=args.variant)
    except InvalidInput as exc:
        print(f"gateway build: {exc.code}: {exc.message}", file=sys.stderr)
        _report(exc.findings[1:] if exc.findings and exc.findings[0].message in exc.message else exc.findings)
        return EXIT_USAGE
    sys.stdout.buffer.write(xml)
    return EXIT_OK
