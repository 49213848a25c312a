"""POST /validate: reports as JSON and JUnit, the body limit, and unusable documents."""

from __future__ import annotations

import io

import pytest
from lxml import etree

from gateway.api import create_app
from tests.api.conftest import BROKEN, PAIN001_03, PAIN002_10, TODAY, checked_client

XML = {"Content-Type": "application/xml"}
BROKEN_RULES = ["group.number_of_transactions", "group.control_sum", "iban.checksum", "amount.decimals",
                "duplicate.end_to_end_id", "sepa.charset"]


def post(client, body: bytes, query: str = "", headers=None):
    return client.post(f"/validate{query}", data=body, headers={**XML, **(headers or {})})


def test_valid_document(client):
    response = post(client, PAIN001_03.read_bytes(), f"?today={TODAY}")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.json == {"source": None, "message": "pain.001.001.03", "valid": True, "errors": 0,
                             "warnings": 0, "findings": []}


def test_text_xml_is_accepted(client):
    response = client.post(f"/validate?today={TODAY}", data=PAIN001_03.read_bytes(), content_type="text/xml; charset=utf-8")
    assert response.status_code == 200 and response.json["valid"] is True


def test_findings_are_a_successful_validation(client):
    response = post(client, BROKEN.read_bytes(), f"?profile=sepa&today={TODAY}")
    assert response.status_code == 200
    report = response.json
    assert report["valid"] is False and report["errors"] == 6
    assert [f["rule"] for f in report["findings"]] == BROKEN_RULES
    iban = report["findings"][2]
    assert iban["reason"] == "AC01" and iban["xpath"].endswith("/CdtrAcct/Id/IBAN")


def test_profile_switches_scheme_rules_on(client):
    rules = [f["rule"] for f in post(client, BROKEN.read_bytes(), f"?today={TODAY}").json["findings"]]
    assert "sepa.charset" not in rules and len(rules) == 5


def test_today_drives_the_date_rules(client):
    late = post(client, PAIN001_03.read_bytes(), "?today=2099-01-01").json
    assert {f["rule"] for f in late["findings"]} == {"execution_date.past"}
    assert {f["reason"] for f in late["findings"]} == {"DT01"}


def test_warnings_do_not_make_a_document_invalid(client):
    report = post(client, PAIN002_10.read_bytes(), f"?today={TODAY}").json
    assert report["valid"] is True and report["warnings"] == 1
    assert report["findings"][0]["rule"] == "schema.unavailable"


def test_nothing_is_kept_between_requests(client):
    """Validation changes nothing: the same body gets the same answer, before and after another."""
    first = post(client, BROKEN.read_bytes(), f"?today={TODAY}").json
    post(client, PAIN001_03.read_bytes(), f"?today={TODAY}")
    assert post(client, BROKEN.read_bytes(), f"?today={TODAY}").json == first


# --- JUnit ---------------------------------------------------------------------------------

def junit(response) -> etree._Element:
    assert response.status_code == 200 and response.mimetype == "application/xml"
    return etree.fromstring(response.data, etree.XMLParser(resolve_entities=False, no_network=True))


def test_junit_one_testcase_per_finding_failures_for_errors(client):
    root = junit(post(client, BROKEN.read_bytes(), f"?profile=sepa&today={TODAY}&format=junit"))
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == 6 and suite.get("tests") == "6" and suite.get("failures") == "6"
    assert root.get("failures") == "6" and suite.get("errors") == "0"
    assert [c.find("failure").get("type") for c in cases] == BROKEN_RULES
    iban = cases[2]
    assert iban.get("classname") == "pain.001.001.03.iban.checksum"
    assert iban.get("name") == "[AC01] /Document/CstmrCdtTrfInitn/PmtInf[1]/CdtTrfTxInf[1]/CdtrAcct/Id/IBAN"
    assert "IBAN check digits" in iban.find("failure").get("message")
    assert "value: DE89370400440532013001" in iban.find("failure").text
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props == {"message": "pain.001.001.03", "profile": "sepa", "today": TODAY}
    assert "Łukasz" in cases[5].find("failure").text  # non-ASCII survives


def test_junit_valid_document_has_one_passing_case(client):
    root = junit(post(client, PAIN001_03.read_bytes(), f"?today={TODAY}&format=junit"))
    (case,) = root.iter("testcase")
    assert case.get("name") == "valid" and len(case) == 0
    assert root.get("failures") == "0" and root.get("tests") == "1"


