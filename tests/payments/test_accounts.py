"""The account-information side: after the sandbox bank closes its days (camt.053 per account),
``GET /accounts/{id}/transactions`` and ``/balances`` under alice's ``accounts`` consent show the
booked entries and the closing balance computed here by hand.

Alice's current account NL91ABNA0417164300 opens at 2500.00 (config/banks/sandbox.toml).  She
pays 40.00 and 25.50 on Monday 2026-11-23 and 10.00 dated Tuesday 2026-11-24, so:
Monday's closing balance 2500.00 - 40.00 - 25.50 = 2434.50, Tuesday's 2434.50 - 10.00 = 2424.50."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from gateway.persistence.payment_models import StoredEntry
from tests.payments.conftest import (
    ALICE_NL,
    MERCHANT,
    alice_account_ids,
    assert_read_in_order_from,
    consent_token,
    database_of,
    post_operation,
    wallet_token,
    work,
)

ALICE_DE = "DE89370400440532013000"
DAYS = 3 * 24 * 60  # consents that outlive the test's days


def transfer(client, headers, amount: str, e2e: str, day: str | None = None) -> dict:
    body = {"amount": amount, "currency": "EUR", "end_to_end_id": e2e,
            "creditor": {"name": "Bakkerij de Zon", "iban": MERCHANT}}
    if day:
        body["requested_execution_date"] = day
    answer = post_operation(client, headers, "transfer", body)
    assert answer.status_code == 201, answer.json
    return answer.json["payments"][0]


@pytest.fixture
def booked_days(client, wallet, app, clock):
    """Three payments from alice's NL account over two bank days, both days closed and collected."""
    payments_headers, _ = consent_token(client, app, wallet, clock, minutes=DAYS)
    paid = [transfer(client, payments_headers, "40.00", "ALICE-1"),
            transfer(client, payments_headers, "25.50", "ALICE-2"),
            transfer(client, payments_headers, "10.00", "ALICE-3", day="2026-11-24")]
    work(app, clock)
    sandbox = app.extensions["gateway.runtime"].connector("sandbox")
    assert sandbox.advance(days=1).statements > 0   # closes Monday, books ALICE-3 on Tuesday
    assert sandbox.advance(days=1).statements > 0   # closes Tuesday
    work(app, clock)
    headers, _ = consent_token(client, app, wallet, clock, kind="accounts", ibans=(ALICE_NL,), minutes=DAYS)
    (account_id,) = alice_account_ids(app, [ALICE_NL])
    return {"headers": headers, "account": account_id, "paid": {p["end_to_end_id"]: p for p in paid},
            "payments_headers": payments_headers}


def test_transactions_are_the_booked_entries(client, booked_days):
    answer = client.get(f"/accounts/{booked_days['account']}/transactions", headers=booked_days["headers"])
    assert answer.status_code == 200, answer.json
    assert answer.json["account"] == {"id": booked_days["account"], "iban": ALICE_NL, "currency": "EUR"}
    rows = [(t["booking_date"], t["end_to_end_id"], t["amount"], t["currency"], t["credit_debit"])
            for t in answer.json["transactions"]]
    assert sorted(rows) == [("2026-11-23", "ALICE-1", "40.00", "EUR", "DBIT"),
                            ("2026-11-23", "ALICE-2", "25.50", "EUR", "DBIT"),
                            ("2026-11-24", "ALICE-3", "10.00", "EUR", "DBIT")]
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)  # oldest first
    assert {t["end_to_end_id"]: t["payment_id"] for t in answer.json["transactions"]} == \
        {e2e: p["id"] for e2e, p in booked_days["paid"].items()}  # each entry reconciled to its payment
    assert answer.json["next"] is None


def test_the_payments_are_booked(client, booked_days):
    for payment in booked_days["paid"].values():
        seen = client.get(f"/payments/{payment['id']}", headers=booked_days["payments_headers"]).json
        assert seen["status"] == "booked", seen


def test_the_balance_is_the_last_closing_balance(client, booked_days):
    answer = client.get(f"/accounts/{booked_days['account']}/balances", headers=booked_days["headers"])
    assert answer.status_code == 200, answer.json
    (balance,) = answer.json["balances"]
    assert (balance["type"], balance["amount"], balance["currency"], balance["credit_debit"], balance["date"]) == \
        ("CLBD", "2424.50", "EUR", "CRDT", "2026-11-24")
    assert Decimal(balance["amount"]) == Decimal("2500.00") - Decimal("40.00") - Decimal("25.50") - Decimal("10.00")


