"""gateway holders create|add-account: enrol account holders and the bank accounts they hold.

``create`` asks for the password twice at the terminal (or reads one line from
standard input with --password-stdin, for scripts) and stores it with scrypt;
it then prints a new TOTP secret and its otpauth:// URI for the holder's
authenticator app.  The secret is shown here once; the gateway needs it to
check codes, so it keeps it (see gateway/persistence/models.py), but never
prints it again.

``add-account`` enrols an account for a holder; the IBAN (and BIC, if given)
must pass their check digits and registry format, the currency must be an
ISO 4217 code.  The checks are the admin API's too (gateway/consent/registration.py).
"""

from __future__ import annotations

import argparse
import getpass
import sys

import pyotp

from gateway.cli.clients import (
    add_database_option,
    load_settings,
    open_database,
    operator,
    standalone,
)
from gateway.consent.registration import check_account, check_password, check_username
from gateway.domain.errors import InvalidInput
from gateway.persistence.errors import NotFound
from gateway.persistence.repositories import BankAccounts, Holders

ISSUER = "ISO 20022 Gateway"


def totp_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def code_command(secret: str) -> str:
    """The one-liner that prints the current code (for development and the demo)."""
    return f"python -c \"import pyotp; print(pyotp.TOTP('{secret}').now())\""


def add_parser(sub) -> None:
    parser = sub.add_parser("holders", help="enrol account holders and their bank accounts", description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="holders_command", required=True, metavar="ACTION")

    create = commands.add_parser("create", help="enrol an account holder (password + a new TOTP secret)")
    create.add_argument("--username", required=True)
    create.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of standard input instead of prompting")
    add_database_option(create)
    create.set_defaults(run=run_create)

    account = commands.add_parser("add-account", help="enrol a bank account held by an account holder")
    account.add_argument("--username", required=True)
    account.add_argument("--iban", required=True, help="spaces allowed, e.g. 'NL91 ABNA 0417 1643 00'")
    account.add_argument("--currency", required=True, help="ISO 4217 code, e.g. EUR")
    account.add_argument("--name", required=True, help="what the holder sees on the consent page")
    account.add_argument("--bic", help="the bank's BIC (optional)")
    add_database_option(account)
    account.set_defaults(run=run_add_account)


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line.removesuffix("\n")
    if not sys.stdin.isatty():
        raise InvalidInput("no terminal to ask for the password: pass it on standard input with --password-stdin",
                           code="invalid_request")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise InvalidInput("the two passwords differ", code="invalid_request")
    return first


def run_create(args: argparse.Namespace) -> int:
    username = check_username(args.username)
    settings = load_settings(args)  # a bad setting is reported before the password is asked for
    password = check_password(read_password(args.password_stdin))
    secret = pyotp.random_base32()
    database = open_database(settings)
    try:
        with database.transaction() as session:
            Holders(session).create(username=username, password=password, totp_secret=secret, actor=operator())
    finally:
        database.dispose()
    print(f"enrolled account holder {username}")
    print(f"  TOTP secret: {secret}")
    print(f"  otpauth URI: {totp_uri(secret, username)}")
    print("  (shown once: add it to the holder's authenticator app now, e.g. as a QR code of the URI)")
    print(f"  current code, for development: {code_command(secret)}")
    print(f"  add accounts with: gateway holders add-account --username {username} --iban IBAN --currency EUR "
          "--name NAME")
    return 0


def run_add_account(args: argparse.Namespace) -> int:
    account = check_account(args.iban, args.currency, args.name, args.bic)
    iban, currency, name = account.iban, account.currency, account.name
    database = open_database(load_settings(args))
    try:
        with database.transaction() as session:
            holder = Holders(session).find_by_username(args.username)
            if holder is None:
                raise NotFound(f"no account holder {args.username!r}; enrol one with `gateway holders create`",
                               code="holder_not_found")
            account_id = BankAccounts(session).create(holder_id=holder.id, iban=iban, currency=currency, name=name,
                                                      bic=account.bic, actor=operator()).id
    finally:
        database.dispose()
    print(f"enrolled {iban} ({currency}, {name!r}) for {args.username}: account id {account_id}")
    return 0


def main(argv: list[str] | None = None) -> int:
    return standalone(add_parser, argv, "holders")


if __name__ == "__main__":
    sys.exit(main())