def test_junit_warnings_pass_with_their_message(client):
    root = junit(post(client, PAIN002_10.read_bytes(), f"?today={TODAY}&format=junit"))
    (case,) = root.iter("testcase")
    assert case.find("failure") is None
    assert case.find("system-out").text.startswith("WARNING: no official XSD of pain.002.001.10")


@pytest.mark.parametrize("accept", ["application/xml", "text/xml", "application/xml, application/json;q=0.5"])
def test_accept_xml_answers_junit(client, accept):
    root = junit(post(client, BROKEN.read_bytes(), f"?today={TODAY}", {"Accept": accept}))
    assert root.get("failures") == "5"


def test_format_parameter_wins_over_accept(client):
    response = post(client, BROKEN.read_bytes(), f"?today={TODAY}&format=json", {"Accept": "application/xml"})
    assert response.mimetype == "application/json" and response.json["errors"] == 5


def test_accept_json_or_anything_answers_json(client):
    for accept in ("application/json", "*/*", "application/json, application/xml;q=0.1"):
        assert post(client, BROKEN.read_bytes(), f"?today={TODAY}", {"Accept": accept}).mimetype == "application/json"


# --- refusals -----------------------------------------------------------------------------------

def problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.data
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert body["code"] == code and body["status"] == status
    assert body["type"] == f"https://iso20022-gateway.dev/problems/{code}"
    return body


@pytest.mark.parametrize("body, rule", [
    (b"this is not XML", "xml.not_xml"),
    (b"", "xml.empty"),
    (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><d>&b;</d>',
     "xml.dtd"),
    (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>', "xml.dtd"),
    (b"<Document><unclosed></Document>", "xml.syntax"),
])
def test_unusable_input_is_422_with_findings(client, body, rule):
    found = problem(post(client, body), 422, "invalid_input")
    assert [f["rule"] for f in found["findings"]] == [rule]
    assert found["findings"][0]["reason"] == "FF01"
    assert found["detail"].startswith("the document cannot be validated: ")
    assert "root:" not in found["detail"]  # the XXE target is never read, let alone echoed


def test_unknown_message_is_422_unsupported(client):
    found = problem(post(client, b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"><FIToFICstmrCdtTrf/>'
                                 b"</Document>"), 422, "unsupported_message")
    assert found["findings"][0]["rule"] == "unsupported_message"
    assert found["title"] == "Unsupported message"


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", None])
def test_wrong_media_type_is_415(client, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/validate", data=PAIN001_03.read_bytes(), headers=headers)
    body = problem(response, 415, "unsupported_media_type")
    assert "application/xml" in body["detail"]


@pytest.mark.parametrize("query, word", [("?today=yesterday", "today"), ("?today=2026-13-01", "today"),
                                         ("?format=pdf", "format")])
def test_bad_parameters_are_400(client, query, word):
    assert word in problem(post(client, PAIN001_03.read_bytes(), query), 400, "invalid_parameter")["detail"]


def test_unknown_profile_is_400_listing_the_known(client):
    body = problem(post(client, PAIN001_03.read_bytes(), "?profile=nope"), 400, "unknown_profile")
    assert "sepa" in body["detail"]


def test_unacceptable_accept_is_406(client):
    problem(post(client, PAIN001_03.read_bytes(), "", {"Accept": "application/pdf"}), 406, "not_acceptable")


class CountingStream(io.BytesIO):
    """Records how much of the body the server read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.consumed = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.consumed += len(chunk)
        return chunk

    readline = None  # type: ignore[assignment]  # a server must not go around read()


@pytest.fixture
def small_app_client(spec, tmp_path):
    yield from checked_client(create_app(max_body_bytes=1000, database_url=f"sqlite:///{tmp_path / 'g.db'}"), spec)


def test_too_large_is_413_before_the_body_is_read(small_app_client):
    stream = CountingStream(b"<" + b"x" * 5000)
    response = small_app_client.post("/validate", input_stream=stream, content_length=5001, headers=XML)
    body = problem(response, 413, "content_too_large")
    assert "5001 bytes" in body["detail"] and "1000" in body["detail"]
    assert stream.consumed == 0


def test_too_large_chunked_body_is_cut_off_at_the_limit(small_app_client):
    stream = CountingStream(b"<" + b"x" * 50_000)
    response = small_app_client.post("/validate", input_stream=stream, headers=XML,
                                     environ_overrides={"wsgi.input_terminated": True})
    problem(response, 413, "content_too_large")
    assert stream.consumed < 50_000


def test_body_at_the_limit_is_read(small_app_client):
    response = small_app_client.post("/validate", data=b"x" * 1000, headers=XML)
    problem(response, 422, "invalid_input")  # read and judged, not refused for its size
