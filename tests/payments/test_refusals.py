"""Refused wallet operations: each answer says what and where (problem+json with findings whose
``field`` names the request field), and nothing is half-written — no payment, no outbox file,
no idempotency key after any refusal."""

from __future__ import annotations

import json
import uuid

import pytest

from gateway.persistence.repositories.payments import ClientAccounts
from tests.payments.conftest import (
    MERCHANT,
    counts,
    database_of,
    post_operation,
    wallet_token,
)

NOTHING = {"payments": 0, "outbox": 0, "idempotency": 0}
LIMIT = 64 * 1024


@pytest.fixture
def settings(settings):
    """A small body limit, so the 413 test needs no 10 MB body."""
    return settings.with_overrides(max_body_bytes=LIMIT)


def pay_body(amount="12.50", currency="EUR", iban=MERCHANT, **extra) -> dict:
    return {"amount": amount, "currency": currency, "merchant": {"name": "Bakkerij de Zon", "iban": iban}, **extra}


def raw_post(client, headers, data: bytes, content_type: str | None = "application/json", path="/operations/pay"):
    extra = {"Content-Type": content_type} if content_type else {}
    return client.post(path, data=data, headers={**headers, **extra, "Idempotency-Key": str(uuid.uuid4())})


def fields(answer) -> dict[str, str]:
    """field → reason of the answer's findings."""
    return {f.get("field"): f.get("reason") for f in answer.json["findings"]}


def test_schema_errors_name_every_field(client, wallet, app):
    headers = wallet_token(client, wallet)
    body = {"amount": 12.5, "currency": "eur", "merchant": {"iban": MERCHANT}, "colour": "blue"}
    answer = post_operation(client, headers, "pay", body)
    assert answer.status_code == 422
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.json["code"] == "invalid_operation"
    found = fields(answer)
    # x-reason of common.json: amount AM12, currency AM11; a counterparty without its name: BE21/required
    assert found["amount"] == "AM12"
    assert found["currency"] == "AM11"
    assert "merchant.name" in found or any("name" in f["message"] for f in answer.json["findings"]
                                           if f.get("field") == "merchant")
    assert any(f.get("field") in ("colour", None) and "colour" in f["message"] for f in answer.json["findings"])
    assert counts(app) == NOTHING


def test_an_iban_with_wrong_check_digits_is_refused_at_its_field(client, wallet, app):
    # NL20INGB0001234567 is valid (98 - mod97 of INGB0001234567NL00 = 20); 21 is not.
    answer = post_operation(client, wallet_token(client, wallet), "pay", pay_body(iban="NL21INGB0001234567"))
    assert answer.status_code == 422
    assert fields(answer).get("merchant.iban") == "AC01", answer.json
    assert counts(app) == NOTHING


def test_an_rf_reference_with_wrong_check_digits_is_refused_at_its_field(client, wallet, app):
    # RF18539007547034 is valid (98 - mod97 of 539007547034RF00 = 18); 17 is not.
    body = pay_body(remittance={"creditor_reference": "RF17539007547034"})
    answer = post_operation(client, wallet_token(client, wallet), "pay", body)
    assert answer.status_code == 422 and answer.json["code"] == "invalid_operation"
    assert fields(answer) == {"remittance.creditor_reference": "RR09"}, answer.json
    assert "check digits do not match" in answer.json["findings"][0]["message"]
    assert counts(app) == NOTHING


@pytest.mark.parametrize("e2e", ["NOTPROVIDED", "notprovided"])
def test_notprovided_is_not_a_clients_end_to_end_id(client, wallet, app, e2e):
    """ISO 20022's word for "the initiating party gave none": the gateway makes an id instead."""
    answer = post_operation(client, wallet_token(client, wallet), "pay", pay_body(end_to_end_id=e2e))
    assert answer.status_code == 422 and answer.json["code"] == "invalid_operation"
    assert fields(answer) == {"end_to_end_id": "FF08"}, answer.json
    assert counts(app) == NOTHING


def test_an_amount_with_more_decimals_than_its_currency_is_refused(client, wallet, app):
    answer = post_operation(client, wallet_token(client, wallet), "pay", pay_body(amount="1.005"))
    assert answer.status_code == 422
    assert "amount" in fields(answer), answer.json
    assert counts(app) == NOTHING


