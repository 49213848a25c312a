"""validate_request: every refusal names its field, with the ISO reason the schema gives it.

Expected locations and reasons are written from the request vocabulary (which
field was broken) and the ISO 20022 external status reason code list (AC01
incorrect account number, AM12 invalid amount, CH20 decimals not compatible with
the currency, CH21 mandatory element missing, FF08 end-to-end id invalid, RR09
structured creditor reference invalid...),
not read back from the validator."""

from __future__ import annotations

import copy

import pytest

from gateway.domain.errors import InvalidInput
from gateway.mapping.operations import InvalidOperation, UnknownOperation, validate_request
from tests.mapping.helpers import ALICE_DE_IBAN, MERCHANT_IBAN, merchant

VALID = {
    "pay": {"amount": "12.50", "currency": "EUR", "merchant": merchant(), "end_to_end_id": "ORDER-4711",
            "requested_execution_date": "2026-11-24", "remittance": {"unstructured": "Order 4711"},
            "purpose": "GDSV", "charge_bearer": "SLEV"},
    "transfer": {"amount": "250.00", "currency": "EUR", "debtor_iban": ALICE_DE_IBAN,
                 "creditor": {"name": "Jean Dupont", "iban": "FR1420041010050500013M02606", "bic": "PSSTFRPP"},
                 "remittance": {"creditor_reference": "RF18539007547034", "creditor_reference_type": "SCOR"}},
    "top-up": {"amount": "50", "currency": "EUR"},
    "withdraw": {"amount": "20.00", "currency": "EUR", "account_iban": ALICE_DE_IBAN, "account_name": "Alice Martin"},
    "bulk-payout": {"requested_execution_date": "2026-11-25", "category_purpose": "SALA", "payments": [
        {"amount": "1500.00", "currency": "EUR", "creditor": {"name": "Piet Jansen", "iban": MERCHANT_IBAN}},
        {"amount": "1000.00", "currency": "EUR", "end_to_end_id": "PAY-2",
         "creditor": {"name": "Overseas Ltd", "account_id": "123456789", "account_scheme": "BBAN", "bic": "CHASUS33",
                      "address": {"lines": ["1 Main Street", "New York NY 10001"], "country": "US"}}},
    ]},
}


def refusal(operation: str, body: object) -> InvalidOperation:
    with pytest.raises(InvalidOperation) as caught:
        validate_request(operation, body)
    assert caught.value.code == "invalid_operation"
    return caught.value


def with_change(operation: str, path: tuple, value) -> dict:
    """A copy of the valid body with ``path`` set to ``value`` (``DELETE`` removes it)."""
    body = copy.deepcopy(VALID[operation])
    node = body
    for part in path[:-1]:
        node = node[part]
    if value is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return body


DELETE = object()


@pytest.mark.parametrize("operation", sorted(VALID))
def test_the_examples_are_valid(operation):
    validate_request(operation, VALID[operation])


