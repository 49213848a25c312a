"""``GET /payments``: the client's payments, oldest first, one page at a time; every payment exactly
once across the pages, whatever the ids look like; the status filter."""

from __future__ import annotations

from tests.payments.conftest import (
    assert_read_in_order_from,
    database_of,
    page_reads,
    pay,
    statements_run,
    wallet_token,
    work,
)


def test_pages_hold_every_payment_once_oldest_first(client, wallet, app, clock):
    headers = wallet_token(client, wallet)
    made = []
    for number in range(1, 8):
        made.append(pay(client, headers, f"{number}.00"))
        clock.advance(seconds=1)
    seen, cursor = [], None
    for _ in range(10):
        page = client.get("/payments?limit=2" + (f"&after={cursor}" if cursor else ""), headers=headers)
        assert page.status_code == 200, page.json
        assert len(page.json["payments"]) <= 2
        seen += [p["id"] for p in page.json["payments"]]
        cursor = page.json["next"]
        if cursor is None:
            break
    assert seen == [p["id"] for p in made]  # created one second apart: this order, each once

    whole = client.get("/payments?limit=7", headers=headers).json
    assert [p["id"] for p in whole["payments"]] == seen and whole["next"] is None


def test_the_status_filter(client, wallet, app, clock):
    headers = wallet_token(client, wallet)
    first = pay(client, headers, "1.00")
    work(app, clock)
    second = pay(client, headers, "2.00")
    queued = client.get("/payments?status=queued", headers=headers).json["payments"]
    booked = client.get("/payments?status=booked", headers=headers).json["payments"]
    assert [p["id"] for p in queued] == [second["id"]]
    assert [p["id"] for p in booked] == [first["id"]]
    assert client.get("/payments?status=rejected", headers=headers).json == {"payments": [], "next": None}


def test_bad_parameters_are_400(client, wallet):
    headers = wallet_token(client, wallet)
    for query in ("status=lost", "limit=many", "limit=0", "limit=501", "after=%%%"):
        answer = client.get(f"/payments?{query}", headers=headers)
        assert answer.status_code == 400, (query, answer.json)
        assert answer.json["code"] == "invalid_parameter"


def test_a_page_is_read_in_order_from_the_index(client, wallet, app, clock):
    """Each page must come from ix_payments_client_created in order: a plan that sorts reads and sorts
    every payment of the client for every page.  The endpoint's own statements are explained with
    their parameters (sorting made prohibitive on PostgreSQL, whose planner prefers to sort three rows)."""
    headers = wallet_token(client, wallet)
    for number in range(1, 4):
        pay(client, headers, f"{number}.00")
        clock.advance(seconds=1)
    database = database_of(app)
    with statements_run(database, page_reads) as seen:
        first = client.get("/payments?limit=1", headers=headers).json
        client.get(f"/payments?limit=1&after={first['next']}", headers=headers)
    assert len(seen) == 2
    assert_read_in_order_from(database, "ix_payments_client_created", seen)
