"""Hypothesis strategies for realistic canonical documents.

Every nested object carries at least one value, because an element with nothing
in it is not written (and so cannot come back as an empty object)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from gateway.domain import (Account, Agent, Balance, BankTransactionCode, CreditTransfer, Entry, EntryTransaction,
                            Money, Party, PaymentBatch, PaymentInformation, PaymentInformationStatus, PostalAddress,
                            Remittance, Report, ReportKind, ReturnInfo, Statement, StatusReason, StatusReport,
                            TransactionStatus, TransactionsSummary)

# Valid IBANs from the national examples of the SWIFT IBAN registry.
IBANS = ["DE89370400440532013000", "GB82WEST12345698765432", "NL91ABNA0417164300",
         "FR1420041010050500013M02606", "BE68539007547034", "ES9121000418450200051332", "CH9300762011623852957"]
CURRENCIES = {"EUR": 2, "USD": 2, "GBP": 2, "CHF": 2, "JPY": 0, "BHD": 3}

opt = st.none().__or__
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
word = st.text(ALNUM, min_size=1, max_size=12)
# Free text: letters beyond ASCII and the characters XML must escape, never blank at the edges.
text35 = st.text(ALNUM + " ÄÖÜäöüéèßñ&<>'.,:?+/()-", min_size=1, max_size=35).map(str.strip).filter(bool)
identifier = st.text(UPPER + "0123456789-", min_size=1, max_size=35)
bic = st.builds(lambda bank, ctry, loc, branch: bank + ctry + loc + branch,
                st.text(UPPER, min_size=4, max_size=4), st.sampled_from(["DE", "NL", "FR", "GB", "BE"]),
                st.sampled_from(["2A", "FF", "PP", "22"]), st.sampled_from(["", "XXX", "100"]))
digits = st.text("0123456789", min_size=1, max_size=4)
country = st.sampled_from(["DE", "NL", "FR", "GB", "BE", "ES", "CH"])
code4 = st.text(UPPER + "0123456789", min_size=4, max_size=4)
moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)).map(
    lambda d: d.replace(microsecond=0))
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))


@st.composite
def money(draw, currency: str | None = None) -> Money:
    ccy = currency or draw(st.sampled_from(sorted(CURRENCIES)))
    places = CURRENCIES[ccy]
    units = draw(st.integers(min_value=1, max_value=10 ** 11))
    return Money(Decimal(units).scaleb(-places), ccy)


def non_empty(strategy_of_kwargs, cls):
    return strategy_of_kwargs.filter(lambda kw: any(v not in (None, ()) for v in kw.values())).map(lambda kw: cls(**kw))


addresses = non_empty(st.fixed_dictionaries({
    "street_name": opt(text35), "building_number": opt(digits), "post_code": opt(digits), "town_name": opt(text35),
    "country": opt(country), "lines": st.lists(text35, max_size=2).map(tuple)}), PostalAddress)


@st.composite
def parties(draw) -> Party:
    org = draw(st.booleans())
    return Party(
        name=draw(text35),
        postal_address=draw(opt(addresses)),
        organisation_id=draw(opt(identifier)) if org else None,
        bic_or_bei=draw(opt(bic)) if org else None,
        lei=draw(opt(st.text(UPPER + "0123456789", min_size=18, max_size=18).map(lambda x: x + "42"))) if org else None,
        private_id=None if org else draw(opt(identifier)),
        country_of_residence=draw(opt(country)),
    )


@st.composite
def accounts(draw, *, with_owner: bool = False) -> Account:
    by_iban = draw(st.booleans())
    return Account(
        iban=draw(st.sampled_from(IBANS)) if by_iban else None,
        other_id=None if by_iban else draw(identifier)[:34],
        other_scheme=None if by_iban else draw(opt(st.just("BBAN"))),
        currency=draw(opt(st.sampled_from(["EUR", "USD", "GBP"]))),
        name=draw(opt(text35)),
        owner=draw(opt(parties())) if with_owner else None,
        servicer=draw(opt(agents())) if with_owner else None,
    )


@st.composite
def agents(draw) -> Agent:
    member = draw(opt(st.text("0123456789", min_size=8, max_size=8)))
    return Agent(bic=draw(bic) if member is None else draw(opt(bic)),
                 clearing_system=draw(opt(st.just("DEBLZ"))) if member else None,
                 clearing_member_id=member, name=draw(opt(text35)), country=draw(opt(country)))


@st.composite
def remittances(draw) -> Remittance:
    ref = draw(opt(st.text(UPPER + "0123456789", min_size=1, max_size=21).map(lambda x: "RF18" + x)))
    lines = draw(st.lists(text35, min_size=0 if ref else 1, max_size=1))
    kind = draw(opt(st.just("SCOR"))) if ref else None
    return Remittance(unstructured=tuple(lines), creditor_reference=ref, creditor_reference_type=kind,
                      creditor_reference_issuer=draw(opt(text35)) if kind else None)


charge_bearers = st.sampled_from(["SLEV", "SHAR", "DEBT", "CRED"])


@st.composite
def credit_transfers(draw, currency: str) -> CreditTransfer:
    return CreditTransfer(
        end_to_end_id=draw(identifier), amount=draw(money(currency)),
        instruction_id=draw(opt(identifier)),
        uetr=str(draw(st.uuids(version=4))) if draw(st.booleans()) else None,
        charge_bearer=draw(opt(charge_bearers)), creditor_agent=draw(opt(agents())),
        creditor=draw(parties()), creditor_account=draw(accounts()),
        ultimate_debtor=draw(opt(parties())), ultimate_creditor=draw(opt(parties())),
        purpose=draw(opt(code4)), category_purpose=draw(opt(code4)), remittance=draw(opt(remittances())))


@st.composite
def payment_batches(draw, max_blocks: int = 3, max_transactions: int = 4) -> PaymentBatch:
    blocks = []
    for i in range(draw(st.integers(1, max_blocks))):
        currency = draw(st.sampled_from(sorted(CURRENCIES)))
        txs = draw(st.lists(credit_transfers(currency), min_size=1, max_size=max_transactions))
        blocks.append(PaymentInformation(
            payment_information_id=f"{draw(identifier)[:30]}-{i}", requested_execution_date=draw(days),
            debtor=draw(parties()), debtor_account=draw(accounts()), debtor_agent=draw(agents()),
            transactions=tuple(txs), batch_booking=draw(opt(st.booleans())),
            instruction_priority=draw(opt(st.sampled_from(["NORM", "HIGH"]))),
            service_level=draw(opt(st.sampled_from(["SEPA", "URGP"]))),
            local_instrument=draw(opt(st.sampled_from(["INST", "CORE"]))),
            category_purpose=draw(opt(st.sampled_from(["SUPP", "SALA"]))),
            charge_bearer=draw(opt(charge_bearers)), ultimate_debtor=draw(opt(parties()))))
    batch = PaymentBatch(message_id=draw(identifier), creation_date_time=draw(moments),
                         initiating_party=draw(parties()), payment_informations=tuple(blocks))
    return batch.with_control_figures()


@st.composite
def bank_codes(draw) -> BankTransactionCode:
    if draw(st.booleans()):
        return BankTransactionCode(domain="PMNT", family=draw(st.sampled_from(["ICDT", "RCDT", "IDDT"])),
                                   sub_family=draw(st.sampled_from(["ESCT", "RRTN", "OTHR"])))
    return BankTransactionCode(proprietary=draw(word), proprietary_issuer=draw(opt(text35)))


@st.composite
def entry_transactions(draw, currency: str) -> EntryTransaction:
    returned = draw(st.booleans())
    return EntryTransaction(
        message_id=draw(opt(identifier)), account_servicer_reference=draw(opt(identifier)),
        payment_information_id=draw(opt(identifier)), instruction_id=draw(opt(identifier)),
        end_to_end_id=draw(identifier), uetr=str(draw(st.uuids(version=4))) if draw(st.booleans()) else None,
        amount=draw(opt(money(currency))), credit_debit=draw(opt(st.sampled_from(["CRDT", "DBIT"]))),
        bank_transaction_code=draw(opt(bank_codes())), debtor=draw(opt(parties())),
        debtor_account=draw(opt(accounts())), creditor=draw(opt(parties())),
        creditor_account=draw(opt(accounts())), ultimate_creditor=draw(opt(parties())),
        debtor_agent=draw(opt(agents())), creditor_agent=draw(opt(agents())),
        purpose=draw(opt(code4)), remittance=draw(opt(remittances())),
        return_info=ReturnInfo(reason=draw(code4), additional_info=tuple(draw(st.lists(text35, max_size=2))),
                               original_bank_transaction_code=draw(opt(bank_codes()))) if returned else None,
        additional_info=draw(opt(text35)))


@st.composite
def entries(draw, currency: str) -> Entry:
    return Entry(
        amount=draw(money(currency)), credit_debit=draw(st.sampled_from(["CRDT", "DBIT"])),
        status=draw(st.sampled_from(["BOOK", "PDNG"])), booking_date=draw(opt(days)),
        value_date=draw(opt(days)), entry_reference=draw(opt(identifier)), reversal=draw(opt(st.booleans())),
        account_servicer_reference=draw(opt(identifier)), bank_transaction_code=draw(bank_codes()),
        additional_info=draw(opt(text35)),
        transactions=tuple(draw(st.lists(entry_transactions(currency), max_size=2))))


@st.composite
def reports(draw, kind: ReportKind = ReportKind.STATEMENT) -> Report:
    statements = []
    for i in range(draw(st.integers(1, 2))):
        currency = draw(st.sampled_from(["EUR", "USD", "JPY"]))
        start = draw(moments)
        balances = tuple(Balance(type=t, amount=draw(money(currency)), credit_debit=draw(st.sampled_from(["CRDT", "DBIT"])),
                                 date=draw(days)) for t in ("OPBD", "CLBD"))
        statements.append(Statement(
            identification=f"{draw(identifier)[:30]}-{i}", account=draw(accounts(with_owner=True)),
            creation_date_time=draw(moments), electronic_sequence_number=draw(opt(st.integers(1, 10 ** 6))),
            legal_sequence_number=draw(opt(st.integers(1, 10 ** 6))),
            from_date_time=start, to_date_time=start + timedelta(hours=draw(st.integers(1, 48))),
            balances=balances,
            summary=draw(opt(st.builds(TransactionsSummary, number_of_entries=st.integers(0, 999),
                                       sum=st.decimals(min_value=0, max_value=10 ** 9, places=2)))),
            entries=tuple(draw(st.lists(entries(currency), max_size=3))),
            additional_info=draw(opt(text35))))
    return Report(kind=kind, message_id=draw(identifier), creation_date_time=draw(moments),
                  statements=tuple(statements), additional_info=draw(opt(text35)))


statuses = st.sampled_from(["ACCP", "ACSC", "ACSP", "ACTC", "PDNG", "RJCT", "PART", "RCVD"])
transaction_statuses = st.sampled_from(["ACCP", "ACSC", "ACSP", "ACTC", "PDNG", "RJCT"])  # no PART/RCVD per transaction
reasons = st.builds(StatusReason, code=st.sampled_from(["AC01", "AC04", "AM04", "DUPL", "FF01", "RC01"]),
                    additional_info=st.lists(text35, max_size=2).map(tuple), originator_name=opt(text35))


@st.composite
def status_reports(draw) -> StatusReport:
    blocks = tuple(PaymentInformationStatus(
        original_payment_information_id=draw(identifier), status=draw(opt(statuses)),
        reasons=tuple(draw(st.lists(reasons, max_size=1))),
        original_number_of_transactions=draw(opt(st.integers(1, 999))),
        transactions=tuple(TransactionStatus(
            original_end_to_end_id=draw(identifier), status=draw(transaction_statuses), status_id=draw(opt(identifier)),
            original_instruction_id=draw(opt(identifier)),
            original_uetr=str(draw(st.uuids(version=4))) if draw(st.booleans()) else None,
            reasons=tuple(draw(st.lists(reasons, max_size=2))), acceptance_date_time=draw(opt(moments)),
            original_amount=draw(opt(money())))
            for _ in range(draw(st.integers(0, 3)))))
        for _ in range(draw(st.integers(0, 2))))
    return StatusReport(
        message_id=draw(identifier), creation_date_time=draw(moments), original_message_id=draw(identifier),
        original_message_name_id=draw(st.sampled_from(["pain.001.001.03", "pain.001.001.09"])),
        group_status=draw(opt(statuses)), group_reasons=tuple(draw(st.lists(reasons, max_size=1))),
        original_number_of_transactions=draw(opt(st.integers(1, 999))),
        original_control_sum=draw(opt(st.decimals(min_value=1, max_value=10 ** 9, places=2))),
        initiating_party_name=draw(opt(text35)), payment_informations=blocks)
