"""check_batch: control figures, identifiers, amounts, duplicates, dates and profile rules.

Sums are worked out by hand in the comments; IBANs are IBAN-registry examples, BICs
published ones (see test_rules_identifiers)."""

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.domain.findings import Severity
from gateway.domain.money import Money
from gateway.domain.parties import Account, Agent, Party, PostalAddress
from gateway.domain.payments import CreditTransfer, PaymentBatch, PaymentInformation, Remittance
from gateway.domain.rules import GENERIC, RuleProfile, check_batch

DEBTOR_IBAN = "DE89370400440532013000"     # IBAN registry example, Germany
CREDITOR_IBANS = ["NL91ABNA0417164300", "FR1420041010050500013M02606", "BE68539007547034",
                  "AT611904300234573201", "ES9121000418450200051332"]
SEPA = RuleProfile(name="sepa", sepa_charset=True, sepa_identifiers=True, currencies=frozenset({"EUR"}),
                   single_currency=True, require_iban=True, max_remittance_length=140,
                   max_remittance_lines=1, max_amount=Decimal("999999999.99"))
TODAY = date(2025, 3, 10)


def tx(e2e="E2E-1", amount="100.00", currency="EUR", iban="NL91ABNA0417164300", **kwargs):
    fields = dict(creditor=Party(name="Creditor BV"), creditor_account=Account(iban=iban),
                  creditor_agent=Agent(bic="ABNANL2A"), remittance=Remittance(unstructured=("Invoice 4711",)))
    return CreditTransfer(end_to_end_id=e2e, amount=Money(Decimal(amount), currency), **{**fields, **kwargs})


def block(*transactions, pmtinf_id="PMT-1", when=date(2025, 3, 12), **kwargs):
    fields = dict(debtor=Party(name="Debtor GmbH"), debtor_account=Account(iban=DEBTOR_IBAN),
                  debtor_agent=Agent(bic="COBADEFFXXX"))
    return PaymentInformation(payment_information_id=pmtinf_id, requested_execution_date=when,
                              transactions=transactions or (tx(),), **{**fields, **kwargs})


def batch(*blocks, **kwargs):
    fields = dict(message_id="MSG-1", initiating_party=Party(name="Debtor GmbH"))
    return PaymentBatch(creation_date_time=datetime(2025, 3, 10, 9, 30),
                        payment_informations=blocks or (block(),), **{**fields, **kwargs})


def three_tx_batch():
    # Block 0: 100.00 + 250.50 = 350.50; block 1: 0.75.  Group: 350.50 + 0.75 = 351.25, 3 transactions.
    return batch(block(tx("E2E-1", "100.00"), tx("E2E-2", "250.50")),
                 block(tx("E2E-3", "0.75"), pmtinf_id="PMT-2"))


def summary(findings):
    return [(f.rule, f.reason, f.location) for f in findings]


# --- control figures -------------------------------------------------------------------------

def test_correct_control_figures_give_no_findings():
    good = replace(three_tx_batch(), number_of_transactions=3, control_sum=Decimal("351.25"))
    assert check_batch(good) == []
    assert check_batch(good, profile=SEPA, today=TODAY) == []


def test_undeclared_control_figures_are_not_checked():
    assert check_batch(three_tx_batch()) == []


def test_group_control_sum_mismatch_is_am10():
    findings = check_batch(replace(three_tx_batch(), control_sum=Decimal("351.20")))
    assert summary(findings) == [("group.control_sum", "AM10", ("control_sum",))]
    assert findings[0].value == "351.20" and findings[0].extra["expected"] == "351.25"
    assert "351.25" in findings[0].message and "-0.05" in findings[0].message


def test_control_sum_compares_decimals_exactly_not_by_scale():
    assert check_batch(replace(three_tx_batch(), control_sum=Decimal("351.250"))) == []
    # A float-like near miss is still a miss.
    assert check_batch(replace(three_tx_batch(), control_sum=Decimal("351.2500001")))


def test_group_number_of_transactions_mismatch_is_am18():
    findings = check_batch(replace(three_tx_batch(), number_of_transactions=2))
    assert summary(findings) == [("group.number_of_transactions", "AM18", ("number_of_transactions",))]
    assert findings[0].value == "2" and findings[0].extra["expected"] == "3"