def test_a_debtor_account_no_bank_serves(client, wallet, app):
    with database_of(app).transaction() as session:  # the wallet's settlement account moves to a French bank
        ClientAccounts(session).set(client_id=wallet.client_id, role="settlement", iban="FR1420041010050500013M02606",
                                    currency="EUR", name="Settlement in France", bic=None, actor="operator:test")
    answer = post_operation(client, wallet_token(client, wallet), "pay", pay_body())
    assert answer.status_code == 422
    assert answer.json["code"] == "no_bank_for_account"
    (finding,) = answer.json["findings"]
    # the debtor of pay is the wallet's settlement account (mappings/operations/pay.yaml); RC03: no debtor bank
    assert (finding["field"], finding["reason"], finding["value"]) == ("wallet.settlement", "RC03",
                                                                       "FR1420041010050500013M02606")
    assert counts(app) == NOTHING


def test_a_bank_that_cannot_take_the_currency(client, wallet, app):
    """The sandbox bank file lists EUR and GBP only: USD is refused before anything is built (AM03)."""
    answer = post_operation(client, wallet_token(client, wallet), "pay", pay_body(currency="USD"))
    assert answer.status_code == 422, answer.json
    assert answer.json["code"] == "bank_cannot_take_payment"
    assert fields(answer) == {"currency": "AM03"}  # the request's field, not the built file's
    assert counts(app) == NOTHING


def test_capability_findings_name_the_fields_of_a_bulk_payout(client, wallet, app):
    """The second payment of three is in dollars: the finding points at payments.1.currency."""
    body = {"payments": [{"amount": "1.00", "currency": "EUR", "creditor": {"name": "A", "iban": MERCHANT}},
                         {"amount": "2.00", "currency": "USD", "creditor": {"name": "B", "iban": MERCHANT}},
                         {"amount": "3.00", "currency": "EUR", "creditor": {"name": "C", "iban": MERCHANT}}]}
    answer = post_operation(client, wallet_token(client, wallet), "bulk-payout", body)
    assert answer.status_code == 422, answer.json
    assert answer.json["code"] == "bank_cannot_take_payment"
    assert fields(answer) == {"payments.1.currency": "AM03"}
    assert counts(app) == NOTHING


def test_an_end_to_end_id_is_never_reused(client, wallet, app):
    headers = wallet_token(client, wallet)
    first = post_operation(client, headers, "pay", pay_body(end_to_end_id="ORDER-42"))
    assert first.status_code == 201
    before = counts(app)

    again = post_operation(client, headers, "pay", pay_body(amount="99.00", end_to_end_id="ORDER-42"))
    assert again.status_code == 409
    assert again.json["code"] == "end_to_end_id_reused"
    assert fields(again) == {"end_to_end_id": "AM05"}
    assert counts(app) == before

    among = {"payments": [{"amount": "1.00", "currency": "EUR", "end_to_end_id": f"NEW-{n}",
                           "creditor": {"name": "A", "iban": MERCHANT}} for n in range(3)]}
    among["payments"][2]["end_to_end_id"] = "ORDER-42"  # the third line reuses the earlier payment's
    reused = post_operation(client, headers, "bulk-payout", among)
    assert reused.status_code == 409 and fields(reused) == {"payments.2.end_to_end_id": "AM05"}
    assert reused.json["findings"][0]["value"] == "ORDER-42"

    twice = {"payments": [{"amount": "1.00", "currency": "EUR", "end_to_end_id": "ORDER-43",
                           "creditor": {"name": "A", "iban": MERCHANT}},
                          {"amount": "2.00", "currency": "EUR", "end_to_end_id": "ORDER-43",
                           "creditor": {"name": "B", "iban": MERCHANT}}]}
    inside = post_operation(client, headers, "bulk-payout", twice)
    assert inside.status_code == 422 and inside.json["code"] == "invalid_operation"
    assert fields(inside) == {"payments.1.end_to_end_id": "AM05"}  # the second time it appears
    assert counts(app) == before


