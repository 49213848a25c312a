"""The payment resource and the answer to an operation: schemas that load with a
registry, and bundle into self-contained documents for the OpenAPI description."""

from __future__ import annotations

import copy

import pytest
from jsonschema import Draft202012Validator

from gateway.mapping.operations import OperationCatalog, payment_schema, request_schema, response_schema
from tests.mapping.helpers import ALICE_DE_IBAN, SETTLEMENT_IBAN, SHOP_NL_IBAN, merchant

PAYMENT = {
    "id": "pay_01HZX3", "operation": "pay", "status": "rejected",
    "reason": {"code": "AC04", "text": "closed account"},
    "amount": "12.50", "currency": "EUR", "end_to_end_id": "ORDER-4711",
    "message_id": "MSG-2026-11-23-1", "payment_information_id": "PMTINF-1",
    "debtor": {"name": "Example Wallet BV", "iban": SETTLEMENT_IBAN, "bic": "ABNANL2A"},
    "creditor": {"name": "Bakkerij de Zon", "iban": SHOP_NL_IBAN, "bic": None},
    "remittance": "Order 4711", "requested_execution_date": "2026-11-24", "bank": "abn-amro",
    "created_at": "2026-11-23T09:30:00Z", "updated_at": "2026-11-24T07:02:11Z",
    "history": [
        {"at": "2026-11-23T09:30:00Z", "status": "queued", "reason": None, "source": "request"},
        {"at": "2026-11-23T09:31:05Z", "status": "sent", "reason": None, "source": "connector abn-amro"},
        {"at": "2026-11-24T07:02:11Z", "status": "rejected", "reason": {"code": "AC04", "text": "closed account"},
         "source": "pain.002 MSG-STS-88"},
    ],
}
ACCEPTED = {"operation": "pay", "count": 1, "totals": [{"amount": "12.50", "currency": "EUR"}],
            "payments": [PAYMENT]}


@pytest.fixture(scope="module")
def store():
    return OperationCatalog().schemas


def errors(validator, instance) -> list[tuple]:
    return sorted({tuple(e.absolute_path) for e in validator.iter_errors(instance)})


def test_a_payment_matches_its_schema(store):
    assert errors(store.validator("payment"), PAYMENT) == []
    held = dict(PAYMENT, status="held", reason={"code": None, "text": "amount above the daily review limit"},
                message_id=None, payment_information_id=None, bank=None, remittance=None, history=[])
    assert errors(store.validator("payment"), held) == []


@pytest.mark.parametrize("change, location", [
    ({"status": "settled"}, ("status",)),                 # not one of the eight
    ({"amount": 12.5}, ("amount",)),
    ({"reason": {"code": "AC04"}}, ("reason",)),
    ({"debtor": {"name": "W", "iban": SETTLEMENT_IBAN}}, ("debtor",)),   # bic is always there, null or not
    ({"requested_execution_date": "24-11-2026"}, ("requested_execution_date",)),
    ({"colour": "red"}, ()),
])
def test_a_wrong_payment_is_refused_at_its_field(store, change, location):
    assert errors(store.validator("payment"), {**PAYMENT, **change}) == [location]


def test_a_missing_history_entry_field(store):
    payment = copy.deepcopy(PAYMENT)
    del payment["history"][1]["source"]
    assert errors(store.validator("payment"), payment) == [("history", 1)]


def test_the_answer_bundles_into_one_document():
    bundled = response_schema()
    Draft202012Validator.check_schema(bundled)
    validator = Draft202012Validator(bundled)  # no registry: every $ref resolves inside the document
    assert errors(validator, ACCEPTED) == []
    wrong = copy.deepcopy(ACCEPTED)
    wrong["payments"][0]["status"] = "done"
    wrong["totals"][0]["amount"] = "12,50"
    assert errors(validator, wrong) == [("payments", 0, "status"), ("totals", 0, "amount")]
    assert errors(validator, {"operation": "pay", "payments": []}) == [("payments",)]
    assert bundled["$id"] == "urn:gateway:operations:accepted"
    assert {d["$id"] for d in bundled["$defs"].values()} == {"urn:gateway:operations:payment",
                                                             "urn:gateway:operations:common"}


def test_the_payment_and_request_schemas_bundle_too():
    assert errors(Draft202012Validator(payment_schema()), PAYMENT) == []
    pay = Draft202012Validator(request_schema("pay"))
    assert errors(pay, {"amount": "12.50", "currency": "EUR", "merchant": merchant()}) == []
    assert errors(pay, {"amount": "12.50", "currency": "EUR", "merchant": merchant(iban="NL02 ABNA")}) == [
        ("merchant", "iban")]
    withdraw = Draft202012Validator(request_schema("withdraw"))
    assert errors(withdraw, {"amount": "1.00", "currency": "EUR", "account_iban": ALICE_DE_IBAN}) == []