def test_block_control_figures():
    good = three_tx_batch()
    blocks = (replace(good.payment_informations[0], number_of_transactions=2, control_sum=Decimal("350.50")),
              replace(good.payment_informations[1], number_of_transactions=2, control_sum=Decimal("0.70")))
    findings = check_batch(replace(good, payment_informations=blocks))
    assert summary(findings) == [
        ("payment_information.number_of_transactions", "AM18", ("payment_informations", 1, "number_of_transactions")),
        ("payment_information.control_sum", "AM10", ("payment_informations", 1, "control_sum")),
    ]


# --- identifiers ---------------------------------------------------------------------------------

def test_every_iban_and_bic_in_the_batch_is_checked():
    bad = batch(
        block(tx("E2E-1"), tx("E2E-2", iban="NL91ABNA0417164301"),  # last digit changed: checksum
              tx("E2E-3", creditor_agent=Agent(bic="ABNANL2")),         # 7 characters
              debtor_account=Account(iban="DE8937040044053201300"),    # one digit short
              debtor_agent=Agent(bic="COBAXXFF")),                     # XX no country
        initiating_party=Party(name="Debtor GmbH", bic_or_bei="COBADEFF5"),  # 9 characters
    )
    assert sorted(summary(check_batch(bad))) == sorted([
        ("bic.format", "RC01", ("initiating_party", "bic_or_bei")),
        ("iban.length", "AC01", ("payment_informations", 0, "debtor_account", "iban")),
        ("bic.country", "RC01", ("payment_informations", 0, "debtor_agent", "bic")),
        ("iban.checksum", "AC01", ("payment_informations", 0, "transactions", 1, "creditor_account", "iban")),
        ("bic.format", "RC01", ("payment_informations", 0, "transactions", 2, "creditor_agent", "bic")),
    ])


def test_account_servicer_and_owner_are_reached_too():
    account = Account(iban=DEBTOR_IBAN, servicer=Agent(bic="COBADEF"))
    findings = check_batch(batch(block(debtor_account=account)))
    assert summary(findings) == [("bic.format", "RC01", ("payment_informations", 0, "debtor_account",
                                                         "servicer", "bic"))]


# --- amounts -----------------------------------------------------------------------------------------

def test_transaction_amounts_are_checked():
    findings = check_batch(batch(block(tx("E2E-1", "0.00"), tx("E2E-2", "10.001"), tx("E2E-3", "5", "EURO"))))
    base = ("payment_informations", 0, "transactions")
    assert summary(findings) == [
        ("amount.zero", "AM01", base + (0, "amount")),
        ("amount.decimals", "AM12", base + (1, "amount")),
        ("currency.unknown", "AM03", base + (2, "amount", "currency")),
    ]


def test_profile_currency_rules():
    mixed = batch(block(tx("E2E-1"), tx("E2E-2", currency="USD"), tx("E2E-3", currency="EUR")))
    assert check_batch(mixed) == []  # generic: any currency, mixing allowed
    findings = check_batch(mixed, profile=SEPA)
    at = ("payment_informations", 0, "transactions", 1, "amount", "currency")
    assert summary(findings) == [("currency.not_allowed", "AM03", at)]  # not also "mixed"


def test_single_currency_without_a_currency_list():
    profile = RuleProfile(single_currency=True)
    assert check_batch(batch(block(tx("E2E-1", currency="CHF"), tx("E2E-2", currency="CHF"))), profile=profile) == []
    mixed = batch(block(tx("E2E-1", currency="CHF")), block(tx("E2E-2", currency="EUR"), pmtinf_id="PMT-2"))
    findings = check_batch(mixed, profile=profile)
    assert summary(findings) == [
        ("currency.mixed", "AM03", ("payment_informations", 1, "transactions", 0, "amount", "currency"))]
    assert "payment_informations.0.transactions.0 is in CHF" in findings[0].message


def test_sepa_maximum_amount_is_am02():
    ok = batch(block(tx(amount="999999999.99")))
    too_much = batch(block(tx(amount="1000000000.00")))
    assert check_batch(ok, profile=SEPA) == []
    assert summary(check_batch(too_much, profile=SEPA)) == [
        ("amount.maximum", "AM02", ("payment_informations", 0, "transactions", 0, "amount"))]


# --- duplicates --------------------------------------------------------------------------------------

def test_duplicate_end_to_end_id_is_reported_at_the_second_occurrence():
    dup = batch(block(tx("A"), tx("B")), block(tx("C"), tx("A"), pmtinf_id="PMT-2"))
    findings = check_batch(dup)
    assert summary(findings) == [
        ("duplicate.end_to_end_id", "AM05", ("payment_informations", 1, "transactions", 1, "end_to_end_id"))]
    first = "payment_informations.0.transactions.0.end_to_end_id"
    assert findings[0].extra["first_location"] == first
    assert findings[0].value == "A"


