"""``Idempotency-Key`` on POSTs that move money: a repeat of the same request gets the first
answer and sends nothing twice; another request under the same key is refused; a request
without a usable key is refused before anything runs; a refused request leaves no key."""

from __future__ import annotations

import json
import uuid

from tests.payments.conftest import MERCHANT, counts, post_operation, wallet_token, work


def pay_body(amount: str = "12.50", **extra) -> dict:
    return {"amount": amount, "currency": "EUR", "merchant": {"name": "Bakkerij de Zon", "iban": MERCHANT},
            **extra}


def test_same_key_and_body_replays_the_first_answer_and_pays_once(client, wallet, app, clock):
    headers = wallet_token(client, wallet)
    key = str(uuid.uuid4())
    first = post_operation(client, headers, "pay", pay_body(), key=key)
    assert first.status_code == 201, first.json
    assert "Idempotent-Replayed" not in first.headers

    clock.advance(minutes=3)
    again = post_operation(client, headers, "pay", pay_body(), key=key)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json  # the very first answer, status "queued" included
    assert again.headers["Location"] == first.headers["Location"] == f"/payments/{first.json['payments'][0]['id']}"
    assert counts(app) == {"payments": 1, "outbox": 1, "idempotency": 1}

    assert work(app, clock).delivered == 1
    replayed_after_send = post_operation(client, headers, "pay", pay_body(), key=key)
    assert replayed_after_send.json == first.json and replayed_after_send.headers["Idempotent-Replayed"] == "true"
    assert work(app, clock).delivered == 0  # nothing new in the outbox
    assert counts(app) == {"payments": 1, "outbox": 1, "idempotency": 1}


def test_the_same_json_written_differently_is_another_request(client, wallet, app):
    """The key guards the bytes that were sent: the same document with other spacing is another
    request (refused), never silently taken as the first one."""
    headers = wallet_token(client, wallet)
    key = str(uuid.uuid4())
    assert post_operation(client, headers, "pay", pay_body(), key=key).status_code == 201
    spaced = client.post("/operations/pay", data=json.dumps(pay_body(), indent=2),
                         headers={**headers, "Idempotency-Key": key, "Content-Type": "application/json"})
    assert spaced.status_code == 422 and spaced.json["code"] == "idempotency_key_reused"


def test_same_key_with_another_body_is_refused_and_changes_nothing(client, wallet, app):
    headers = wallet_token(client, wallet)
    key = str(uuid.uuid4())
    assert post_operation(client, headers, "pay", pay_body("12.50"), key=key).status_code == 201
    before = counts(app)

    other = post_operation(client, headers, "pay", pay_body("12.51"), key=key)
    assert other.status_code == 422
    assert other.json["code"] == "idempotency_key_reused"
    assert other.headers["Content-Type"] == "application/problem+json"
    assert counts(app) == before == {"payments": 1, "outbox": 1, "idempotency": 1}


def test_same_key_on_another_operation_is_another_request(client, wallet, app):
    headers = wallet_token(client, wallet)
    key = str(uuid.uuid4())
    assert post_operation(client, headers, "pay", pay_body(), key=key).status_code == 201
    bulk = {"payments": [{"amount": "12.50", "currency": "EUR",
                          "creditor": {"name": "Bakkerij de Zon", "iban": MERCHANT}}]}
    answer = post_operation(client, headers, "bulk-payout", bulk, key=key)
    assert answer.status_code == 422 and answer.json["code"] == "idempotency_key_reused"