def test_date_filters(client, booked_days):
    url = f"/accounts/{booked_days['account']}/transactions"
    monday = client.get(url + "?from=2026-11-23&to=2026-11-23", headers=booked_days["headers"]).json
    assert sorted(t["end_to_end_id"] for t in monday["transactions"]) == ["ALICE-1", "ALICE-2"]
    tuesday = client.get(url + "?from=2026-11-24", headers=booked_days["headers"]).json
    assert [t["end_to_end_id"] for t in tuesday["transactions"]] == ["ALICE-3"]
    until_monday = client.get(url + "?to=2026-11-23", headers=booked_days["headers"]).json
    assert len(until_monday["transactions"]) == 2
    later = client.get(url + "?from=2026-11-25", headers=booked_days["headers"]).json
    assert later["transactions"] == [] and later["next"] is None
    for bad in ("?from=23-11-2026", "?to=2026-02-30", "?after=nonsense", "?limit=0", "?limit=501", "?limit=ten",
                "?from=2026-11-24&to=2026-11-23", "?limit=2&limit=3", "?from=2026-11-23&from=2026-11-24"):
        answer = client.get(url + bad, headers=booked_days["headers"])
        assert answer.status_code == 400, (bad, answer.json)
        assert answer.json["code"] == "invalid_parameter"


def test_pagination(client, booked_days):
    url = f"/accounts/{booked_days['account']}/transactions"
    seen, cursor, pages = [], None, 0
    while True:
        page = client.get(url + "?limit=1" + (f"&after={cursor}" if cursor else ""), headers=booked_days["headers"])
        assert page.status_code == 200, page.json
        assert len(page.json["transactions"]) <= 1
        seen += [t["end_to_end_id"] for t in page.json["transactions"]]
        pages += 1
        cursor = page.json["next"]
        if cursor is None:
            break
        assert pages < 10
    assert pages == 3
    assert sorted(seen[:2]) == ["ALICE-1", "ALICE-2"] and seen[2] == "ALICE-3"  # each once, in date order
    two = client.get(url + "?limit=2", headers=booked_days["headers"]).json
    assert len(two["transactions"]) == 2 and two["next"] is not None
    rest = client.get(url + f"?limit=2&after={two['next']}", headers=booked_days["headers"]).json
    assert [t["end_to_end_id"] for t in rest["transactions"]] == ["ALICE-3"] and rest["next"] is None


def test_entries_without_a_booking_date_are_placed_by_value_date_or_last(client, app, booked_days):
    """camt.053 makes BookgDt optional, and a bank may give only ValDt (or neither).  The sandbox
    always gives both, so the stored entries are changed here to what such a bank's would be:
    ALICE-3 (booked Tuesday) keeps only its value date, ALICE-1 (Monday) has no date at all."""
    with database_of(app).transaction() as session:
        entries = {e.end_to_end_id: e for e in session.scalars(select(StoredEntry).where(
            StoredEntry.end_to_end_id.in_(["ALICE-1", "ALICE-3"])))}
        assert {e.booking_date for e in entries.values()} == {date(2026, 11, 23), date(2026, 11, 24)}
        entries["ALICE-3"].booking_date = None
        entries["ALICE-1"].booking_date = entries["ALICE-1"].value_date = None
    url = f"/accounts/{booked_days['account']}/transactions"
    seen, cursor = [], None
    for _ in range(5):
        page = client.get(url + "?limit=1" + (f"&after={cursor}" if cursor else ""), headers=booked_days["headers"])
        assert page.status_code == 200, page.json
        seen += [t["end_to_end_id"] for t in page.json["transactions"]]
        cursor = page.json["next"]
        if cursor is None:
            break
    assert seen == ["ALICE-2", "ALICE-3", "ALICE-1"]  # Monday, Tuesday (value date), then the undated one
    tuesday = client.get(url + "?from=2026-11-24", headers=booked_days["headers"]).json
    assert [t["end_to_end_id"] for t in tuesday["transactions"]] == ["ALICE-3"]


def test_a_page_of_transactions_is_read_in_order_from_the_index(client, app, booked_days):
    """Each page must come from ix_entries_account_day in order: a plan that sorts reads and sorts
    every entry of the account for every page.  The endpoint's own statements are explained with
    their parameters (sorting made prohibitive on PostgreSQL, whose planner prefers to sort three rows)."""
    database = database_of(app)
    seen: list[tuple[str, object]] = []

    def remember(_conn, _cursor, statement, parameters, _context, _many):
        if "FROM entries JOIN statements" in statement:
            seen.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", remember)
    try:
        url = f"/accounts/{booked_days['account']}/transactions?limit=1"
        first = client.get(url + "&from=2026-11-01", headers=booked_days["headers"]).json
        client.get(url + f"&after={first['next']}", headers=booked_days["headers"])
    finally:
        event.remove(database.engine, "before_cursor_execute", remember)
    assert len(seen) == 2
    assert_read_in_order_from(database, "ix_entries_account_day", seen)


