"""gateway sandbox advance|accounts|messages: drive the in-process sandbox bank.

The sandbox bank (connector type ``sandbox``) keeps its state in the SQLite file
its bank file names (``config/banks/sandbox.toml``, ``[connector] state``); this
command opens the same file as the gateway's worker, so what it does is what
the gateway sees on its next collection.

``advance`` moves the bank date forward (``--days N`` calendar days, or
``--to DATE``).  Passing the end of a business day issues that day's camt.053
for every open account; arriving at a business day books the future-dated
payments due on it.  ``accounts`` shows balances; ``messages`` lists what the
bank has written (``--show ID`` prints one message's XML).
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

from gateway.cli.io import day, write_json
from gateway.connectors.base import ConnectorConfigError
from gateway.connectors.sandbox import SandboxConnector, SandboxError
from gateway.connectors.sandbox.settings import BANKS_DIR
from gateway.domain.errors import GatewayError

DEFAULT_BANK_FILE = BANKS_DIR / "sandbox.toml"


def add_parser(sub) -> None:
    parser = sub.add_parser("sandbox", help="drive the in-process sandbox bank (its clock, accounts, mailbox)",
                            description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--bank-file", type=Path, default=DEFAULT_BANK_FILE, metavar="FILE",
                        help="the sandbox bank's file (default: config/banks/sandbox.toml)")
    actions = parser.add_subparsers(dest="sandbox_command", required=True, metavar="ACTION")

    advance = actions.add_parser("advance", parents=[common], help="move the bank date forward")
    when = advance.add_mutually_exclusive_group(required=True)
    when.add_argument("--days", type=_days, metavar="N", help="calendar days to move forward")
    when.add_argument("--to", type=day, metavar="DATE", help="the new bank date, YYYY-MM-DD")
    advance.set_defaults(run=run_advance)

    accounts = actions.add_parser("accounts", parents=[common], help="accounts, balances and the bank date")
    accounts.add_argument("--json", action="store_true", help="machine-readable output")
    accounts.set_defaults(run=run_accounts)

    messages = actions.add_parser("messages", parents=[common], help="messages the bank has written")
    messages.add_argument("--json", action="store_true", help="machine-readable output (without the XML)")
    messages.add_argument("--pending", action="store_true", help="only those the gateway has not acknowledged")
    messages.add_argument("--type", dest="family", choices=("pain.002", "camt.054", "camt.053"),
                          help="only this message type")
    messages.add_argument("--show", metavar="ID", help="print the XML of the message with this id")
    messages.set_defaults(run=run_messages)


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days") from None
    if value < 0:
        raise argparse.ArgumentTypeError("the bank date only moves forward: --days must be 0 or more")
    return value


def open_sandbox(bank_file: Path) -> SandboxConnector:
    """The sandbox connector of a bank file, with the settings the gateway gives it (its [connector] table)."""
    try:
        with bank_file.open("rb") as handle:
            bank = tomllib.load(handle)
    except FileNotFoundError:
        raise ConnectorConfigError(f"no bank file {bank_file}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConnectorConfigError(f"{bank_file} is not valid TOML: {exc}") from None
    settings = bank.get("connector")
    if not isinstance(settings, dict) or settings.get("type") != "sandbox":
        raise ConnectorConfigError(f"{bank_file} does not describe a sandbox bank ([connector] type = \"sandbox\")")
    return SandboxConnector(bank_id=bank_file.stem, settings={"bank_file": str(bank_file.resolve()), **settings})


def run_advance(args: argparse.Namespace) -> int:
    sandbox = open_sandbox(args.bank_file)
    report = sandbox.advance(days=args.days, to=args.to)
    print(f"bank date {report.from_date} -> {report.to_date}")
    if report.closed_days:
        days = ", ".join(d.isoformat() for d in report.closed_days)
        print(f"closed {len(report.closed_days)} business day(s): {days}")
        print(f"  {report.statements} camt.053 statement(s) written to the mailbox")
    else:
        print("no business day ended: no statements")
    if report.bookings or report.rejections:
        print(f"future-dated payments: {report.bookings} booked, {report.rejections} rejected (pain.002)")
    return 0


def run_accounts(args: argparse.Namespace) -> int:
    sandbox = open_sandbox(args.bank_file)
    today, accounts = sandbox.bank_date(), sandbox.accounts()
    if args.json:
        write_json({"bank_date": today.isoformat(), "accounts": [
            {"iban": a.iban, "currency": a.currency, "balance": str(a.balance), "closed": a.closed,
             "name": a.name, "owner": a.owner, "bic": a.bic, "statement_sequence": a.statement_sequence,
             "last_statement_date": a.last_statement_date.isoformat() if a.last_statement_date else None}
            for a in accounts]})
        return 0
    print(f"{sandbox.config.state}: bank date {today} ({today:%A})")
    print(f"{'IBAN':<24} {'CCY':<3} {'BALANCE':>14}  {'STATUS':<6} {'STMT':>4} {'LAST STMT':<10}  NAME")
    for a in accounts:
        last = a.last_statement_date.isoformat() if a.last_statement_date else "-"
        print(f"{a.iban:<24} {a.currency:<3} {a.balance:>14}  {'closed' if a.closed else 'open':<6} "
              f"{a.statement_sequence:>4} {last:<10}  {a.name or ''}")
    return 0


def run_messages(args: argparse.Namespace) -> int:
    sandbox = open_sandbox(args.bank_file)
    if args.show:
        message = next((m for m in sandbox.messages() if m.id == args.show), None)
        if message is None:
            raise SandboxError(f"the sandbox has no message {args.show!r}", code="sandbox_unknown_message")
        print(message.body.decode("utf-8"))
        return 0
    found = [m for m in sandbox.messages(include_taken=not args.pending)
             if args.family is None or m.family == args.family]
    if args.json:
        write_json([{"id": m.id, "type": m.message, "account": m.iban, "bank_date": m.bank_date.isoformat(),
                     "created_at": m.created_at.isoformat(),
                     "taken_at": m.taken_at.isoformat() if m.taken_at else None} for m in found])
        return 0
    print(f"{'ID':<25} {'TYPE':<16} {'ACCOUNT':<24} {'BANK DATE':<10}  TAKEN")
    for m in found:
        taken = m.taken_at.strftime("%Y-%m-%d %H:%M:%S") if m.taken_at else "no"
        print(f"{m.id:<25} {m.message:<16} {m.iban or '-':<24} {m.bank_date}  {taken}")
    print(f"{len(found)} message(s)")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m gateway.cli.sandbox``: this command alone, with ``gateway``'s errors and exit codes
    (it imports nothing of the web service, so it works where the service cannot start)."""
    parser = argparse.ArgumentParser(prog="gateway")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["sandbox", *(sys.argv[1:] if argv is None else argv)])
    try:
        return int(args.run(args) or 0)
    except GatewayError as exc:
        print(f"gateway: {exc.code}: {exc.message}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `... messages | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
