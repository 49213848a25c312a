"""Router: a payment goes to the bank holding the debtor's account, by IBAN country and
national bank code (or by BIC for an account without IBAN); NoRoute names the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.domain.parties import Account, Agent
from gateway.routing import MixedRoutes, NoRoute, Router, RoutingConfigError, UnknownBank, read_bank
from tests.routing.payments import (
    ABN_BANK, COBA_BANK, DE_COBA, FR_IBAN, GB_NWBK, MOCK_BANK, NL_ABNA, NL_MOCK, NL_MOCK_NOT_HELD, NWBK_BANK,
    batch, block, write,
)


@pytest.fixture
def router(tmp_path: Path) -> Router:
    for bank_id, text in (("abn", ABN_BANK), ("coba", COBA_BANK), ("natwest", NWBK_BANK), ("mock", MOCK_BANK)):
        write(tmp_path, bank_id, text)
    return Router.from_directory(tmp_path)


@pytest.mark.parametrize(("iban", "bank_id"), [
    (NL_ABNA, "abn"),             # NL91 ABNA 0417164300: bank code ABNA
    (DE_COBA, "coba"),            # DE89 37040044 0532013000: Bankleitzahl 37040044
    (GB_NWBK, "natwest"),         # GB29 NWBK 601613 31926819: bank code NWBK (the sort code is the branch)
    (NL_MOCK, "mock"),            # NL41 MOCK 0000000001
    (NL_MOCK_NOT_HELD, "mock"),   # another account under the same bank code goes to the same bank
])
def test_an_account_is_routed_by_iban_country_and_bank_code(router: Router, iban: str, bank_id: str):
    assert router.route(Account(iban=iban)).id == bank_id


def test_an_account_no_bank_holds_has_no_route(router: Router):
    with pytest.raises(NoRoute) as raised:
        router.route(Account(iban=FR_IBAN))
    error = raised.value
    assert error.code == "no_bank_for_account"
    (finding,) = error.findings
    assert (finding.rule, finding.reason, finding.location, finding.value) == (
        "routing.no_bank", "RC03", ("debtor_account", "iban"), FR_IBAN)
    assert "20041" in finding.message   # FR14 20041 01005 ...: the French bank code


def test_a_wrong_iban_has_no_route_and_says_why(router: Router):
    wrong = NL_ABNA[:-1] + "1"   # last digit changed: mod 97 no longer 1
    with pytest.raises(NoRoute) as raised:
        router.route(Account(iban=wrong))
    (finding,) = raised.value.findings
    assert (finding.rule, finding.reason, finding.location) == ("iban.checksum", "AC01", ("debtor_account", "iban"))


def test_the_location_prefix_is_the_callers(router: Router):
    with pytest.raises(NoRoute) as raised:
        router.route(Account(iban=FR_IBAN), at=("payment_informations", 2, "debtor_account"))
    assert raised.value.findings[0].location == ("payment_informations", 2, "debtor_account", "iban")


def test_an_account_without_iban_is_routed_by_its_servicer_bic(router: Router):
    account = Account(other_id="123456", servicer=Agent(bic="COBADEFFXXX"))   # the file says COBADEFF
    assert router.route(account).id == "coba"
    account = Account(other_id="123456", servicer=Agent(bic="NWBKGB2L"))       # the file says NWBKGB2LXXX
    assert router.route(account).id == "natwest"


def test_an_account_without_iban_or_servicer_is_routed_by_the_debtor_agent(router: Router):
    assert router.route(Account(other_id="123456"), agent=Agent(bic="MOCKNL2A")).id == "mock"


def test_an_unknown_bic_has_no_route(router: Router):
    with pytest.raises(NoRoute) as raised:
        router.route(Account(other_id="1", servicer=Agent(bic="RABONL2U")))
    (finding,) = raised.value.findings
    assert (finding.reason, finding.location, finding.value) == ("RC03", ("debtor_account", "servicer", "bic"),
                                                                 "RABONL2U")
    with pytest.raises(NoRoute) as raised:
        router.route(Account(other_id="1"), agent=Agent(bic="RABONL2U"), at=("payment_informations", 0,
                                                                            "debtor_account"))
    assert raised.value.findings[0].location == ("payment_informations", 0, "debtor_agent", "bic")


def test_an_account_with_nothing_to_route_by_has_no_route(router: Router):
    with pytest.raises(NoRoute) as raised:
        router.route(Account(other_id="123456"))
    (finding,) = raised.value.findings
    assert (finding.rule, finding.reason, finding.location) == ("routing.no_identifier", "RC03",
                                                                ("debtor_account", "iban"))


def test_a_block_is_routed_with_its_own_location(router: Router):
    info = block(iban=GB_NWBK, bic="NWBKGB2L")
    assert router.route_information(info, index=1).id == "natwest"
    with pytest.raises(NoRoute) as raised:
        router.route_information(block(iban=FR_IBAN, bic=None), index=3)
    assert raised.value.findings[0].location == ("payment_informations", 3, "debtor_account", "iban")


def test_a_batch_goes_to_the_one_bank_of_its_blocks(router: Router):
    both = batch(block(iban=NL_MOCK, bic="MOCKNL2A"), block(iban=NL_MOCK_NOT_HELD, bic=None, pmtinf_id="PMT-2"))
    assert router.route_batch(both).id == "mock"


def test_a_batch_spanning_banks_must_be_split(router: Router):
    mixed = batch(block(iban=NL_MOCK), block(iban=NL_ABNA, pmtinf_id="PMT-2"), block(iban=NL_MOCK, pmtinf_id="P3"))
    with pytest.raises(MixedRoutes) as raised:
        router.route_batch(mixed)
    assert raised.value.code == "batch_spans_banks"
    assert [f.location for f in raised.value.findings] == [("payment_informations", 1, "debtor_account")]


def test_a_batch_lists_every_block_without_a_route(router: Router):
    lost = batch(block(iban=FR_IBAN), block(iban=NL_ABNA, pmtinf_id="PMT-2"), block(iban=FR_IBAN, pmtinf_id="P3"))
    with pytest.raises(NoRoute) as raised:
        router.route_batch(lost)
    assert [f.location for f in raised.value.findings] == [
        ("payment_informations", 0, "debtor_account", "iban"), ("payment_informations", 2, "debtor_account", "iban")]


def test_banks_by_id(router: Router):
    assert router.bank("coba").name == "Coba Test"
    assert [b.id for b in router.banks] == ["abn", "coba", "mock", "natwest"]
    with pytest.raises(UnknownBank) as raised:
        router.bank("sandbox")
    assert raised.value.code == "unknown_bank"


def test_a_disabled_bank_is_not_routed_to(tmp_path: Path):
    write(tmp_path, "abn", ABN_BANK)
    write(tmp_path, "mock", "enabled = false\n" + MOCK_BANK)
    router = Router.from_directory(tmp_path)
    with pytest.raises(NoRoute):
        router.route(Account(iban=NL_MOCK))
    with pytest.raises(UnknownBank):
        router.bank("mock")


def test_a_router_refuses_banks_that_claim_one_route(tmp_path: Path):
    first = read_bank(write(tmp_path, "abn", ABN_BANK))
    second = read_bank(write(tmp_path, "abn-copy", ABN_BANK))
    with pytest.raises(RoutingConfigError):
        Router([first, second])
