"""The indexes of ``payments`` serve their queries: a pain.002 finds its payments through their file."""

from __future__ import annotations

from sqlalchemy import event

from gateway.services import statuses
from tests.payments.conftest import (
    MERCHANT,
    assert_found_through,
    database_of,
    post_operation,
    wallet_token,
    work,
)


def pay(client, headers, amount: str) -> dict:
    answer = post_operation(client, headers, "pay", {"amount": amount, "currency": "EUR",
                                                     "merchant": {"name": "Shop", "iban": MERCHANT}})
    assert answer.status_code == 201, answer.json
    return answer.json["payments"][0]


def test_a_status_report_finds_its_payments_through_their_file(client, wallet, app, clock, monkeypatch):
    """The pain.002's payments by its original MsgId: the file from (bank, MsgId), its payments from
    ix_payments_message; no (bank, MsgId) index on payments, and no table read whole."""
    headers = wallet_token(client, wallet)
    paid = [pay(client, headers, f"{number}.00") for number in (1, 2)]
    database = database_of(app)
    seen: list[tuple[str, object]] = []
    applying = []
    apply = statuses.apply

    def applied(*args, **kwargs):
        applying.append(True)
        try:
            return apply(*args, **kwargs)
        finally:
            applying.pop()

    def remember(_conn, _cursor, statement, parameters, _context, _many):
        if applying and statement.lstrip().startswith("SELECT") and "FROM payments" in statement:
            seen.append((statement, parameters))

    monkeypatch.setattr(statuses, "apply", applied)
    event.listen(database.engine, "before_cursor_execute", remember)
    try:
        work(app, clock)  # delivers both files; the sandbox bank answers each with a pain.002
    finally:
        event.remove(database.engine, "before_cursor_execute", remember)
    for payment in paid:  # the reports were applied
        assert client.get(f"/payments/{payment['id']}", headers=headers).json["status"] == "booked"
    assert seen, "no pain.002 was applied"
    assert_found_through(database, "ix_payments_message", "payments", seen)
