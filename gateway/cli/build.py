"""``gateway build --type pain.001 --version 09 < payments.json``: canonical JSON in,
XSD-valid ISO 20022 XML out.  For camt.053 the input may also be a ledger: an
account's opening balance and the day's bookings, from which the balances and
summary are computed."""

from __future__ import annotations

import argparse
import json
import sys

from gateway.cli.io import source_of
from gateway.cli.main import EXIT_USAGE
from gateway.domain import PaymentBatch, Report, StatusReport
from gateway.domain.codec import from_data
from gateway.domain.errors import InvalidInput
from gateway.domain.ledger import Ledger, statement_from_ledger
from gateway.domain.messages import MessageType
from gateway.iso20022 import build

MODELS = {"pain.001": PaymentBatch, "pain.002": StatusReport,
          "camt.052": Report, "camt.053": Report, "camt.054": Report}


def add_parser(sub) -> None:
    parser = sub.add_parser("build", help="build an ISO 20022 message from canonical JSON",
                            description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--type", required=True, choices=sorted(MODELS), help="message type")
    parser.add_argument("--version", required=True, help="version, e.g. 09 or 001.09")
    parser.add_argument("--variant", help="a bank's mapping variant (mappings/banks/<variant>)")
    parser.add_argument("--input", default="-", help="JSON file (default: stdin)")
    parser.set_defaults(run=run)


def message_of(kind: str, version: str) -> MessageType:
    version = version if "." in version else f"001.{version.zfill(2)}"
    return MessageType.parse(f"{kind}.{version}")


def document_from(kind: str, data: object):
    if isinstance(data, dict) and "document" in data and "message" in data:
        data = data["document"]  # the output of `gateway parse`
    if kind == "camt.053" and isinstance(data, dict) and "opening_balance" in data:
        return statement_from_ledger(from_data(Ledger, data))
    return from_data(MODELS[kind], data)


def run(args) -> int:
    try:
        message = message_of(args.type, args.version)
    except ValueError as exc:
        print(f"gateway build: {exc}", file=sys.stderr)
        return EXIT_USAGE
    raw = source_of(args.input)
    try:
        data = json.loads(raw if isinstance(raw, bytes) else raw.read_bytes())
    except (ValueError, OSError) as exc:
        print(f"gateway build: the input is not JSON: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        xml = build(document_from(args.type, data), message)
    except InvalidInput as exc:
        print(f"gateway build: {exc.code}: {exc.message}", file=sys.stderr)
        for f in exc.findings:
            where = f.xpath or ".".join(map(str, f.location))
            print(f"  {f.reason or ''} {where}: {f.message}", file=sys.stderr)
        return EXIT_USAGE
    sys.stdout.buffer.write(xml)
    return 0