def test_notprovided_may_repeat():
    assert check_batch(batch(block(tx("NOTPROVIDED"), tx("NOTPROVIDED")))) == []


def test_duplicate_payment_information_id():
    dup = batch(block(tx("A")), block(tx("B")))  # both PMT-1
    findings = check_batch(dup)
    assert summary(findings) == [
        ("duplicate.payment_information_id", "AM05", ("payment_informations", 1, "payment_information_id"))]
    assert findings[0].extra["first_location"] == "payment_informations.0.payment_information_id"


# --- execution date ------------------------------------------------------------------------------

@pytest.mark.parametrize("when, rule", [
    (date(2025, 3, 9), "execution_date.past"),
    (date(2025, 3, 10), None),              # today
    (date(2026, 3, 10), None),              # exactly one year ahead
    (date(2026, 3, 11), "execution_date.too_far"),
    (datetime(2025, 3, 9, 23, 59), "execution_date.past"),  # DtTm choice of pain.001.001.09
])
def test_requested_execution_date(when, rule):
    findings = check_batch(batch(block(when=when)), today=TODAY)
    expected = [] if rule is None else [(rule, "DT01", ("payment_informations", 0, "requested_execution_date"))]
    assert summary(findings) == expected
    assert all(f.severity is Severity.ERROR for f in findings)


def test_dates_are_not_judged_without_today():
    assert check_batch(batch(block(when=date(1999, 1, 1)))) == []


def test_one_year_ahead_of_29_february():
    leap = batch(block(when=date(2029, 3, 1)))
    assert summary(check_batch(leap, today=date(2028, 2, 29)))[0][0] == "execution_date.too_far"
    assert check_batch(batch(block(when=date(2029, 2, 28))), today=date(2028, 2, 29)) == []


# --- profile requirements ----------------------------------------------------------------------

def test_require_iban():
    other = tx(creditor_account=Account(other_id="12345678"))
    assert check_batch(batch(block(other))) == []
    assert summary(check_batch(batch(block(other)), profile=SEPA)) == [
        ("iban.required", "AC01", ("payment_informations", 0, "transactions", 0, "creditor_account", "iban"))]


def test_require_bic():
    profile = RuleProfile(require_bic=True)
    assert check_batch(batch(), profile=profile) == []
    no_bic = batch(block(tx(creditor_agent=None), debtor_agent=Agent(clearing_member_id="37040044")))
    assert summary(check_batch(no_bic, profile=profile)) == [
        ("bic.required", "RC01", ("payment_informations", 0, "debtor_agent", "bic")),
        ("bic.required", "RC01", ("payment_informations", 0, "transactions", 0, "creditor_agent", "bic")),
    ]


def test_require_structured_address():
    profile = RuleProfile(require_structured_address=True)
    lines_only = PostalAddress(lines=("Kalverstraat 1", "1012 NX Amsterdam"))
    hybrid = PostalAddress(town_name="Amsterdam", country="NL", lines=("Kalverstraat 1",))
    creditor = replace(tx(), creditor=Party(name="Creditor BV", postal_address=lines_only))
    assert check_batch(batch(block(creditor))) == []
    base = ("payment_informations", 0, "transactions", 0, "creditor", "postal_address")
    assert summary(check_batch(batch(block(creditor)), profile=profile)) == [
        ("address.structured", "BE04", base + ("town_name",)),
        ("address.structured", "BE04", base + ("country",)),
    ]
    fine = replace(tx(), creditor=Party(name="Creditor BV", postal_address=hybrid))
    assert check_batch(batch(block(fine)), profile=profile) == []
    debtor = Party(name="Debtor GmbH", postal_address=PostalAddress(town_name="Berlin"))
    assert summary(check_batch(batch(block(debtor=debtor)), profile=profile)) == [
        ("address.structured", "BE07", ("payment_informations", 0, "debtor", "postal_address", "country"))]


def test_remittance_limits():
    long_line = replace(tx(), remittance=Remittance(unstructured=("x" * 141,)))
    exact = replace(tx(), remittance=Remittance(unstructured=("x" * 140,)))
    two_lines = replace(tx(), remittance=Remittance(unstructured=("a", "b")))
    base = ("payment_informations", 0, "transactions", 0, "remittance", "unstructured")
    assert check_batch(batch(block(exact)), profile=SEPA) == []
    assert check_batch(batch(block(long_line))) == []
    assert summary(check_batch(batch(block(long_line)), profile=SEPA)) == [
        ("remittance.length", "FF01", base + (0,))]
    assert summary(check_batch(batch(block(two_lines)), profile=SEPA)) == [
        ("remittance.lines", "FF01", base + (1,))]


