"""The browser set-up works end to end: Debian's Chromium, through Selenium and the
system chromedriver, opens pages that a real ``gateway serve`` (migrated, demo-seeded
database) answers, and renders them the way a person would see them."""

from __future__ import annotations

import json

from selenium.webdriver.common.by import By

from gateway import __version__
from gateway.api.docs import load_spec
from tests.browser.conftest import browser_log, reset_browser

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_docs_page_renders_with_its_stylesheet(browser, live_server, tmp_path):
    browser.get(f"{live_server}/docs")
    assert browser.title == f"{load_spec()['info']['title']} {__version__} — API"
    heading = browser.find_element(By.TAG_NAME, "h1")
    assert heading.is_displayed() and heading.text
    assert "/validate" in browser.find_element(By.TAG_NAME, "nav").text
    # The inline stylesheet is allowed by its hash in the page's CSP: if the hash were wrong,
    # Chromium would refuse it and log a violation, and the page would render unstyled.
    body_font = browser.execute_script("return getComputedStyle(document.body).fontFamily")
    assert "system-ui" in body_font, body_font
    method = browser.find_element(By.CSS_SELECTOR, ".method.POST")
    assert method.value_of_css_property("background-color") in ("rgba(47, 133, 90, 1)", "rgb(47, 133, 90)")
    errors = [entry for entry in browser_log(browser) if entry["level"] == "SEVERE"]
    assert errors == [], errors
    shot = tmp_path / "docs.png"
    assert browser.save_screenshot(str(shot))
    data = shot.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 20_000, f"{shot}: {len(data)} bytes"


def test_health_and_openapi_link_in_the_browser(browser, live_server):
    browser.get(f"{live_server}/health")
    assert json.loads(browser.find_element(By.TAG_NAME, "body").text) == {"status": "ok", "version": __version__}
    browser.get(f"{live_server}/docs")
    browser.find_element(By.LINK_TEXT, "openapi.json").click()
    assert browser.current_url == f"{live_server}/openapi.json"
    document = json.loads(browser.find_element(By.TAG_NAME, "body").text)
    assert document["openapi"].startswith("3.") and "/health" in document["paths"]


def test_each_test_starts_without_cookies(browser, live_server):
    browser.get(f"{live_server}/health")
    browser.add_cookie({"name": "session", "value": "left-over", "path": "/"})
    assert browser.get_cookie("session") is not None
    reset_browser(browser)
    assert browser.current_url == "about:blank"
    browser.get(f"{live_server}/health")
    assert browser.get_cookies() == []


def test_the_server_runs_on_the_seeded_database(live_gateway, demo):
    """The live server's database holds the demo data the consent tests sign in with."""
    assert live_gateway.url.startswith("http://127.0.0.1:")
    assert demo.client_secret and demo.totp_secret and demo.username == "alice"
    assert f"{live_gateway.url}/demo/callback" in demo.redirect_uris
    assert f"serving on {live_gateway.url} (development profile, 1 workers)" in live_gateway.output()