CASES = [
    # (operation, path changed, new value, expected location, expected reason)
    ("pay", ("amount",), 12.5, ("amount",), "AM12"),             # a JSON number, never
    ("pay", ("amount",), "0.00", ("amount",), "AM12"),           # must be more than zero
    ("pay", ("amount",), "-5.00", ("amount",), "AM12"),
    ("pay", ("amount",), "1e3", ("amount",), "AM12"),
    ("pay", ("amount",), "012.50", ("amount",), "AM12"),
    ("pay", ("amount",), "12.50\n", ("amount",), "AM12"),        # ECMA '$': no trailing newline
    ("pay", ("amount",), "12.505", ("amount",), "CH20"),         # EUR has 2 decimals
    ("pay", ("currency",), "eur", ("currency",), "AM11"),
    ("pay", ("currency",), "EUX", ("currency",), "AM11"),        # shaped right, not in ISO 4217
    ("pay", ("merchant",), DELETE, ("merchant",), "CH21"),
    ("pay", ("merchant", "name"), DELETE, ("merchant", "name"), "CH21"),
    ("pay", ("merchant", "name"), "x" * 141, ("merchant", "name"), "BE21"),   # Max140Text
    ("pay", ("merchant", "name"), "Bakkerij\nde Zon", ("merchant", "name"), "BE21"),
    ("pay", ("merchant", "iban"), "NL92ABNA0123456789", ("merchant", "iban"), "AC01"),   # check digits 02 -> 92
    ("pay", ("merchant", "iban"), "NL02 ABNA 0123 4567 89", ("merchant", "iban"), "AC01"),
    ("pay", ("merchant", "iban"), DELETE, ("merchant",), "AC01"),                     # no account at all
    ("pay", ("merchant", "account_id"), "123456789", ("merchant",), "AC01"),          # iban and account_id
    ("pay", ("merchant", "account_scheme"), "BBAN", ("merchant",), "AC01"),           # scheme without account_id
    ("pay", ("merchant", "bic"), "ABNANL2", ("merchant", "bic"), "RC01"),             # 7 characters
    ("pay", ("merchant", "bic"), "ABNAQQ2A", ("merchant", "bic"), "RC01"),            # QQ is no country
    ("pay", ("merchant", "address"), {"street_name": "Oudegracht", "lines": ["Oudegracht 12", "3511 AB Utrecht"]},
     ("merchant", "address", "street_name"), "BE04"),                                  # structured and lines
    ("pay", ("merchant", "address", "country"), DELETE, ("merchant", "address"), "BE04"),
    ("pay", ("merchant", "address", "country"), "nl", ("merchant", "address", "country"), "BE04"),
    ("pay", ("merchant", "address", "town_name"), "x" * 36, ("merchant", "address", "town_name"), "BE04"),
    ("pay", ("merchant", "address"), {"lines": ["l"] * 8}, ("merchant", "address", "lines"), "BE04"),
    ("pay", ("merchant", "address"), {"lines": ["x" * 71]}, ("merchant", "address", "lines", 0), "BE04"),
    ("pay", ("merchant", "colour"), "red", ("merchant", "colour"), "FF01"),
    ("pay", ("colour",), "red", ("colour",), "FF01"),
    ("pay", ("end_to_end_id",), "E" * 36, ("end_to_end_id",), "FF08"),               # Max35Text
    ("pay", ("end_to_end_id",), "ORDER//4711", ("end_to_end_id",), "FF08"),
    ("pay", ("end_to_end_id",), "/ORDER-4711", ("end_to_end_id",), "FF08"),
    ("pay", ("end_to_end_id",), "ORDER-4711/", ("end_to_end_id",), "FF08"),
    ("pay", ("end_to_end_id",), "ORDER-4711 ", ("end_to_end_id",), "FF08"),   # statements come back trimmed
    ("pay", ("end_to_end_id",), " ORDER-4711", ("end_to_end_id",), "FF08"),
    ("pay", ("end_to_end_id",), "BESTELLUNG-Ä", ("end_to_end_id",), "FF08"),         # outside the SEPA set
    ("pay", ("end_to_end_id",), "", ("end_to_end_id",), "FF08"),
    ("pay", ("end_to_end_id",), "NOTPROVIDED", ("end_to_end_id",), "FF08"),   # ISO 20022's "none given"
    ("pay", ("end_to_end_id",), "NotProvided", ("end_to_end_id",), "FF08"),   # reconciliation reads any case
    ("transfer", ("end_to_end_id",), "NOTPROVIDED", ("end_to_end_id",), "FF08"),
    ("bulk-payout", ("payments", 1, "end_to_end_id"), "NOTPROVIDED", ("payments", 1, "end_to_end_id"), "FF08"),
    ("pay", ("requested_execution_date",), "2026-02-29", ("requested_execution_date",), "DT01"),  # not a leap year
    ("pay", ("requested_execution_date",), "24.11.2026", ("requested_execution_date",), "DT01"),
    ("pay", ("remittance",), {}, ("remittance",), "FF01"),
    ("pay", ("remittance",), {"unstructured": "a", "creditor_reference": "RF18539007547034"}, ("remittance",), "FF01"),
    ("pay", ("remittance", "unstructured"), "x" * 141, ("remittance", "unstructured"), "FF01"),
    ("pay", ("remittance",), {"creditor_reference": "RF18539007547034", "creditor_reference_type": "ISO"},
     ("remittance", "creditor_reference_type"), "FF01"),
    ("pay", ("remittance",), {"unstructured": "a", "creditor_reference_type": "SCOR"}, ("remittance",), "FF01"),
    ("pay", ("remittance",), {"creditor_reference": "RF17539007547034"},                  # check digits 18 -> 17
     ("remittance", "creditor_reference"), "RR09"),
    ("transfer", ("remittance", "creditor_reference"), "RF18539007574034",               # 47 -> 74
     ("remittance", "creditor_reference"), "RR09"),
    ("transfer", ("remittance", "creditor_reference"), "RF18 5390 0754 7034",            # printed, not electronic
     ("remittance", "creditor_reference"), "RR09"),
    ("transfer", ("remittance", "creditor_reference"), "R" * 36, ("remittance", "creditor_reference"), "RR09"),
    ("pay", ("purpose",), "gdsv", ("purpose",), "FF07"),
    ("pay", ("category_purpose",), "SUP", ("category_purpose",), "FF06"),
    ("pay", ("charge_bearer",), "BOTH", ("charge_bearer",), "BE19"),
    ("transfer", ("debtor_iban",), "DE89370400440532013001", ("debtor_iban",), "AC01"),
    ("transfer", ("creditor",), DELETE, ("creditor",), "CH21"),
    ("top-up", ("creditor",), merchant(), ("creditor",), "FF01"),                     # top-up names no creditor
    ("top-up", ("currency",), DELETE, ("currency",), "CH21"),
    ("withdraw", ("creditor",), merchant(), (), "AC03"),                              # both
    ("bulk-payout", ("payments",), [], ("payments",), "FF01"),
    ("bulk-payout", ("payments", 1, "amount"), "1000,00", ("payments", 1, "amount"), "AM12"),
    ("bulk-payout", ("payments", 0, "creditor", "iban"), "DE89370400440532013001",
     ("payments", 0, "creditor", "iban"), "AC01"),
    ("bulk-payout", ("payments", 1, "currency"), "JPY", ("payments", 1, "amount"), "CH20"),  # 1000.00: JPY has 0
    ("bulk-payout", ("end_to_end_id",), "TOP", ("end_to_end_id",), "FF01"),            # only per payment
]


