"""gateway schemas sync|list: fetch the pinned XSDs, or show what is installed.

Kept as a command (not an install step) because the schemas are data an
operator refreshes, and because a bank's own XSDs are added the same way.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from gateway.iso20022.catalog import load_catalog
from gateway.iso20022.schema_store import (
    SchemaChecksumMismatch,
    default_schema_dir,
    file_sha256,
    read_local_manifest,
    sync,
)

EXIT_OK, EXIT_FAILED = 0, 1


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("schemas", help="manage the local ISO 20022 XSD store")
    commands = parser.add_subparsers(dest="schemas_command", required=True, metavar="ACTION")

    sync_parser = commands.add_parser("sync", help="download the pinned XSDs (or install a bank's XSDs with --from)")
    sync_parser.add_argument("--from", dest="from_dir", type=Path, metavar="DIR",
                             help="install the ISO 20022 XSDs found in DIR instead of downloading")
    sync_parser.add_argument("--official", action="store_true",
                             help="replace bank-supplied XSDs by the catalog's official ones")
    sync_parser.add_argument("--dest", type=Path, metavar="DIR",
                             help="schema store folder (default: $GATEWAY_SCHEMA_DIR or schemas/xsd)")
    sync_parser.set_defaults(run=run_sync)

    list_parser = commands.add_parser("list", help="catalog entries and whether each is installed")
    list_parser.add_argument("--dest", type=Path, metavar="DIR", help="schema store folder to inspect")
    list_parser.set_defaults(run=run_list)


def run_sync(args: argparse.Namespace) -> int:
    try:
        report = sync(args.dest, from_dir=args.from_dir, official=args.official)
    except SchemaChecksumMismatch as exc:
        for line in exc.report:
            print(line)
        raise
    for line in report:
        print(line)
    if args.from_dir is not None and not any(": installed" in line for line in report):
        print(f"no ISO 20022 XSD was installed from {args.from_dir}")
        return EXIT_FAILED
    if any("kept the bank-supplied" in line for line in report):
        print("bank-supplied XSDs stay in place; `gateway schemas sync --official` restores the catalog's")
    return EXIT_OK


def run_list(args: argparse.Namespace) -> int:
    dest = args.dest if args.dest is not None else default_schema_dir()
    catalog = load_catalog()
    local = read_local_manifest(dest)
    rows: list[tuple[str, str, str]] = []
    for message_id, entry in catalog.items():
        present = file_sha256(dest / entry.filename)
        if present is None:
            state = "missing"
        elif present == entry.sha256:
            state = "ok"
        elif present == local.get(message_id, {}).get("sha256"):
            state = "bank"
        else:
            state = "modified"
        rows.append((message_id, entry.requirement, state))
    for message_id in sorted(set(local) - set(catalog)):
        present = file_sha256(dest / f"{message_id}.xsd")
        state = "bank" if present == local[message_id].get("sha256") else ("missing" if present is None else "modified")
        rows.append((message_id, "bank-supplied", state))

    width = max((len(row[0]) for row in rows), default=10)
    source_width = max((len(row[1]) for row in rows), default=6)
    print(f"{'MESSAGE':<{width}}  {'SOURCE':<{source_width}}  STATE")
    for message_id, source, state in rows:
        print(f"{message_id:<{width}}  {source:<{source_width}}  {state}")
    print(f"schema store: {dest}")
    return EXIT_OK
