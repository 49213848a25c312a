"""gateway validate FILE...: XSD and business-rule findings, as text or JSON.

Exit 0 when no file has errors (warnings allowed), 1 when one has, 2 when an
input is unusable (not XML, hostile, not a message the gateway knows)."""

from __future__ import annotations

import argparse
from datetime import date

from gateway.cli.io import day, source_of, write_json
from gateway.cli.main import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from gateway.iso20022 import ValidationReport, validate


def add_parser(sub) -> None:
    parser = sub.add_parser("validate", help="validate ISO 20022 files against the XSD and business rules",
                            description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", default=["-"], metavar="FILE", help="files to check ('-' or none: stdin)")
    parser.add_argument("--json", action="store_true", help="print findings as JSON")
    parser.add_argument("--profile", help="rule profile from mappings/profiles (e.g. sepa)")
    parser.add_argument("--today", type=day, default=None,
                        help="check execution dates against this day (default: today)")
    parser.add_argument("--no-date-rules", action="store_true", help="do not check dates against today")
    parser.set_defaults(run=run)


def _text(report: ValidationReport) -> str:
    what = str(report.message or report.family or "unknown document")
    head = f"{report.source or '<stdin>'}: {what}: " + (
        "valid" if report.valid else f"{len(report.errors)} error(s)")
    lines = [head]
    for f in report.findings:
        where = f.xpath or ".".join(map(str, f.location))
        place = " ".join(p for p in (where, f"line {f.line}" if f.line else "") if p)
        code = f"[{f.reason}]" if f.reason else "[----]"
        lines.append(f"  {f.severity.value.upper():7} {code} " + (f"{place}: " if place else "") + f.message)
    return "\n".join(lines)


def run(args) -> int:
    today = None if args.no_date_rules else (args.today or date.today())
    reports = [validate(source_of(name), profile=args.profile, today=today) for name in args.files]
    for name, report in zip(args.files, reports):
        report.source = report.source or ("<stdin>" if name == "-" else name)
    if args.json:
        write_json(reports[0].to_dict() if len(reports) == 1 else [r.to_dict() for r in reports])
    else:
        print("\n".join(_text(r) for r in reports))
    if any(r.family is None for r in reports):
        return EXIT_USAGE
    return EXIT_FINDINGS if any(not r.valid for r in reports) else EXIT_OK