@pytest.mark.parametrize("operation, path, value, location, reason", CASES)
def test_each_refusal_names_its_field(operation, path, value, location, reason):
    error = refusal(operation, with_change(operation, path, value))
    assert [(f.location, f.reason) for f in error.findings] == [(location, reason)]
    assert all(f.message for f in error.findings)


def test_notprovided_is_refused_with_the_reason():
    error = refusal("pay", with_change("pay", ("end_to_end_id",), "NOTPROVIDED"))
    (finding,) = error.findings
    assert finding.value == "NOTPROVIDED" and "reserved" in finding.message and "leave end_to_end_id out" in finding.message


@pytest.mark.parametrize("e2e", ["NOTPROVIDED-4711", "NOT PROVIDED", "NOTPROVIDE"])
def test_ids_that_only_look_like_notprovided_are_taken(e2e):
    validate_request("pay", with_change("pay", ("end_to_end_id",), e2e))


def test_withdraw_names_the_account_to_credit():
    body = {"amount": "20.00", "currency": "EUR"}
    assert [(f.location, f.reason) for f in refusal("withdraw", body).findings] == [((), "AC03")]


def test_account_name_goes_with_account_iban():
    body = {"amount": "20.00", "currency": "EUR", "creditor": merchant(), "account_name": "Alice Martin"}
    assert [(f.location, f.reason) for f in refusal("withdraw", body).findings] == [((), "AC03")]