def test_keys_are_per_client(client, wallet, app):
    """Another wallet provider using the same key string has its own request (and answer)."""
    from gateway.persistence.models import ClientKind
    from gateway.persistence.repositories import Clients
    from gateway.persistence.repositories.payments import ClientAccounts
    from tests.payments.conftest import Wallet, database_of

    with database_of(app).transaction() as session:
        other = Clients(session).create(name="Other Wallet", kind=ClientKind.WALLET_PROVIDER,
                                        redirect_uris=["https://other.example/cb"], scopes=["wallet"],
                                        actor="operator:test")
        ClientAccounts(session).set(client_id=other.client.client_id, role="settlement",
                                    iban="NL83ABNA1000000002", currency="EUR", name="Other settlement", bic=None,
                                    actor="operator:test")
    second = Wallet(other.client.client_id, other.secret)
    key = "shared-key-1"
    mine = post_operation(client, wallet_token(client, wallet), "pay", pay_body("1.00"), key=key)
    theirs = post_operation(client, wallet_token(client, second), "pay", pay_body("2.00"), key=key)
    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs.headers
    assert theirs.json["payments"][0]["amount"] == "2.00"
    assert counts(app) == {"payments": 2, "outbox": 2, "idempotency": 2}


def test_missing_key_is_400_and_nothing_runs(client, wallet, app):
    headers = wallet_token(client, wallet)
    answer = client.post("/operations/pay", json=pay_body(), headers=headers)
    assert answer.status_code == 400
    assert answer.json["code"] == "idempotency_key_missing"
    assert counts(app) == {"payments": 0, "outbox": 0, "idempotency": 0}


def test_malformed_keys_are_400(client, wallet, app):
    headers = wallet_token(client, wallet)
    for key in ("", "with space", "x" * 256, "tab\there", "ünïcode"):
        answer = client.post("/operations/pay", json=pay_body(),
                             headers={**headers, "Idempotency-Key": key.encode().decode("latin-1")})
        assert answer.status_code == 400, (key, answer.json)
        assert answer.json["code"] == "idempotency_key_invalid", key
    longest = post_operation(client, headers, "pay", pay_body(), key="k" * 255)
    assert longest.status_code == 201
    assert counts(app) == {"payments": 1, "outbox": 1, "idempotency": 1}


def test_a_refused_request_does_not_store_its_key(client, wallet, app):
    headers = wallet_token(client, wallet)
    key = str(uuid.uuid4())
    refused = post_operation(client, headers, "pay", pay_body("-5"), key=key)
    assert refused.status_code == 422 and refused.json["code"] == "invalid_operation"
    assert counts(app) == {"payments": 0, "outbox": 0, "idempotency": 0}

    fixed = post_operation(client, headers, "pay", pay_body("5.00"), key=key)
    assert fixed.status_code == 201, fixed.json
    assert "Idempotent-Replayed" not in fixed.headers
    assert counts(app) == {"payments": 1, "outbox": 1, "idempotency": 1}


def test_two_requests_with_one_key_at_the_same_time_pay_once(app, wallet, clock, monkeypatch, spec):
    """Both requests look the key up before either stores it (a barrier holds them there); one
    commits its payment, the other is refused (409 concurrent_update) and, repeated, replays."""
    import threading

    from gateway.api import payments as payments_api
    from tests.api.conftest import checked_client

    real = payments_api.initiate
    both_looked = threading.Barrier(2, timeout=30)

    def initiate_after_both_looked(*args, **kwargs):
        both_looked.wait()
        return real(*args, **kwargs)

    monkeypatch.setattr(payments_api, "initiate", initiate_after_both_looked)
    clients = [checked_client(app, spec) for _ in range(2)]
    http = [next(c) for c in clients]
    headers = wallet_token(http[0], wallet)
    key = str(uuid.uuid4())
    answers = [None, None]

    def send(number):
        answers[number] = post_operation(http[number], headers, "pay", pay_body(), key=key)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    codes = sorted(a.status_code for a in answers)
    assert codes == [201, 409], [a.get_json() for a in answers]
    loser = next(a for a in answers if a.status_code == 409)
    winner = next(a for a in answers if a.status_code == 201)
    assert loser.json["code"] == "concurrent_update"
    assert counts(app) == {"payments": 1, "outbox": 1, "idempotency": 1}

    monkeypatch.setattr(payments_api, "initiate", real)
    again = post_operation(http[0], headers, "pay", pay_body(), key=key)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json == winner.json
    for client in clients:
        next(client, None)  # the OpenAPI check of every response above