def test_accounts_outside_the_consent_are_not_found(client, wallet, app, clock, booked_days):
    (german,) = alice_account_ids(app, [ALICE_DE])
    for path in (f"/accounts/{german}/transactions", f"/accounts/{german}/balances", "/accounts/nope/balances"):
        answer = client.get(path, headers=booked_days["headers"])
        assert answer.status_code == 404 and answer.json["code"] == "account_not_found"
    for headers in (booked_days["payments_headers"], wallet_token(client, wallet)):
        answer = client.get(f"/accounts/{booked_days['account']}/balances", headers=headers)
        assert answer.status_code == 403


def test_permissions_of_the_consent(client, wallet, app, clock, booked_days):
    headers, _ = consent_token(client, app, wallet, clock, kind="accounts", permissions=("balances",))
    account = booked_days["account"]
    assert client.get(f"/accounts/{account}/balances", headers=headers).status_code == 200
    refused = client.get(f"/accounts/{account}/transactions", headers=headers)
    assert refused.status_code == 403 and refused.json["code"] == "insufficient_scope"


def test_a_clean_day_leaves_no_reconciliation_exception(client, wallet, booked_days):
    answer = client.get("/reconciliation/exceptions", headers=wallet_token(client, wallet))
    assert answer.status_code == 200
    assert answer.json["exceptions"] == []


def test_the_exceptions_list_refuses_what_it_cannot_use(client, wallet, booked_days):
    headers = wallet_token(client, wallet)
    for good in ("?open=true", "?open=false"):
        assert client.get("/reconciliation/exceptions" + good, headers=headers).status_code == 200
    for bad in ("?open=maybe", "?open=0", "?open=true&open=false"):
        answer = client.get("/reconciliation/exceptions" + bad, headers=headers)
        assert answer.status_code == 400 and answer.json["code"] == "invalid_parameter", (bad, answer.json)


def test_a_bank_that_gives_no_acctsvcrref_books_each_payment_once(client, wallet, app, clock, monkeypatch):
    """Without AcctSvcrRef a camt.054 and the camt.053 that repeats its bookings share nothing but
    the booking itself.  The sandbox's messages are stripped of every AcctSvcrRef on collection (an
    optional element in both) to be what such a bank sends: each payment is booked once, nothing is
    a 'duplicate booking', and the statement's entries are alice's transactions."""
    sandbox = app.extensions["gateway.runtime"].connector("sandbox")
    collect = sandbox.collect
    strip = re.compile(rb"<AcctSvcrRef>[^<]*</AcctSvcrRef>")
    monkeypatch.setattr(sandbox, "collect", lambda: [replace(m, body=strip.sub(b"", m.body)) for m in collect()])
    payments_headers, _ = consent_token(client, app, wallet, clock, minutes=DAYS)
    paid = [transfer(client, payments_headers, "40.00", "NOREF-1"), transfer(client, payments_headers, "25.50",
                                                                             "NOREF-2")]
    work(app, clock)  # pain.002s and camt.054s: booked by the notifications
    assert sandbox.advance(days=1).statements > 0
    work(app, clock)  # Monday's camt.053 repeats both bookings

    wallet_headers = wallet_token(client, wallet)
    assert client.get("/reconciliation/exceptions", headers=wallet_headers).json["exceptions"] == []
    for payment in paid:
        seen = client.get(f"/payments/{payment['id']}", headers=wallet_headers).json
        assert [h["status"] for h in seen["history"]].count("booked") == 1 and seen["status"] == "booked"
    headers, _ = consent_token(client, app, wallet, clock, kind="accounts", ibans=(ALICE_NL,), minutes=DAYS)
    (account,) = alice_account_ids(app, [ALICE_NL])
    listed = client.get(f"/accounts/{account}/transactions", headers=headers).json["transactions"]
    assert sorted((t["end_to_end_id"], t["payment_id"]) for t in listed) == \
        [("NOREF-1", paid[0]["id"]), ("NOREF-2", paid[1]["id"])]
    assert len({t["statement_id"] for t in listed}) == 1  # the camt.053's, not the notifications'
