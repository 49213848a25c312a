"""Operations that debit the holder's bank account (transfer, top-up) run under a token bound to
the holder's authorised ``payments`` consent: its accounts and its limits decide; what the
holder did not authorise is refused (403) and nothing is stored."""

from __future__ import annotations

from gateway.persistence.models import ClientKind
from gateway.persistence.repositories import Clients
from gateway.persistence.repositories.payments import ClientAccounts
from tests.payments.conftest import (
    ALICE_NL,
    COLLECTION,
    MERCHANT,
    Wallet,
    consent_token,
    counts,
    database_of,
    post_operation,
    wallet_token,
)

ALICE_DE = "DE89370400440532013000"


def transfer(amount: str, **extra) -> dict:
    return {"amount": amount, "currency": "EUR", "creditor": {"name": "Bob Landlord", "iban": MERCHANT},
            "remittance": {"unstructured": "rent"}, **extra}


def used(client, wallet, consent_id) -> dict:
    answer = client.get(f"/consents/{consent_id}", headers=wallet_token(client, wallet, "consents"))
    assert answer.status_code == 200
    return {"status": answer.json["status"], **answer.json["used"]}


def test_transfer_and_top_up_debit_the_consented_account(client, wallet, app, clock):
    headers, consent_id = consent_token(client, app, wallet, clock)
    sent = post_operation(client, headers, "transfer", transfer("40.00"))
    assert sent.status_code == 201, sent.json
    (payment,) = sent.json["payments"]
    assert (payment["operation"], payment["status"], payment["amount"]) == ("transfer", "queued", "40.00")
    assert payment["debtor"]["iban"] == ALICE_NL and payment["creditor"]["iban"] == MERCHANT

    topped = post_operation(client, headers, "top-up", {"amount": "25.50", "currency": "EUR"})
    assert topped.status_code == 201, topped.json
    (top_up,) = topped.json["payments"]
    assert top_up["debtor"]["iban"] == ALICE_NL and top_up["creditor"]["iban"] == COLLECTION
    # 40.00 + 25.50, two payments of the consent's 20
    assert used(client, wallet, consent_id) == {"status": "authorised", "amount": "65.50", "count": 2}

    seen = client.get(f"/payments/{top_up['id']}", headers=headers)
    assert seen.status_code == 200 and seen.json["status"] == "queued"


def test_debtor_iban_picks_one_of_several_consented_accounts(client, wallet, app, clock):
    headers, _ = consent_token(client, app, wallet, clock, ibans=(ALICE_NL, ALICE_DE))
    unsaid = post_operation(client, headers, "transfer", transfer("1.00"))
    assert unsaid.status_code == 422 and unsaid.json["code"] == "operation_refused"
    assert unsaid.json["findings"][0]["field"] == "debtor_iban"

    picked = post_operation(client, headers, "transfer", transfer("1.00", debtor_iban=ALICE_DE))
    assert picked.status_code == 201, picked.json
    assert picked.json["payments"][0]["debtor"]["iban"] == ALICE_DE

    outside = post_operation(client, headers, "transfer", transfer("1.00", debtor_iban="GB29NWBK60161331926819"))
    assert outside.status_code == 422 and outside.json["findings"][0]["field"] == "debtor_iban"
    assert counts(app)["payments"] == 1


def test_over_the_per_payment_limit_is_refused_and_nothing_stored(client, wallet, app, clock):
    headers, consent_id = consent_token(client, app, wallet, clock,
                                        limits={"currency": "EUR", "per_payment": "100.00"})
    over = post_operation(client, headers, "transfer", transfer("100.01"))
    assert over.status_code == 403, over.json
    assert over.json["code"] == "consent_limit_exceeded"
    assert counts(app) == {"payments": 0, "outbox": 0, "idempotency": 0}
    assert used(client, wallet, consent_id) == {"status": "authorised", "amount": "0.00", "count": 0}
    assert post_operation(client, headers, "transfer", transfer("100.00")).status_code == 201  # the limit itself


def test_the_total_limit(client, wallet, app, clock):
    headers, consent_id = consent_token(client, app, wallet, clock, limits={"currency": "EUR", "total": "100.00"})
    assert post_operation(client, headers, "transfer", transfer("60.00")).status_code == 201
    over = post_operation(client, headers, "top-up", {"amount": "40.01", "currency": "EUR"})
    assert over.status_code == 403 and over.json["code"] == "consent_limit_exceeded"
    assert counts(app) == {"payments": 1, "outbox": 1, "idempotency": 1}
    assert used(client, wallet, consent_id) == {"status": "authorised", "amount": "60.00", "count": 1}

    assert post_operation(client, headers, "top-up", {"amount": "40.00", "currency": "EUR"}).status_code == 201
    assert used(client, wallet, consent_id) == {"status": "consumed", "amount": "100.00", "count": 2}
    spent = post_operation(client, headers, "transfer", transfer("0.01"))
    assert spent.status_code == 403 and spent.json["code"] == "consent_not_active"
    assert counts(app)["payments"] == 2


