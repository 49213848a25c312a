"""assemble: blocks, control figures and scheme rules, proved by the official XSDs.

Every batch is written with gateway.iso20022.build as pain.001.001.09 and .03 (which
validates it against the official XSD) and the figures are read back from the
XML.  Expected NbOfTxs and CtrlSum are counted and added by hand in the comments."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
import yaml

from gateway.domain.parties import Account, Agent, Party
from gateway.domain.rules import check_batch, load_profile
from gateway.iso20022 import build
from gateway.mapping.operations import EmptyBatch, Endpoint, PaymentRefused, assemble, plan, validate_request
from tests.mapping.helpers import (
    ALICE_DE, ALICE_DE_IBAN, ALICE_FR, ALICE_FR_IBAN, BE_IBAN, ROOT, COLLECTION_IBAN, CREATED, GB_IBAN, MERCHANT_IBAN,
    SETTLEMENT, SETTLEMENT_IBAN, SHOP_NL_IBAN, TODAY, TR_IBAN, VERSIONS, WALLET, context, counter, merchant, read,
)


def planned(operation: str, body: dict, ctx=None) -> list:
    validate_request(operation, body)
    return plan(operation, body, ctx or context(), new_end_to_end_id=counter(f"{operation.upper()}"))


def batch_of(planned_payments, *, sepa: bool):
    return assemble(planned_payments, message_id="MSG-2026-11-23-1", created_at=CREATED, initiating_party=WALLET,
                    new_payment_information_id=counter("PMTINF"), sepa=sepa)


def written(batch) -> dict[str, dict]:
    """Both versions, XSD-checked by build; the figures read from each."""
    return {version: read(build(batch, version)) for version in VERSIONS}


def refused(planned_payments, *, sepa: bool) -> list[tuple]:
    with pytest.raises(PaymentRefused) as caught:
        batch_of(planned_payments, sepa=sepa)
    assert caught.value.code == "payment_refused"
    return [(f.location, f.reason) for f in caught.value.findings]


BODIES = {
    # operation: (body, number of payments, their amounts added by hand); every cross-border creditor
    # (the debtors are NL and DE accounts) names its bank, so the same bodies serve outside SEPA
    "pay": ({"amount": "12.50", "currency": "EUR", "merchant": merchant(),
             "remittance": {"creditor_reference": "RF18539007547034"}}, 1, "12.50"),
    "transfer": ({"amount": "250.00", "currency": "EUR", "debtor_iban": ALICE_DE_IBAN,
                  "creditor": {"name": "Jean Dupont", "iban": ALICE_FR_IBAN, "bic": "PSSTFRPP"},
                  "remittance": {"unstructured": "Loyer novembre"}}, 1, "250.00"),
    "top-up": ({"amount": "50", "currency": "EUR"}, 1, "50.00"),
    "withdraw": ({"amount": "19.99", "currency": "EUR", "account_iban": ALICE_DE_IBAN}, 1, "19.99"),
    # 1500.00 + 999.99 + 0.01 = 2500.00
    "bulk-payout": ({"payments": [
        {"amount": "1500.00", "currency": "EUR",
         "creditor": {"name": "Seller One", "iban": MERCHANT_IBAN, "bic": "SOGEDEFF"}},
        {"amount": "999.99", "currency": "EUR", "creditor": {"name": "Seller Two", "iban": SHOP_NL_IBAN},
         "remittance": {"unstructured": "Payout week 47"}},
        {"amount": "0.01", "currency": "EUR",
         "creditor": {"name": "Seller Three", "iban": ALICE_FR_IBAN, "bic": "PSSTFRPP"}},
    ]}, 3, "2500.00"),
}


@pytest.mark.parametrize("sepa", [True, False], ids=["sepa", "generic"])
@pytest.mark.parametrize("operation", sorted(BODIES))
def test_each_operation_becomes_a_valid_pain001(operation, sepa):
    body, count, total = BODIES[operation]
    ctx = context()
    ps = planned(operation, body, ctx)
    for figures in written(batch_of(ps, sepa=sepa)).values():
        assert (figures["n"], figures["sum"]) == (str(count), total)
        [block] = figures["blocks"]
        assert (block["n"], block["sum"]) == (str(count), total)
        assert block["service_level"] == ("SEPA" if sepa else None)
        assert block["charge_bearer"] == ("SLEV" if sepa else "SHAR")
        assert all(tx["charge_bearer"] is None for tx in block["transactions"])


@pytest.mark.parametrize("operation", sorted(BODIES))
def test_a_sepa_batch_passes_the_gateways_own_sepa_rules(operation):
    """The rules `gateway validate --profile sepa` runs (control figures, IBANs, EPC charset and
    identifiers, euro only, dates) are a second judge besides the XSD."""
    profile = load_profile(yaml.safe_load((ROOT / "mappings" / "profiles" / "sepa.yaml").read_text()))
    batch = batch_of(planned(operation, BODIES[operation][0]), sepa=True)
    assert [f for f in check_batch(batch, profile=profile, today=TODAY) if f.is_error] == []


def test_the_accounts_land_where_the_spec_says():
    ctx = context()
    top_up = written(batch_of(planned("top-up", BODIES["top-up"][0], ctx), sepa=True))["pain.001.001.09"]
    [block] = top_up["blocks"]
    assert block["debtor_iban"] == ALICE_DE_IBAN and block["debtor_bic"] == "COBADEFFXXX"
    assert block["transactions"][0]["creditor_iban"] == COLLECTION_IBAN
    assert block["transactions"][0]["amount"] == "50.00"
    pay = written(batch_of(planned("pay", BODIES["pay"][0], ctx), sepa=True))["pain.001.001.03"]
    [block] = pay["blocks"]
    assert block["debtor_iban"] == SETTLEMENT_IBAN
    assert block["debtor_bic"] == "ABNANL2A"  # none on record: ABN AMRO's, from the IBAN's bank code ABNA
    assert (block["transactions"][0]["creditor_iban"], block["transactions"][0]["purpose"]) == (SHOP_NL_IBAN, "GDSV")
    [payout] = written(batch_of(planned("bulk-payout", BODIES["bulk-payout"][0]), sepa=True))["pain.001.001.09"]["blocks"]
    assert payout["category_purpose"] == "SUPP"
    assert [tx["amount"] for tx in payout["transactions"]] == ["1500.00", "999.99", "0.01"]


def test_two_debtors_and_two_dates_make_four_blocks_in_first_seen_order():
    ctx = context(consent=(ALICE_DE, ALICE_FR))

    def pay(amount: str, when: str) -> list:
        return planned("pay", {"amount": amount, "currency": "EUR", "merchant": merchant(),
                               "requested_execution_date": when}, ctx)

    def transfer(amount: str, when: str) -> list:
        return planned("transfer", {"amount": amount, "currency": "EUR", "debtor_iban": ALICE_FR_IBAN,
                                    "creditor": merchant(), "requested_execution_date": when}, ctx)

    ps = (pay("10.00", "2026-11-24") + transfer("1.10", "2026-11-24") + pay("20.00", "2026-11-25")
          + pay("30.00", "2026-11-24") + transfer("2.20", "2026-11-25") + transfer("3.30", "2026-11-24"))
    for figures in written(batch_of(ps, sepa=True)).values():
        # 6 payments, 10.00 + 1.10 + 20.00 + 30.00 + 2.20 + 3.30 = 66.60
        assert (figures["n"], figures["sum"]) == ("6", "66.60")
        assert [(b["id"], b["debtor_iban"], b["date"], b["n"], b["sum"]) for b in figures["blocks"]] == [
            ("PMTINF-1", SETTLEMENT_IBAN, "2026-11-24", "2", "40.00"),   # 10.00 + 30.00
            ("PMTINF-2", ALICE_FR_IBAN, "2026-11-24", "2", "4.40"),      # 1.10 + 3.30
            ("PMTINF-3", SETTLEMENT_IBAN, "2026-11-25", "1", "20.00"),
            ("PMTINF-4", ALICE_FR_IBAN, "2026-11-25", "1", "2.20"),
        ]
        assert [tx["amount"] for tx in figures["blocks"][0]["transactions"]] == ["10.00", "30.00"]


def test_a_different_payment_type_is_another_block():
    ps = planned("bulk-payout", {"payments": [
        {"amount": "5.00", "currency": "EUR", "creditor": {"name": "A", "iban": MERCHANT_IBAN}},
        {"amount": "7.00", "currency": "EUR", "category_purpose": "SALA", "creditor": {"name": "B", "iban": MERCHANT_IBAN}},
        {"amount": "9.00", "currency": "EUR", "creditor": {"name": "C", "iban": MERCHANT_IBAN}},
    ]})
    ps[2] = replace(ps[2], local_instrument="INST")
    figures = written(batch_of(ps, sepa=True))["pain.001.001.09"]
    assert [(b["category_purpose"], b["n"], b["sum"]) for b in figures["blocks"]] == [
        ("SUPP", "1", "5.00"), ("SALA", "1", "7.00"), ("SUPP", "1", "9.00")]
    assert (figures["n"], figures["sum"]) == ("3", "21.00")  # 5 + 7 + 9


def test_the_same_account_under_another_endpoint_value_is_another_debtor():
    """A block has one Dbtr: the same IBAN under another name is not merged into it."""
    renamed = Endpoint(Party(name="Example Wallet B.V."), SETTLEMENT.account, SETTLEMENT.agent)
    ps = planned("pay", BODIES["pay"][0]) + planned("pay", BODIES["pay"][0], context(wallet={"settlement": renamed}))
    assert len(batch_of(ps, sepa=True).payment_informations) == 2


def test_a_big_payout_adds_up():
    # 2,000 payments of 0.01 .. 20.00 (i cents for i = 1..2000): n(n+1)/2 = 2,001,000 cents = 20010.00
    payments = [{"amount": f"{i // 100}.{i % 100:02d}", "currency": "EUR",
                 "creditor": {"name": f"Seller {i}", "iban": MERCHANT_IBAN}} for i in range(1, 2001)]
    batch = batch_of(planned("bulk-payout", {"payments": payments}), sepa=True)
    for figures in written(batch).values():
        assert (figures["n"], figures["sum"]) == ("2000", "20010.00")
        assert [(b["n"], b["sum"]) for b in figures["blocks"]] == [("2000", "20010.00")]


# SEPA refusals ------------------------------------------------------------------------------------------------


def test_sepa_refuses_another_currency_at_the_field():
    ps = planned("pay", {"amount": "12.50", "currency": "USD", "merchant": merchant()})
    assert refused(ps, sepa=True) == [(("currency",), "AM03")]


def test_sepa_refuses_another_charge_bearer_at_the_field():
    ps = planned("pay", {"amount": "12.50", "currency": "EUR", "merchant": merchant(), "charge_bearer": "DEBT"})
    assert refused(ps, sepa=True) == [(("charge_bearer",), "BE19")]
    ps = planned("pay", {"amount": "12.50", "currency": "EUR", "merchant": merchant(), "charge_bearer": "SLEV"})
    assert batch_of(ps, sepa=True).payment_informations[0].charge_bearer == "SLEV"


def test_sepa_refusals_in_a_payout_name_the_payment():
    body = {"payments": [
        {"amount": "1.00", "currency": "EUR", "creditor": {"name": "A", "iban": MERCHANT_IBAN}},
        {"amount": "2.00", "currency": "GBP", "creditor": {"name": "B", "iban": GB_IBAN}},
        {"amount": "3.00", "currency": "EUR", "charge_bearer": "SHAR", "creditor": {"name": "C", "iban": TR_IBAN}},
        {"amount": "4.00", "currency": "EUR", "creditor": {"name": "D", "account_id": "12345678", "bic": "CHASUS33"}},
    ]}
    assert refused(planned("bulk-payout", body), sepa=True) == [
        (("payments", 1, "currency"), "AM03"),
        (("payments", 2, "charge_bearer"), "BE19"),
        (("payments", 2, "creditor", "iban"), "AC03"),        # Turkey: outside the SEPA zone
        (("payments", 3, "creditor", "account_id"), "AC03"),  # SEPA knows IBANs only
    ]


def test_sepa_takes_a_sepa_zone_iban_outside_the_euro_area_in_euro():
    ps = planned("pay", {"amount": "12.50", "currency": "EUR", "merchant": merchant(iban=GB_IBAN)})
    assert len(written(batch_of(ps, sepa=True))) == 2


def test_sepa_refuses_a_service_level_other_than_sepa():
    [p] = planned("pay", BODIES["pay"][0])
    assert refused([replace(p, service_level="URGP")], sepa=True) == [(("service_level",), "FF04")]


# Outside SEPA ---------------------------------------------------------------------------------------------------


def test_cross_border_needs_the_creditors_bic():
    ps = planned("pay", {"amount": "12.50", "currency": "GBP", "merchant": merchant(iban=GB_IBAN)})
    assert refused(ps, sepa=False) == [(("merchant", "bic"), "RC01")]        # NL debtor, GB creditor, pounds
    ps = planned("pay", {"amount": "12.50", "currency": "GBP", "merchant": merchant(iban=GB_IBAN,
                                                                                    bic="NWBKGB2L")})
    assert written(batch_of(ps, sepa=False))["pain.001.001.09"]["n"] == "1"


def test_euro_between_sepa_countries_is_domestic_even_at_a_bank_without_the_sepa_profile():
    # NL debtor, DE creditor, EUR: the SEPA Regulation makes it domestic; no BIC is needed.
    ps = planned("pay", {"amount": "12.50", "currency": "EUR", "merchant": merchant(iban=MERCHANT_IBAN)})
    assert written(batch_of(ps, sepa=False))["pain.001.001.09"]["n"] == "1"


def test_a_domestic_payment_needs_no_bic():
    ps = planned("pay", {"amount": "12.50", "currency": "EUR", "merchant": merchant()})  # NL to NL
    assert written(batch_of(ps, sepa=False))["pain.001.001.03"]["blocks"][0]["charge_bearer"] == "SHAR"


def test_an_account_without_iban_needs_its_banks_bic():
    creditor = {"name": "Overseas Ltd", "account_id": "123456789"}
    ps = planned("pay", {"amount": "12.50", "currency": "USD", "merchant": creditor})
    assert refused(ps, sepa=False) == [(("merchant", "bic"), "RC01")]
    ps = planned("pay", {"amount": "12.50", "currency": "USD", "merchant": {**creditor, "bic": "CHASUS33"}})
    assert written(batch_of(ps, sepa=False))["pain.001.001.09"]["blocks"][0]["transactions"][0]["currency"] == "USD"


def test_a_consent_account_abroad_without_bic_is_named_by_the_field_that_picked_it():
    # Pounds to a British account from a Dutch one: cross-border (not euro), so the bank must be named.
    holder = Endpoint(ALICE_DE.party, Account(iban=GB_IBAN, currency="GBP"), Agent())
    ps = planned("withdraw", {"amount": "20.00", "currency": "GBP", "account_iban": GB_IBAN},
                 context(consent=(holder,)))
    assert refused(ps, sepa=False) == [(("account_iban",), "RC01")]


def test_charge_bearers_asked_for_outside_sepa():
    body = {"payments": [
        {"amount": "1.00", "currency": "EUR", "creditor": {"name": "A", "iban": SHOP_NL_IBAN}},
        {"amount": "2.00", "currency": "EUR", "charge_bearer": "DEBT", "creditor": {"name": "B", "iban": SHOP_NL_IBAN}},
    ]}
    [block] = written(batch_of(planned("bulk-payout", body), sepa=False))["pain.001.001.09"]["blocks"]
    assert block["charge_bearer"] is None  # they differ: each transaction says its own
    assert [tx["charge_bearer"] for tx in block["transactions"]] == ["SHAR", "DEBT"]
    body["payments"][0]["charge_bearer"] = "DEBT"
    [block] = written(batch_of(planned("bulk-payout", body), sepa=False))["pain.001.001.03"]["blocks"]
    assert (block["charge_bearer"], [tx["charge_bearer"] for tx in block["transactions"]]) == ("DEBT", [None, None])


# The debtor's bank ----------------------------------------------------------------------------------------------


def test_a_debtor_bank_nobody_can_name_is_refused():
    unknown = Endpoint(WALLET, Account(iban=BE_IBAN), Agent())
    ps = planned("pay", BODIES["pay"][0], context(wallet={"settlement": unknown}))
    assert refused(ps, sepa=True) == [(("wallet", "settlement"), "RC01")]
    named = Endpoint(WALLET, Account(iban=BE_IBAN), Agent(bic="GEBABEBB"))
    ps = planned("pay", BODIES["pay"][0], context(wallet={"settlement": named}))
    assert written(batch_of(ps, sepa=True))["pain.001.001.09"]["blocks"][0]["debtor_bic"] == "GEBABEBB"


def test_the_planned_debtor_is_left_as_the_caller_gave_it():
    ps = planned("pay", BODIES["pay"][0])
    batch = batch_of(ps, sepa=True)
    assert ps[0].debtor.agent == Agent() and batch.payment_informations[0].debtor_agent == Agent(bic="ABNANL2A")


def test_nothing_to_assemble():
    with pytest.raises(EmptyBatch) as caught:
        batch_of([], sepa=True)
    assert caught.value.code == "empty_batch"


def test_the_batch_declares_its_figures_and_carries_what_was_asked():
    batch = batch_of(planned("pay", BODIES["pay"][0]), sepa=True)
    assert (batch.message_id, batch.creation_date_time, batch.initiating_party) == ("MSG-2026-11-23-1", CREATED, WALLET)
    assert str(batch.control_sum) == "12.50" and batch.number_of_transactions == 1
    info = batch.payment_informations[0]
    assert (info.number_of_transactions, str(info.control_sum)) == (1, "12.50")
    assert info.requested_execution_date == date(2026, 11, 23)
