"""The operation specs (mappings/operations/*.yaml) and their schemas load, agree with
each other, and a wrong spec is refused when it is loaded, naming the file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gateway.mapping.operations import OPERATIONS, OperationCatalog, OperationSpecError, plan, validate_request
from gateway.mapping.operations.catalog import SCHEMA_DIR, SPEC_DIR
from gateway.mapping.operations.sources import ConsentAccount, HolderAccount, RequestParty, WalletAccount
from gateway.mapping.operations.schemas import SchemaStore
from gateway.mapping.operations.spec import Defaults, parse_spec
from tests.mapping.helpers import SETTLEMENT, SHOP_NL_IBAN, context, counter

PAY = {"operation": "pay", "debtor": {"wallet": "settlement"}, "creditor": {"request": "merchant"},
       "defaults": {"purpose": "GDSV"}}


def test_the_five_operations():
    assert set(OPERATIONS) == {"pay", "transfer", "top-up", "withdraw", "bulk-payout"}


def test_each_spec_says_whose_accounts_and_which_codes():
    specs = OperationCatalog().specs
    assert (specs["pay"].debtor, specs["pay"].creditor) == (WalletAccount("settlement"), RequestParty("merchant"))
    assert (specs["transfer"].debtor, specs["transfer"].creditor) == (ConsentAccount("debtor_iban"),
                                                                      RequestParty("creditor"))
    assert (specs["top-up"].debtor, specs["top-up"].creditor) == (ConsentAccount("debtor_iban"),
                                                                  WalletAccount("collection"))
    assert specs["withdraw"].creditor == HolderAccount(party="creditor", iban="account_iban", name="account_name")
    assert (specs["bulk-payout"].each, specs["bulk-payout"].debtor) == ("payments", WalletAccount("settlement"))
    assert specs["pay"].defaults == Defaults(purpose="GDSV")
    assert specs["bulk-payout"].defaults == Defaults(category_purpose="SUPP")
    assert specs["top-up"].defaults == specs["withdraw"].defaults == Defaults()


@pytest.mark.parametrize("change, words", [
    ({"colour": "red"}, "unknown key(s) colour"),
    ({"debtor": {"request": "merchant"}}, "a debtor is never taken from the request"),
    ({"debtor": {"holder": {"party": "p", "iban": "i", "name": "n"}}}, "a debtor is never taken from the request"),
    ({"creditor": {"wallet": "settlement", "request": "merchant"}}, "creditor must be one of"),
    ({"creditor": {"holder": {"party": "creditor", "iban": "account_iban"}}}, "needs exactly party, iban and name"),
    ({"creditor": {"request": "Merchant"}}, "must name a request field"),
    ({"defaults": {"purpose": "gdsv"}}, "defaults.purpose: 'gdsv' is not a valid code"),
    ({"defaults": {"charge_bearer": "BOTH"}}, "defaults.charge_bearer"),
    ({"defaults": {"category": "SUPP"}}, "unknown default(s) category"),
    ({"operation": "Pay"}, "lower-case name"),
    ({"each": 3}, "each must name a request field"),
])
def test_a_wrong_spec_is_refused(change, words):
    with pytest.raises(OperationSpecError) as caught:
        parse_spec({**PAY, **change}, source="pay.yaml", expected_name="pay")
    assert caught.value.code == "invalid_operation_spec"
    assert caught.value.message.startswith("pay.yaml: ") and words in caught.value.message


def test_the_operation_is_its_file_name():
    with pytest.raises(OperationSpecError, match="must match the file name 'payment'"):
        parse_spec(PAY, source="payment.yaml", expected_name="payment")


@pytest.fixture
def copies(tmp_path: Path) -> tuple[Path, Path]:
    specs, schemas = tmp_path / "specs", tmp_path / "schemas"
    shutil.copytree(SPEC_DIR, specs)
    shutil.copytree(SCHEMA_DIR, schemas)
    return specs, schemas


def test_a_spec_naming_a_field_its_schema_lacks_is_refused(copies):
    specs, schemas = copies
    text = (specs / "transfer.yaml").read_text().replace("consent: debtor_iban", "consent: debtr_iban")
    (specs / "transfer.yaml").write_text(text)
    with pytest.raises(OperationSpecError, match=r"transfer.yaml: request field\(s\) debtr_iban are not in transfer.json"):
        OperationCatalog(specs, schemas)


def test_a_spec_without_its_schema_is_refused(copies):
    specs, schemas = copies
    (schemas / "withdraw.json").unlink()
    with pytest.raises(OperationSpecError, match="no schema withdraw.json"):
        OperationCatalog(specs, schemas)


def test_a_schema_with_the_wrong_id_is_refused(copies):
    specs, schemas = copies
    schema = json.loads((schemas / "pay.json").read_text())
    schema["$id"] = "urn:gateway:operations:payment"
    (schemas / "pay.json").write_text(json.dumps(schema))
    with pytest.raises(OperationSpecError, match="pay.json: \\$id must be 'urn:gateway:operations:pay'"):
        OperationCatalog(specs, schemas)


def test_a_schema_that_is_not_json_schema_is_refused(copies):
    specs, schemas = copies
    (schemas / "top-up.json").write_text(json.dumps({"$id": "urn:gateway:operations:top-up", "type": "objekt"}))
    with pytest.raises(OperationSpecError, match="top-up.json: not a valid JSON Schema"):
        OperationCatalog(specs, schemas)


def test_a_new_operation_is_a_data_change(copies):
    """A 'donate' operation (the wallet pays a charity named in the request, purpose CHAR)
    needs a YAML file and a schema, and no Python."""
    specs, schemas = copies
    (specs / "donate.yaml").write_text("operation: donate\ndebtor: {wallet: settlement}\n"
                                       "creditor: {request: charity}\ndefaults: {purpose: CHAR}\n")
    schema = json.loads((schemas / "pay.json").read_text())
    schema["$id"] = "urn:gateway:operations:donate"
    schema["properties"]["charity"] = schema["properties"].pop("merchant")
    schema["required"] = ["amount", "currency", "charity"]
    (schemas / "donate.json").write_text(json.dumps(schema))
    catalog = OperationCatalog(specs, schemas)
    assert "donate" in catalog.names
    body = {"amount": "25.00", "currency": "EUR", "charity": {"name": "Stichting Voedselbank", "iban": SHOP_NL_IBAN}}
    validate_request("donate", body, catalog=catalog)
    [planned] = plan("donate", body, context(), new_end_to_end_id=counter("E2E"), catalog=catalog)
    assert planned.debtor == SETTLEMENT
    assert (planned.transfer.creditor.name, planned.transfer.purpose) == ("Stichting Voedselbank", "CHAR")


def test_a_ref_and_its_siblings_both_hold_after_inlining(tmp_path):
    """Validation inlines $refs for speed; a sibling that repeats a keyword of the target
    must not replace it (2020-12: a $ref and its siblings all apply)."""
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "urn:gateway:operations:probe",
              "type": "object", "properties": {"code": {"$ref": "#/$defs/short", "maxLength": 5, "pattern": "^[A-Z]+$"}},
              "$defs": {"short": {"type": "string", "maxLength": 3}}}
    (tmp_path / "probe.json").write_text(json.dumps(schema))
    store = SchemaStore(tmp_path)
    assert [f.location for f in store.findings("probe", {"code": "ABCD"})] == [("code",)]   # the target's 3
    assert [f.location for f in store.findings("probe", {"code": "ab"})] == [("code",)]     # the sibling's pattern
    assert store.findings("probe", {"code": "ABC"}) == []
