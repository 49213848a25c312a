"""load_banks / read_bank: good files and every refusal, each naming the file and the key."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

from gateway.domain.rules import GENERIC
from gateway.routing import BankProfile, MappingDirectory, RoutingConfigError, load_banks, read_bank
from tests.routing.payments import ABN_BANK, COBA_BANK, MOCK_BANK, write

FULL = """
name = "Full Bank"
enabled = true
bics = ["MOCKNL2A", "MOCKDEFFXXX"]
currencies = ["EUR", "CHF"]

[[iban]]
country = "NL"
bank_code = "MOCK"

[[iban]]
country = "DE"
bank_code = "12345678"

[messages]
pain001 = ["pain.001.001.03", "pain.001.001.09"]
profile = "sepa"
structured_address = true
cross_border = false

[connector]
type = "iso20022-http"
base_url = "http://127.0.0.1:18090"
timeout_seconds = 5
[connector.auth]
user = "gateway"
"""


def test_a_full_file_is_read_key_by_key(tmp_path: Path):
    path = write(tmp_path, "full-bank", FULL)
    bank = read_bank(path)
    assert bank.id == "full-bank"
    assert bank.name == "Full Bank"
    assert bank.bics == ("MOCKNL2A", "MOCKDEFFXXX")
    assert bank.currencies == ("EUR", "CHF")
    assert bank.iban_codes == (("NL", "MOCK"), ("DE", "12345678"))
    assert bank.pain001_versions == ("pain.001.001.03", "pain.001.001.09")
    assert bank.preferred_pain001 == "pain.001.001.03"
    assert bank.rule_profile is not None and bank.rule_profile.name == "sepa"
    assert bank.rule_profile.currencies == frozenset({"EUR"})   # SEPA is euro only (EPC SCT rulebook)
    assert bank.is_sepa
    assert bank.structured_address is True
    assert bank.cross_border is False
    assert bank.connector_type == "iso20022-http"
    assert dict(bank.connector_settings) == {"base_url": "http://127.0.0.1:18090", "timeout_seconds": 5,
                                             "auth": {"user": "gateway"}}
    assert bank.enabled is True
    assert bank.source == path


def test_optional_keys_have_their_documented_defaults(tmp_path: Path):
    bank = read_bank(write(tmp_path, "abn", ABN_BANK))
    assert bank.enabled is True
    assert bank.rule_profile is None and bank.rules == GENERIC
    assert not bank.is_sepa
    assert bank.structured_address is False
    assert bank.cross_border is True
    assert dict(bank.connector_settings) == {}


def test_the_profile_and_its_settings_are_read_only(tmp_path: Path):
    bank = read_bank(write(tmp_path, "full", FULL))
    with pytest.raises(FrozenInstanceError):
        bank.name = "Other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        bank.connector_settings["base_url"] = "http://elsewhere"  # type: ignore[index]


def test_a_bic8_is_its_xxx_head_office_and_nothing_else(tmp_path: Path):
    bank = read_bank(write(tmp_path, "full", FULL))
    assert bank.has_bic("MOCKNL2A") and bank.has_bic("MOCKNL2AXXX")
    assert bank.has_bic("MOCKDEFF") and bank.has_bic("MOCKDEFFXXX")   # listed as BIC11 XXX
    assert not bank.has_bic("MOCKNL2A123")                             # a branch is another office
    assert not bank.has_bic("ABNANL2A") and not bank.has_bic(None)


def test_helpers_answer_from_the_file(tmp_path: Path):
    bank = read_bank(write(tmp_path, "full", FULL))
    assert bank.accepts_pain001("pain.001.001.09") and not bank.accepts_pain001("pain.001.001.11")
    assert bank.takes_currency("CHF") and not bank.takes_currency("USD")
    assert bank.holds_iban("NL41MOCK0000000001")
    assert not bank.holds_iban("NL91ABNA0417164300")
    assert not bank.holds_iban("NL41MOCK0000000002")   # check digits wrong: not an account at all


def test_load_banks_reads_every_toml_sorted_by_id_and_ignores_other_files(tmp_path: Path):
    write(tmp_path, "mock", MOCK_BANK)
    write(tmp_path, "abn", ABN_BANK)
    (tmp_path / "README.md").write_text("# not a bank\n", encoding="utf-8")
    assert [b.id for b in load_banks(tmp_path)] == ["abn", "mock"]


def test_an_empty_directory_has_no_banks(tmp_path: Path):
    assert load_banks(tmp_path) == ()


def test_a_disabled_bank_is_checked_then_left_out(tmp_path: Path):
    write(tmp_path, "abn", ABN_BANK)
    write(tmp_path, "mock", "enabled = false\n" + MOCK_BANK)
    assert [b.id for b in load_banks(tmp_path)] == ["abn"]
    both = load_banks(tmp_path, include_disabled=True)
    assert [(b.id, b.enabled) for b in both] == [("abn", True), ("mock", False)]
    write(tmp_path, "mock", "enabled = false\nfoo = 1\n" + MOCK_BANK)
    with pytest.raises(RoutingConfigError) as raised:
        load_banks(tmp_path)
    assert raised.value.key == "foo"


# --- refusals ----------------------------------------------------------------------------------

def _swap(old: str, new: str, text: str = ABN_BANK) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


REFUSALS = [
    # (what, file text, key named)
    ("unknown top-level key", "nmae = 'x'\n" + ABN_BANK, "nmae"),
    ("unknown key under [messages]", _swap("[messages]\n", "[messages]\ncross_boarder = false\n"),
     "messages.cross_boarder"),
    ("unknown key in [[iban]]", _swap('bank_code = "ABNA"', 'bank_code = "ABNA"\nbranch = "1"'), "iban[0].branch"),
    ("name missing", _swap('name = "ABN Test"\n', ""), "name"),
    ("name not a string", _swap('name = "ABN Test"', "name = 3"), "name"),
    ("name empty", _swap('name = "ABN Test"', 'name = "  "'), "name"),
    ("enabled not a boolean", "enabled = 'yes'\n" + ABN_BANK, "enabled"),
    ("bics not a list", _swap('bics = ["ABNANL2A"]', 'bics = "ABNANL2A"'), "bics"),
    ("BIC of 7 characters", _swap('bics = ["ABNANL2A"]', 'bics = ["ABNANL2"]'), "bics[0]"),
    ("BIC in lower case", _swap('bics = ["ABNANL2A"]', 'bics = ["abnanl2a"]'), "bics[0]"),
    ("BIC with no real country", _swap('bics = ["ABNANL2A"]', 'bics = ["ABNAQQ2A"]'), "bics[0]"),
    ("same office twice", _swap('bics = ["ABNANL2A"]', 'bics = ["ABNANL2A", "ABNANL2AXXX"]'), "bics[1]"),
    ("currencies missing", _swap('currencies = ["EUR", "USD"]\n', ""), "currencies"),
    ("currencies empty", _swap('currencies = ["EUR", "USD"]', "currencies = []"), "currencies"),
    ("not an ISO 4217 currency", _swap('currencies = ["EUR", "USD"]', 'currencies = ["EUR", "EURO"]'),
     "currencies[1]"),
    ("currency twice", _swap('currencies = ["EUR", "USD"]', 'currencies = ["EUR", "EUR"]'), "currencies[1]"),
    ("iban not an array of tables", _swap('[[iban]]\ncountry = "NL"\nbank_code = "ABNA"\n', "")
     .replace('currencies = ["EUR", "USD"]', 'currencies = ["EUR", "USD"]\niban = "NL"'), "iban"),
    ("country not in the IBAN registry", _swap('country = "NL"', 'country = "ZZ"'), "iban[0].country"),
    ("country without IBANs", _swap('country = "NL"', 'country = "US"'), "iban[0].country"),
    ("country in lower case", _swap('country = "NL"', 'country = "nl"'), "iban[0].country"),
    ("bank code too short for NL (4)", _swap('bank_code = "ABNA"', 'bank_code = "ABN"'), "iban[0].bank_code"),
    ("bank code in lower case", _swap('bank_code = "ABNA"', 'bank_code = "abna"'), "iban[0].bank_code"),
    ("bank code missing", _swap('bank_code = "ABNA"\n', ""), "iban[0].bank_code"),
    ("the same bank code twice", ABN_BANK + '[[iban]]\ncountry = "NL"\nbank_code = "ABNA"\n', "iban[1].bank_code"),
    ("neither IBAN codes nor BICs", _swap('[[iban]]\ncountry = "NL"\nbank_code = "ABNA"\n', "")
     .replace('bics = ["ABNANL2A"]\n', ""), "iban"),
    ("messages missing", _swap('[messages]\npain001 = ["pain.001.001.09", "pain.001.001.03"]\n', ""), "messages"),
    ("pain001 missing", _swap('pain001 = ["pain.001.001.09", "pain.001.001.03"]', 'profile = "sepa"'),
     "messages.pain001"),
    ("pain001 empty", _swap('pain001 = ["pain.001.001.09", "pain.001.001.03"]', "pain001 = []"),
     "messages.pain001"),
    ("a version the gateway cannot write", _swap('"pain.001.001.03"]', '"pain.001.001.11"]'),
     "messages.pain001[1]"),
    ("another message", _swap('pain001 = ["pain.001.001.09"', 'pain001 = ["pain.002.001.03"'),
     "messages.pain001[0]"),
    ("not a message id", _swap('pain001 = ["pain.001.001.09"', 'pain001 = ["pain.001.09"'),
     "messages.pain001[0]"),
    ("version twice", _swap('"pain.001.001.03"]', '"pain.001.001.09"]'), "messages.pain001[1]"),
    ("unknown rule profile", _swap("[messages]\n", '[messages]\nprofile = "sepa2"\n'), "messages.profile"),
    ("profile name leaving the directory", _swap("[messages]\n", '[messages]\nprofile = "../sepa"\n'),
     "messages.profile"),
    ("structured_address not a boolean", _swap("[messages]\n", '[messages]\nstructured_address = "no"\n'),
     "messages.structured_address"),
    ("cross_border not a boolean", _swap("[messages]\n", "[messages]\ncross_border = 1\n"),
     "messages.cross_border"),
    ("connector missing", _swap('[connector]\ntype = "sandbox"\n', ""), "connector"),
    ("connector type missing", _swap('type = "sandbox"', 'base_url = "http://x"'), "connector.type"),
    ("connector not a table", _swap('[connector]\ntype = "sandbox"\n', "")
     .replace('name = "ABN Test"', 'name = "ABN Test"\nconnector = "sandbox"'), "connector"),
]


@pytest.mark.parametrize(("what", "text", "key"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_bad_file_is_refused_naming_file_and_key(tmp_path: Path, what: str, text: str, key: str):
    path = write(tmp_path, "abn", text)
    with pytest.raises(RoutingConfigError) as raised:
        load_banks(tmp_path)
    error = raised.value
    assert error.code == "bank_config_invalid"
    assert error.file == path
    assert error.key == key
    assert str(path) in error.message and key in error.message


def test_the_good_file_the_refusals_start_from_loads(tmp_path: Path):
    write(tmp_path, "abn", ABN_BANK)
    assert [b.id for b in load_banks(tmp_path)] == ["abn"]


def test_a_file_that_is_not_toml_is_refused(tmp_path: Path):
    path = write(tmp_path, "abn", "name = \n")
    with pytest.raises(RoutingConfigError) as raised:
        load_banks(tmp_path)
    assert raised.value.file == path and raised.value.key is None
    assert "not valid TOML" in raised.value.message


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path):
    path = tmp_path / "abn.toml"
    path.write_bytes('name = "Caf\u00e9"\n'.encode("latin-1") + ABN_BANK.encode())
    with pytest.raises(RoutingConfigError) as raised:
        load_banks(tmp_path)
    assert raised.value.file == path and "UTF-8" in raised.value.message


@pytest.mark.parametrize("file_name", ["Mock Bank.toml", "MOCK.toml", "-mock.toml", "mock.bank.toml"])
def test_a_file_name_that_cannot_be_a_bank_id_is_refused(tmp_path: Path, file_name: str):
    (tmp_path / file_name).write_text(MOCK_BANK, encoding="utf-8")
    with pytest.raises(RoutingConfigError) as raised:
        load_banks(tmp_path)
    assert raised.value.file == tmp_path / file_name and raised.value.key is None


def test_a_missing_directory_is_refused(tmp_path: Path):
    with pytest.raises(RoutingConfigError) as raised:
        load_banks(tmp_path / "nowhere")
    assert raised.value.code == "bank_config_invalid"


def test_two_banks_claiming_one_iban_bank_code_are_refused(tmp_path: Path):
    write(tmp_path, "abn", ABN_BANK)
    second = write(tmp_path, "other", ABN_BANK.replace('bics = ["ABNANL2A"]', 'bics = ["RABONL2U"]'))
    with pytest.raises(RoutingConfigError) as raised:
        load_banks(tmp_path)
    assert raised.value.file == second and raised.value.key == "iban[0]"
    assert "'abn'" in raised.value.message


def test_two_banks_claiming_one_bic_office_are_refused(tmp_path: Path):
    write(tmp_path, "coba", COBA_BANK)
    # COBADEFFXXX is the head office COBADEFF already names
    second = write(tmp_path, "other", ABN_BANK.replace('bics = ["ABNANL2A"]', 'bics = ["COBADEFFXXX"]'))
    with pytest.raises(RoutingConfigError) as raised:
        load_banks(tmp_path)
    assert raised.value.file == second and raised.value.key == "bics[0]"


def test_a_disabled_bank_may_share_codes_with_the_enabled_one(tmp_path: Path):
    write(tmp_path, "abn", ABN_BANK)
    write(tmp_path, "abn-old", "enabled = false\n" + ABN_BANK)
    assert [b.id for b in load_banks(tmp_path)] == ["abn"]
    with pytest.raises(RoutingConfigError):
        load_banks(tmp_path, include_disabled=True)


# --- rule profiles and versions come from the mappings directory -------------------------------

def _mappings(tmp_path: Path, profile_text: str) -> MappingDirectory:
    root = tmp_path / "mappings"
    (root / "profiles").mkdir(parents=True)
    (root / "pain.001.001.09.yaml").write_text("message: pain.001.001.09\n", encoding="utf-8")
    (root / "profiles" / "house.yaml").write_text(profile_text, encoding="utf-8")
    return MappingDirectory(root)


def test_a_bank_profile_is_read_from_the_mappings_directory(tmp_path: Path):
    mappings = _mappings(tmp_path, "name: house\nrequire_bic: true\ncurrencies: [EUR]\n")
    banks_dir = tmp_path / "banks"
    banks_dir.mkdir()
    write(banks_dir, "abn", ABN_BANK.replace('"pain.001.001.09", "pain.001.001.03"', '"pain.001.001.09"')
          .replace("[messages]\n", '[messages]\nprofile = "house"\n'))
    (bank,) = load_banks(banks_dir, mappings=mappings)
    assert bank.rule_profile is not None
    assert (bank.rule_profile.name, bank.rule_profile.require_bic) == ("house", True)
    assert not bank.is_sepa


def test_a_profile_that_does_not_load_is_refused(tmp_path: Path):
    mappings = _mappings(tmp_path, "name: house\nrequire_bics: true\n")   # a typo in a rule key
    banks_dir = tmp_path / "banks"
    banks_dir.mkdir()
    write(banks_dir, "abn", ABN_BANK.replace('"pain.001.001.09", "pain.001.001.03"', '"pain.001.001.09"')
          .replace("[messages]\n", '[messages]\nprofile = "house"\n'))
    with pytest.raises(RoutingConfigError) as raised:
        load_banks(banks_dir, mappings=mappings)
    assert raised.value.key == "messages.profile" and "require_bics" in raised.value.message


def test_versions_are_the_ones_with_a_mapping_file(tmp_path: Path):
    mappings = _mappings(tmp_path, "name: house\n")
    assert mappings.versions() == frozenset({"pain.001.001.09"})
    banks_dir = tmp_path / "banks"
    banks_dir.mkdir()
    write(banks_dir, "abn", ABN_BANK)   # also names pain.001.001.03, which this directory cannot write
    with pytest.raises(RoutingConfigError) as raised:
        load_banks(banks_dir, mappings=mappings)
    assert raised.value.key == "messages.pain001[1]"


def test_the_repository_mappings_write_pain001_03_and_09():
    # README, "Messages": pain.001 versions written and read: 001.03, 001.09
    assert MappingDirectory().versions() == frozenset({"pain.001.001.03", "pain.001.001.09"})


def test_bank_profile_is_a_frozen_slotted_value():
    assert "__slots__" in BankProfile.__dict__
