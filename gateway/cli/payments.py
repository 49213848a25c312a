"""gateway payments: the operator's view of payments, held files and reconciliation.

    gateway payments list [--status held] [--client ID]
    gateway payments show PAYMENT_ID                 # with its history and delivery attempts
    gateway payments release PAYMENT_ID --reason "checked with the customer"
    gateway payments reject PAYMENT_ID --reason "counterparty on a sanctions list"
    gateway payments exceptions [--all]              # reconciliation exceptions
    gateway payments wallet-account CLIENT ROLE IBAN --name N [--currency EUR] [--bic BIC]

release/reject decide the whole file a held payment belongs to (one request, one decision)."""

from __future__ import annotations

import argparse
import json
import os
import sys

from sqlalchemy import select

from gateway.config import Settings
from gateway.persistence.payment_models import (
    Payment,
    PaymentStatus,
    ReconciliationException,
    status_is,
)
from gateway.persistence.repositories.outbox import Outbox
from gateway.persistence.repositories.payments import ClientAccounts, Payments
from gateway.persistence.types import utcnow
from gateway.services import review
from gateway.wiring import open_database


def add_parser(sub) -> None:
    parser = sub.add_parser("payments", help="payments, held files, reconciliation exceptions (operator)",
                            description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", metavar="FILE", help="TOML settings file")
    parser.add_argument("--operator", default=os.environ.get("USER", "operator"),
                        help="your name in the audit log (default: $USER)")
    actions = parser.add_subparsers(dest="payments_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="payments, newest last")
    listing.add_argument("--status", choices=[s.value for s in PaymentStatus])
    listing.add_argument("--client", metavar="CLIENT_ID")
    show = actions.add_parser("show", help="one payment with its history and delivery attempts")
    show.add_argument("payment_id")
    for name in ("release", "reject"):
        decide = actions.add_parser(name, help=f"{name} a held payment's file")
        decide.add_argument("payment_id")
        decide.add_argument("--reason", required=True)
    exceptions = actions.add_parser("exceptions", help="reconciliation exceptions")
    exceptions.add_argument("--all", action="store_true", help="resolved ones too")
    account = actions.add_parser("wallet-account", help="set a wallet provider's settlement/collection account")
    account.add_argument("client_id")
    account.add_argument("role", choices=("settlement", "collection"))
    account.add_argument("iban")
    account.add_argument("--name", required=True)
    account.add_argument("--currency", default="EUR")
    account.add_argument("--bic")
    parser.set_defaults(run=run)


def run(args) -> int:
    database = open_database(Settings.load(args.config))
    try:
        with database.transaction() as session:
            out = ACTIONS[args.payments_command](session, args)
        json.dump(out, sys.stdout, indent=2, default=str)
        print()
        return 0
    finally:
        database.dispose()


def _list(session, args):
    query = select(Payment).order_by(Payment.created_at, Payment.id)
    if args.status:
        query = query.where(status_is(PaymentStatus(args.status)))
    if args.client:
        query = query.where(Payment.client_id == args.client)
    return [_row(p) for p in session.scalars(query.limit(1000))]


def _show(session, args):
    repo = Payments(session)
    payment = repo.get(args.payment_id)
    message = Outbox(session).get(payment.outgoing_message_id)
    return {**_row(payment), "history": [{"at": e.at, "status": e.status, "reason_code": e.reason_code,
                                          "reason": e.reason_text, "source": e.source}
                                         for e in repo.history(payment.id)],
            "file": {"id": message.id, "message_id": message.message_id, "status": message.status.value,
                     "hold_reasons": message.hold_reasons, "attempts": message.attempts,
                     "last_error": message.last_error},
            "delivery_attempts": [{"at": a.at, "worker": a.worker, "outcome": a.outcome, "detail": a.detail}
                                  for a in Outbox(session).attempts(message.id)]}


def _decide(session, args):
    decide = review.release if args.payments_command == "release" else review.reject
    message = decide(session, utcnow, args.payment_id, operator=args.operator, reason=args.reason)
    return {"file": message.id, "message_id": message.message_id, "status": message.status.value}


def _exceptions(session, args):
    query = select(ReconciliationException).order_by(ReconciliationException.created_at)
    if not args.all:
        query = query.where(ReconciliationException.resolved_at.is_(None))
    return [{"id": r.id, "kind": r.kind, "account": r.account_iban, "payment_id": r.payment_id,
             "reason": r.reason, "details": r.details, "created_at": r.created_at} for r in session.scalars(query)]


def _wallet_account(session, args):
    row = ClientAccounts(session).set(client_id=args.client_id, role=args.role, iban=args.iban.replace(" ", ""),
                                      currency=args.currency, name=args.name, bic=args.bic,
                                      actor=f"operator:{args.operator}")
    return {"client_id": row.client_id, "role": row.role.value, "iban": row.iban, "currency": row.currency}


def _row(p: Payment) -> dict:
    return {"id": p.id, "client_id": p.client_id, "operation": p.operation, "status": p.status.value,
            "reason_code": p.reason_code, "reason": p.reason_text, "amount": str(p.amount), "currency": p.currency,
            "end_to_end_id": p.end_to_end_id, "debtor_iban": p.debtor_iban, "creditor_iban": p.creditor_iban,
            "bank": p.bank_id, "created_at": p.created_at}


ACTIONS = {"list": _list, "show": _show, "release": _decide, "reject": _decide, "exceptions": _exceptions,
           "wallet-account": _wallet_account}