def test_a_creditor_reference_is_scor_by_default_and_needs_no_type():
    validate_request("pay", with_change("pay", ("remittance",), {"creditor_reference": "RF18539007547034"}))


def test_an_rf_reference_with_wrong_check_digits_is_refused_in_plain_words():
    error = refusal("transfer", with_change("transfer", ("remittance", "creditor_reference"), "RF17539007547034"))
    (finding,) = error.findings
    assert finding.rule == "operation.format" and finding.value == "RF17539007547034"
    assert finding.message.startswith("RF creditor reference check digits do not match")


@pytest.mark.parametrize("reference", ["123456789012", "+++090/9337/55493+++", "INV-2026-0042", "RFQ-2026-17"])
def test_references_that_are_not_rf_are_passed_on_unchecked(reference):
    validate_request("transfer", with_change("transfer", ("remittance", "creditor_reference"), reference))


def test_currency_decimals_are_the_currencys():
    # BHD has 3 decimals, JPY none (ISO 4217).
    validate_request("pay", with_change("pay", ("currency",), "BHD") | {"amount": "12.505"})
    validate_request("pay", with_change("pay", ("currency",), "JPY") | {"amount": "1250"})
    error = refusal("pay", with_change("pay", ("currency",), "JPY") | {"amount": "12.5"})
    assert [(f.location, f.reason) for f in error.findings] == [(("amount",), "CH20")]


def test_all_findings_come_at_once_in_field_order():
    body = copy.deepcopy(VALID["bulk-payout"])
    body["payments"][0]["amount"] = 1500
    body["payments"][1]["creditor"]["bic"] = "CHASUS3"
    body["payments"].append({"amount": "1.00", "currency": "EUR", "end_to_end_id": "PAY-2",
                             "creditor": {"name": "Third", "iban": MERCHANT_IBAN}})
    body["requested_execution_date"] = "2026-13-01"
    error = refusal("bulk-payout", body)
    assert [(f.location, f.reason) for f in error.findings] == [
        (("payments", 0, "amount"), "AM12"),
        (("payments", 1, "creditor", "bic"), "RC01"),
        (("payments", 2, "end_to_end_id"), "AM05"),      # PAY-2 is payments[1]'s
        (("requested_execution_date",), "DT01"),
    ]
    repeated = error.findings[2]
    assert repeated.extra["first_location"] == "payments.1.end_to_end_id"


def test_payments_sort_by_number_not_by_text():
    body = copy.deepcopy(VALID["bulk-payout"])
    body["payments"] = [dict(body["payments"][0], end_to_end_id=f"P{i}") for i in range(11)]
    body["payments"][10]["amount"] = "x"
    body["payments"][2]["amount"] = "y"
    error = refusal("bulk-payout", body)
    assert [f.location for f in error.findings] == [("payments", 2, "amount"), ("payments", 10, "amount")]


def test_a_bulk_payout_carries_at_most_10000_payments():
    one = VALID["bulk-payout"]["payments"][0]
    validate_request("bulk-payout", {"payments": [one] * 10000})
    error = refusal("bulk-payout", {"payments": [one] * 10001})
    assert [(f.location, f.message) for f in error.findings] == [(("payments",), "at most 10000 payments in one request")]


@pytest.mark.parametrize("body", [None, [], "pay", 12])
def test_a_body_that_is_not_an_object(body):
    error = refusal("pay", body)
    assert [f.location for f in error.findings] == [()]


def test_an_unknown_operation():
    with pytest.raises(UnknownOperation) as caught:
        validate_request("refund", VALID["pay"])
    assert caught.value.code == "unknown_operation"
    assert isinstance(caught.value, InvalidInput)
    assert "pay" in caught.value.message and caught.value.findings[0].value == "refund"