def test_sepa_charset_on_every_free_text_field():
    address = PostalAddress(town_name="Köln", country="DE", lines=("Hohe Straße 1",))
    text = batch(block(replace(tx(), creditor=Party(name="Smith & Sons", postal_address=address),
                               remittance=Remittance(unstructured=("Rechnung Nr_1",)))))
    assert check_batch(text) == []
    findings = check_batch(text, profile=SEPA)
    base = ("payment_informations", 0, "transactions", 0)
    assert summary(findings) == [
        ("sepa.charset", "FF01", base + ("creditor", "name")),
        ("sepa.charset", "FF01", base + ("creditor", "postal_address", "town_name")),
        ("sepa.charset", "FF01", base + ("creditor", "postal_address", "lines", 0)),
        ("sepa.charset", "FF01", base + ("remittance", "unstructured", 0)),
    ]
    name = findings[0]
    assert name.extra == {"position": "7", "character": "&"} and name.value == "Smith & Sons"
    assert "position 7" in name.message
    assert [f.extra["character"] for f in findings] == ["&", "ö", "ß", "_"]


def test_sepa_identifiers():
    ids = batch(block(tx("/E2E-1"), tx("E2E//2"), tx("E2E-3", instruction_id="I-1/"), pmtinf_id="PMT/1"),
                message_id="MSG/1/")
    assert check_batch(ids) == []
    base = ("payment_informations", 0, "transactions")
    assert summary(check_batch(ids, profile=SEPA)) == [
        ("sepa.identifier", "FF01", ("message_id",)),          # MSG/1/ ends with '/'; PMT/1 is fine
        ("sepa.identifier", "FF01", base + (0, "end_to_end_id")),
        ("sepa.identifier", "FF01", base + (1, "end_to_end_id")),
        ("sepa.identifier", "FF01", base + (2, "instruction_id")),
    ]


def test_default_profile_is_generic():
    text = batch(block(replace(tx(), creditor=Party(name="Ärger & Co"))))
    assert check_batch(text) == check_batch(text, profile=GENERIC) == []


# --- properties ------------------------------------------------------------------------------------

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2)
shapes = st.lists(st.lists(st.tuples(amounts, st.sampled_from(CREDITOR_IBANS)), min_size=1, max_size=6),
                  min_size=1, max_size=4)


def random_batch(shape):
    blocks = tuple(
        block(*(tx(f"E2E-{i}-{j}", str(value), iban=iban) for j, (value, iban) in enumerate(txs)),
              pmtinf_id=f"PMT-{i}")
        for i, txs in enumerate(shape))
    return batch(*blocks)


@settings(max_examples=75, deadline=None)
@given(shapes)
def test_declared_control_figures_of_a_valid_batch_pass(shape):
    findings = check_batch(random_batch(shape).with_control_figures(), profile=SEPA, today=TODAY)
    assert not [f for f in findings if f.reason in ("AM10", "AM18")]
    assert findings == []


@settings(max_examples=75, deadline=None)
@given(shapes, st.data())
def test_perturbing_one_amount_by_a_cent_breaks_exactly_two_control_sums(shape, data):
    declared = random_batch(shape).with_control_figures()
    i = data.draw(st.integers(0, len(shape) - 1), label="block")
    j = data.draw(st.integers(0, len(shape[i]) - 1), label="transaction")
    sign = data.draw(st.sampled_from([1, -1]) if shape[i][j][0] > Decimal("0.01") else st.just(1))
    info = declared.payment_informations[i]
    old = info.transactions[j]
    changed = replace(old, amount=Money(old.amount.value + sign * Decimal("0.01"), "EUR"))
    info = replace(info, transactions=info.transactions[:j] + (changed,) + info.transactions[j + 1:])
    perturbed = replace(declared, payment_informations=declared.payment_informations[:i] + (info,)
                        + declared.payment_informations[i + 1:])
    findings = check_batch(perturbed)
    assert sorted(summary(findings)) == sorted([
        ("group.control_sum", "AM10", ("control_sum",)),
        ("payment_information.control_sum", "AM10", ("payment_informations", i, "control_sum")),
    ])
    assert {f.extra["expected"] for f in findings} == {
        str(declared.control_sum + sign * Decimal("0.01")),
        str(declared.payment_informations[i].control_sum + sign * Decimal("0.01"))}