def test_the_count_limit(client, wallet, app, clock):
    headers, consent_id = consent_token(client, app, wallet, clock, limits={"currency": "EUR", "count": 2})
    assert post_operation(client, headers, "transfer", transfer("1.00")).status_code == 201
    assert post_operation(client, headers, "transfer", transfer("2.00")).status_code == 201
    assert used(client, wallet, consent_id) == {"status": "consumed", "amount": "3.00", "count": 2}
    third = post_operation(client, headers, "transfer", transfer("3.00"))
    assert third.status_code == 403 and third.json["code"] == "consent_not_active"
    assert counts(app)["payments"] == 2


def test_a_currency_other_than_the_consents(client, wallet, app, clock):
    headers, _ = consent_token(client, app, wallet, clock, limits={"currency": "EUR", "per_payment": "10.00"})
    answer = post_operation(client, headers, "transfer", {**transfer("5.00"), "currency": "GBP"})
    assert answer.status_code == 403 and answer.json["code"] == "consent_currency_mismatch"
    assert counts(app) == {"payments": 0, "outbox": 0, "idempotency": 0}


def test_scopes_keep_the_operations_apart(client, wallet, app, clock):
    wallet_headers = wallet_token(client, wallet)
    refused = post_operation(client, wallet_headers, "transfer", transfer("1.00"))
    assert refused.status_code == 403 and refused.json["code"] == "insufficient_scope"
    refused = post_operation(client, wallet_headers, "top-up", {"amount": "1.00", "currency": "EUR"})
    assert refused.status_code == 403 and refused.json["code"] == "insufficient_scope"

    consent_headers, _ = consent_token(client, app, wallet, clock)
    pay = {"amount": "1.00", "currency": "EUR", "merchant": {"name": "Shop", "iban": MERCHANT}}
    refused = post_operation(client, consent_headers, "pay", pay)
    assert refused.status_code == 403 and refused.json["code"] == "insufficient_scope"

    accounts_headers, _ = consent_token(client, app, wallet, clock, kind="accounts")
    refused = post_operation(client, accounts_headers, "transfer", transfer("1.00"))
    assert refused.status_code == 403 and refused.json["code"] == "insufficient_scope"
    assert counts(app) == {"payments": 0, "outbox": 0, "idempotency": 0}


def test_a_revoked_consent_cannot_pay(client, wallet, app, clock):
    headers, consent_id = consent_token(client, app, wallet, clock)
    revoked = client.delete(f"/consents/{consent_id}", headers=wallet_token(client, wallet, "consents"))
    assert revoked.status_code in (200, 204)
    answer = post_operation(client, headers, "transfer", transfer("1.00"))
    assert answer.status_code in (401, 403)
    assert counts(app)["payments"] == 0


def test_another_clients_payment_is_not_found(client, wallet, app, clock):
    with database_of(app).transaction() as session:
        made = Clients(session).create(name="Other Wallet", kind=ClientKind.WALLET_PROVIDER,
                                       redirect_uris=["https://other.example/cb"], scopes=["wallet"],
                                       actor="operator:test")
        ClientAccounts(session).set(client_id=made.client.client_id, role="settlement", iban=COLLECTION,
                                    currency="EUR", name="Other settlement", bic=None, actor="operator:test")
    other = Wallet(made.client.client_id, made.secret)
    pay = {"amount": "7.00", "currency": "EUR", "merchant": {"name": "Shop", "iban": MERCHANT}}
    theirs = post_operation(client, wallet_token(client, other), "pay", pay).json["payments"][0]

    for headers in (wallet_token(client, wallet), consent_token(client, app, wallet, clock)[0]):
        answer = client.get(f"/payments/{theirs['id']}", headers=headers)
        assert answer.status_code == 404
        assert answer.json["code"] == "payment_not_found"
        assert theirs["id"] not in [p["id"] for p in client.get("/payments", headers=headers).json["payments"]]
    missing = client.get("/payments/no-such-payment", headers=wallet_token(client, wallet))
    assert missing.status_code == 404 and missing.json["code"] == "payment_not_found"
    assert client.get(f"/payments/{theirs['id']}", headers=wallet_token(client, other)).status_code == 200
