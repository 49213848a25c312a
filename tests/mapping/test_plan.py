"""plan: which accounts, which codes, which date, per the operation's spec.

Expected accounts are the test's own endpoints (helpers.py); expected codes are the
ones the YAML files choose and explain (pay: purpose GDSV; bulk-payout: category
purpose SUPP; others none)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from gateway.domain.money import Money
from gateway.domain.parties import Account, Agent, Party, PostalAddress
from gateway.domain.payments import Remittance
from gateway.mapping.operations import OperationRefused, Origin, plan, validate_request
from tests.mapping.helpers import (
    ALICE, ALICE_DE, ALICE_DE_IBAN, ALICE_FR, ALICE_FR_IBAN, COLLECTION, MERCHANT_IBAN, SETTLEMENT, SHOP_NL_IBAN,
    TODAY, context, counter, merchant,
)


def planned(operation: str, body: dict, ctx=None) -> list:
    validate_request(operation, body)  # the tests plan only what the API would let through
    return plan(operation, body, ctx or context(), new_end_to_end_id=counter("GW"))


def refused(operation: str, body: dict, ctx) -> list[tuple]:
    validate_request(operation, body)
    with pytest.raises(OperationRefused) as caught:
        plan(operation, body, ctx, new_end_to_end_id=counter("GW"))
    assert caught.value.code == "operation_refused"
    return [(f.location, f.reason) for f in caught.value.findings]


def test_pay_debits_the_settlement_account_and_credits_the_merchant():
    [p] = planned("pay", {"amount": "12.5", "currency": "EUR", "merchant": merchant(bic="ABNANL2A"),
                          "remittance": {"unstructured": "Order 4711"}})
    assert p.debtor == SETTLEMENT
    t = p.transfer
    assert t.creditor == Party(name="Bakkerij de Zon", postal_address=PostalAddress(
        street_name="Oudegracht", building_number="12", post_code="3511 AB", town_name="Utrecht", country="NL"))
    assert t.creditor_account == Account(iban=SHOP_NL_IBAN)
    assert t.creditor_agent == Agent(bic="ABNANL2A")
    assert t.amount == Money(Decimal("12.50"), "EUR") and str(t.amount.value) == "12.50"  # EUR's two decimals
    assert t.purpose == "GDSV" and p.category_purpose is None       # pay.yaml's defaults
    assert t.remittance == Remittance(unstructured=("Order 4711",))
    assert t.end_to_end_id == "GW-1"                                 # none given: the gateway's
    assert p.requested_execution_date == TODAY
    assert (p.service_level, p.local_instrument, t.charge_bearer) == (None, None, None)
    assert p.origin == Origin(payment=(), debtor=("wallet", "settlement"), creditor=("merchant",))


def test_the_request_overrides_the_defaults():
    [p] = planned("pay", {"amount": "12.50", "currency": "EUR", "merchant": merchant(), "end_to_end_id": "ORDER-4711",
                          "requested_execution_date": "2026-11-30", "purpose": "SCVE", "category_purpose": "EPAY",
                          "charge_bearer": "DEBT", "remittance": {"creditor_reference": "RF18539007547034"}})
    t = p.transfer
    assert (t.end_to_end_id, t.purpose, p.category_purpose, t.charge_bearer) == ("ORDER-4711", "SCVE", "EPAY", "DEBT")
    assert p.requested_execution_date == date(2026, 11, 30)
    assert t.remittance == Remittance(creditor_reference="RF18539007547034", creditor_reference_type="SCOR")
    assert t.creditor_agent is None                                   # no BIC given: no CdtrAgt


def test_transfer_debits_the_consent_account_the_request_picks():
    body = {"amount": "250.00", "currency": "EUR", "debtor_iban": ALICE_FR_IBAN,
            "creditor": {"name": "Jean Dupont", "iban": MERCHANT_IBAN}}
    [p] = planned("transfer", body, context(consent=(ALICE_DE, ALICE_FR)))
    assert p.debtor == ALICE_FR
    assert p.transfer.creditor_account == Account(iban=MERCHANT_IBAN)
    assert (p.transfer.purpose, p.category_purpose) == (None, None)
    assert p.origin.debtor == ("debtor_iban",)


def test_transfer_needs_no_debtor_iban_when_the_consent_has_one_account():
    [p] = planned("transfer", {"amount": "1.00", "currency": "EUR", "creditor": merchant()},
                  context(consent=(ALICE_FR,)))
    assert p.debtor == ALICE_FR


@pytest.mark.parametrize("body_change, consent, expected", [
    ({}, (ALICE_DE, ALICE_FR), [(("debtor_iban",), "AC02")]),                        # several: say which
    ({"debtor_iban": SHOP_NL_IBAN}, (ALICE_DE, ALICE_FR), [(("debtor_iban",), "AC02")]),  # not the consent's
    ({}, (), [(("debtor_iban",), "AC02")]),                                          # no payments consent
])
def test_transfer_refuses_a_debtor_account_it_cannot_debit(body_change, consent, expected):
    body = {"amount": "1.00", "currency": "EUR", "creditor": merchant(), **body_change}
    assert refused("transfer", body, context(consent=consent)) == expected


def test_top_up_moves_the_holders_money_into_the_collection_account():
    [p] = planned("top-up", {"amount": "50", "currency": "EUR"})
    assert p.debtor == ALICE_DE
    t = p.transfer
    assert (t.creditor, t.creditor_account, t.creditor_agent) == (COLLECTION.party, COLLECTION.account, COLLECTION.agent)
    assert str(t.amount.value) == "50.00"
    assert (t.purpose, p.category_purpose) == (None, None)
    assert p.origin == Origin(payment=(), debtor=("debtor_iban",), creditor=("wallet", "collection"),
                              creditor_given=False)


def test_top_up_without_a_collection_account_is_refused():
    ctx = context(wallet={"settlement": SETTLEMENT})
    assert refused("top-up", {"amount": "50.00", "currency": "EUR"}, ctx) == [(("wallet", "collection"), "AC03")]


def test_withdraw_with_a_consent_credits_the_consents_account():
    [p] = planned("withdraw", {"amount": "20.00", "currency": "EUR", "account_iban": ALICE_FR_IBAN},
                  context(consent=(ALICE_DE, ALICE_FR)))
    assert p.debtor == SETTLEMENT
    assert (p.transfer.creditor, p.transfer.creditor_account) == (ALICE, ALICE_FR.account)
    assert p.transfer.creditor_agent == Agent(bic="PSSTFRPP")
    assert p.origin.creditor == ("account_iban",) and not p.origin.creditor_given


def test_withdraw_with_a_consent_refuses_another_account():
    body = {"amount": "20.00", "currency": "EUR", "account_iban": MERCHANT_IBAN}
    assert refused("withdraw", body, context()) == [(("account_iban",), "AC03")]
    body = {"amount": "20.00", "currency": "EUR", "creditor": merchant()}
    assert refused("withdraw", body, context()) == [(("creditor", "iban"), "AC03")]


def test_withdraw_without_a_consent_credits_the_account_named():
    ctx = context(consent=())
    [p] = planned("withdraw", {"amount": "20.00", "currency": "EUR", "account_iban": MERCHANT_IBAN,
                               "account_name": "Alice Martin"}, ctx)
    assert (p.transfer.creditor, p.transfer.creditor_account) == (ALICE, Account(iban=MERCHANT_IBAN))
    [q] = planned("withdraw", {"amount": "20.00", "currency": "EUR", "creditor": merchant(bic="ABNANL2A")}, ctx)
    assert q.transfer.creditor_account == Account(iban=SHOP_NL_IBAN)
    assert q.origin.creditor == ("creditor",) and q.origin.creditor_given


def test_withdraw_without_a_consent_needs_the_holders_name():
    body = {"amount": "20.00", "currency": "EUR", "account_iban": MERCHANT_IBAN}
    assert refused("withdraw", body, context(consent=())) == [(("account_name",), "AC03")]


def test_withdraw_without_a_settlement_account_is_refused():
    body = {"amount": "20.00", "currency": "EUR", "account_iban": ALICE_DE_IBAN}
    assert refused("withdraw", body, context(wallet={})) == [(("wallet", "settlement"), "AC02")]


def payout(**top) -> dict:
    return {**top, "payments": [
        {"amount": "100.00", "currency": "EUR", "creditor": {"name": "Seller One", "iban": MERCHANT_IBAN}},
        {"amount": "200.00", "currency": "EUR", "end_to_end_id": "PAYOUT-2", "category_purpose": "SALA",
         "requested_execution_date": "2026-11-27", "creditor": {"name": "Seller Two", "iban": SHOP_NL_IBAN}},
        {"amount": "300.00", "currency": "EUR", "creditor": {"name": "Seller Three", "iban": ALICE_FR_IBAN}},
    ]}


def test_bulk_payout_plans_one_payment_per_entry_in_order():
    ps = planned("bulk-payout", payout(requested_execution_date="2026-11-25"))
    assert [p.transfer.creditor.name for p in ps] == ["Seller One", "Seller Two", "Seller Three"]
    assert [p.transfer.end_to_end_id for p in ps] == ["GW-1", "PAYOUT-2", "GW-2"]
    assert all(p.debtor == SETTLEMENT for p in ps)
    # top-level date for all but the payment that gives its own; SUPP from bulk-payout.yaml unless one says SALA
    assert [p.requested_execution_date for p in ps] == [date(2026, 11, 25), date(2026, 11, 27), date(2026, 11, 25)]
    assert [p.category_purpose for p in ps] == ["SUPP", "SALA", "SUPP"]
    assert [p.origin.payment for p in ps] == [("payments", 0), ("payments", 1), ("payments", 2)]
    assert [p.origin.creditor for p in ps] == [("payments", 0, "creditor"), ("payments", 1, "creditor"),
                                               ("payments", 2, "creditor")]


def test_bulk_payout_category_purpose_for_all():
    ps = planned("bulk-payout", payout(category_purpose="SALA"))
    assert [p.category_purpose for p in ps] == ["SALA", "SALA", "SALA"]


def test_one_missing_account_is_said_once_not_per_payment():
    assert refused("bulk-payout", payout(), context(wallet={})) == [(("wallet", "settlement"), "AC02")]


@pytest.mark.parametrize("when, reason", [("2026-11-22", "DT01"),   # yesterday
                                          ("2027-11-24", "CH03")])  # a year and a day ahead
def test_an_execution_date_banks_refuse_is_refused(when, reason):
    body = {"amount": "12.50", "currency": "EUR", "merchant": merchant(), "requested_execution_date": when}
    assert refused("pay", body, context()) == [(("requested_execution_date",), reason)]


def test_today_and_a_year_ahead_are_fine():
    for when in ("2026-11-23", "2027-11-23"):
        [p] = planned("pay", {"amount": "1.00", "currency": "EUR", "merchant": merchant(),
                              "requested_execution_date": when})
        assert p.requested_execution_date == date.fromisoformat(when)


def test_a_past_date_in_a_bulk_payout_names_the_payment():
    body = payout()
    body["payments"][1]["requested_execution_date"] = "2026-11-20"
    assert refused("bulk-payout", body, context()) == [(("payments", 1, "requested_execution_date"), "DT01")]


def test_all_refusals_at_once():
    body = {"amount": "1.00", "currency": "EUR", "debtor_iban": SHOP_NL_IBAN, "requested_execution_date": "2026-01-01"}
    assert refused("top-up", body, context(wallet={})) == [
        (("debtor_iban",), "AC02"), (("wallet", "collection"), "AC03"), (("requested_execution_date",), "DT01")]


def test_the_end_to_end_id_maker_is_called_only_for_payments_without_one():
    calls = []

    def make() -> str:
        calls.append(1)
        return f"GW-{len(calls)}"

    ps = plan("bulk-payout", payout(), context(), new_end_to_end_id=make)
    assert len(calls) == 2 and [p.transfer.end_to_end_id for p in ps] == ["GW-1", "PAYOUT-2", "GW-2"]