@pytest.mark.parametrize("data, says", [
    (b'{"amount": "1.00", "amount": "1000.00", "currency": "EUR", "merchant": {"name": "M", "iban": "%s"}}'
     % MERCHANT.encode(), "appears twice"),
    (b'{"amount": NaN, "currency": "EUR"}', "NaN"),
    (b'{"amount": Infinity, "currency": "EUR"}', "Infinity"),
    (b'{"a": ' * 40 + b'1' + b'}' * 40, "nested too deeply"),
    (b'[' * 30_000 + b']' * 30_000, "nested too deeply"),
    ('{"amount": "1.00", "currency": "EUR", "merchant": {"name": "Caf\u00e9", "iban": "x"}}'.encode("latin-1"),
     ""),
    (b'\xef\xbb\xbf{"amount": "1.00"}', ""),
    (b'{"amount": "1.00"', ""),
    (b"", ""),
])
def test_hostile_json_is_refused_with_a_finding(client, wallet, app, data, says):
    answer = raw_post(client, wallet_token(client, wallet), data)
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert answer.json["code"] == "invalid_json"
    assert says in answer.json["detail"]
    assert answer.json["findings"][0]["rule"] == "json"
    assert counts(app) == NOTHING


@pytest.mark.parametrize("document", [[], "pay", None, 12])
def test_a_document_that_is_not_an_object(client, wallet, app, document):
    answer = raw_post(client, wallet_token(client, wallet), json.dumps(document).encode())
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert answer.json["code"] == "invalid_operation"
    assert counts(app) == NOTHING


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "application/x-www-form-urlencoded", None])
def test_a_wrong_content_type_is_415(client, wallet, app, content_type):
    answer = raw_post(client, wallet_token(client, wallet), json.dumps(pay_body()).encode(), content_type)
    assert answer.status_code == 415, answer.get_data(as_text=True)
    assert answer.json["code"] == "unsupported_media_type"
    assert counts(app) == NOTHING


def test_a_body_over_the_limit_is_413(client, wallet, app):
    body = pay_body(remittance={"unstructured": "x"})
    data = json.dumps(body).encode()
    data = data[:-1] + b', "padding": "' + b"p" * LIMIT + b'"}'
    answer = raw_post(client, wallet_token(client, wallet), data)
    assert answer.status_code == 413
    assert answer.json["code"] == "content_too_large"
    assert counts(app) == NOTHING


def test_an_xml_body_over_the_limit_is_413_with_or_without_a_length(client, wallet, app, clock):
    """Checked against Content-Length before a byte is read; a chunked body (no length, as gunicorn
    passes it with wsgi.input_terminated) is cut off at the limit."""
    import io

    from tests.payments.conftest import consent_token

    headers, _ = consent_token(client, app, wallet, clock)
    big = b"<?xml version='1.0'?><Document>" + b" " * LIMIT + b"</Document>"
    sized = client.post("/payment-files", data=big, headers={**headers, "Content-Type": "application/xml",
                                                             "Idempotency-Key": str(uuid.uuid4())})
    assert sized.status_code == 413 and sized.json["code"] == "content_too_large"
    chunked = client.post("/payment-files", input_stream=io.BytesIO(big),
                          headers={**headers, "Content-Type": "application/xml", "Transfer-Encoding": "chunked",
                                   "Idempotency-Key": str(uuid.uuid4())},
                          environ_overrides={"wsgi.input_terminated": True})
    assert chunked.status_code == 413 and chunked.json["code"] == "content_too_large"
    assert counts(app) == NOTHING


def test_a_chunked_json_body_over_the_limit_is_413(client, wallet, app):
    import io

    data = json.dumps(pay_body(remittance={"unstructured": "x" * 140})).encode()
    data = data[:-1] + b', "padding": "' + b"p" * LIMIT + b'"}'
    answer = client.post("/operations/pay", input_stream=io.BytesIO(data), environ_overrides={
        "wsgi.input_terminated": True}, headers={**wallet_token(client, wallet), "Content-Type": "application/json",
                                                 "Transfer-Encoding": "chunked", "Idempotency-Key": "chunked-1"})
    assert answer.status_code == 413 and answer.json["code"] == "content_too_large"
    small = json.dumps(pay_body()).encode()
    answer = client.post("/operations/pay", input_stream=io.BytesIO(small), environ_overrides={
        "wsgi.input_terminated": True}, headers={**wallet_token(client, wallet), "Content-Type": "application/json",
                                                 "Transfer-Encoding": "chunked", "Idempotency-Key": "chunked-2"})
    assert answer.status_code == 201, answer.json  # a chunked body within the limit is read whole
    assert counts(app) == {"payments": 1, "outbox": 1, "idempotency": 1}
