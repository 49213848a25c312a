"""Fixtures of the web-service tests.

``client`` is Flask's test client with one addition: every response it receives
is checked against the OpenAPI document (see ``openapi_check``), and the test
that received a mismatching response fails at teardown with the list.  So the
"real responses match the document" test is the whole suite, not a sample.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient
from werkzeug.exceptions import HTTPException

from gateway.api import create_app
from gateway.api.docs import load_spec
from gateway.config import Settings
from tests.api.openapi_check import ResponseChecker

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
PAIN001_03 = DATA / "pain.001" / "epc-sct-pain.001.001.03.xml"
PAIN002_10 = DATA / "pain.002" / "mock-bank-pain.002.001.10.xml"
BROKEN = ROOT / "examples" / "broken-pain.001.xml"
TODAY = "2026-11-23"  # the samples' execution dates are valid on this day (and on no day after the 25th)


class CheckedClient(FlaskClient):
    """A test client that checks each response against the OpenAPI document."""

    checker: ResponseChecker
    mismatches: list[str]

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        request = response.request
        try:
            rule, _ = self.application.url_map.bind("localhost").match(request.path, request.method, return_rule=True)
            rule = rule.rule
        except HTTPException:
            rule = None
        found = self.checker.check(request.method, rule, response.status_code, response.content_type or "",
                                   response.get_data(), response.headers)
        self.mismatches += [f"{request.method} {request.full_path.rstrip('?')}: {m}" for m in found]
        return response


@pytest.fixture(scope="session")
def spec() -> dict:
    return load_spec()


@pytest.fixture
def settings(tmp_path) -> Settings:
    """The shipped config/gateway.toml with no GATEWAY_* variables (the development profile),
    on a database of the test's own rather than the developer's var/gateway.db."""
    return Settings.load(env={}).with_overrides(database_url=f"sqlite:///{tmp_path / 'gateway.db'}")


@pytest.fixture
def app(settings):
    return create_app(settings)


def checked_client(app, spec: dict):
    """A test client of ``app`` that fails the test at teardown on any response the document does not describe."""
    app.test_client_class = CheckedClient
    client = app.test_client()
    client.checker = ResponseChecker(spec)
    client.mismatches = []
    yield client
    assert not client.mismatches, "responses that do not match the OpenAPI document:\n" + "\n".join(client.mismatches)


@pytest.fixture
def client(app, spec):
    yield from checked_client(app, spec)
