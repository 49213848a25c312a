"""Browser tests: Debian's headless Chromium driven by Selenium against ``gateway serve``.

Fixtures:

* ``browser`` (session): one Chromium for the whole run (starting it is the slow
  part), through the system chromedriver (``/usr/bin/chromedriver``, the same
  Debian build as ``/usr/bin/chromium``, so versions always match and Selenium
  Manager never downloads anything).  A fresh temporary profile; every test
  starts on ``about:blank`` with no cookies and an empty cache (the autouse
  fixture below), so tests never see each other's sign-ins.
* ``live_gateway`` (session): the running :class:`~tests.browser.server.LiveGateway`
  (its own migrated, demo-seeded SQLite database; ``.url``, ``.demo``, ``.output()``).
* ``live_server`` (session): its base URL, ``http://127.0.0.1:<port>``.
* ``demo`` (session): the seeded :class:`~gateway.demo.DemoData` (client secret,
  alice's password and TOTP secret).
* ``browser_log(browser)``: the console messages since the last call (CSP
  violations show up there as SEVERE).

A missing Chromium or chromedriver fails the tests that need them (never a
skip) with the packages to install.  When a browser test fails, a screenshot
and the page source are saved next to it (in its pytest tmp folder) and named
in the failure report.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.server import LiveGateway

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
INSTALL_HINT = "install Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",  # the suite may run as root (CI containers), where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",  # no calls home: the tests run offline
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",  # containers have a tiny /dev/shm
    "--window-size=1280,1000",
    "--lang=en-US",
)
PAGE_LOAD_TIMEOUT_SECONDS = 30
TIMINGS: dict[str, float] = {}
"""Start-up times (seconds) of the browser and the server, printed at the end of the run."""


def chromium_options(profile: Path):
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # No speculative connections (a preconnected socket that never carries a request would hold
    # the single synchronous gunicorn worker until it times out).
    options.add_experimental_option("prefs", {"net.network_prediction_options": 2})
    return options


@pytest.fixture(scope="session")
def browser(live_gateway: LiveGateway, tmp_path_factory: pytest.TempPathFactory):
    # Depends on the server so that the server starts first and stops after the browser has quit:
    # Chromium holds idle (pre)connections to it, on which gunicorn's graceful stop would wait 20 s.
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.is_file()]
    if missing:
        pytest.fail(f"{' and '.join(missing)} not found: {INSTALL_HINT}", pytrace=False)
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service

    profile = Path(tempfile.mkdtemp(prefix="gateway-chromium-"))
    driver_log = tmp_path_factory.mktemp("chromedriver") / "chromedriver.log"
    started = time.monotonic()
    try:
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER), log_output=str(driver_log)),
                                  options=chromium_options(profile))
    except WebDriverException as exc:
        shutil.rmtree(profile, ignore_errors=True)
        log = driver_log.read_text(errors="replace")[-3000:] if driver_log.exists() else ""
        pytest.fail(f"Chromium did not start through {CHROMEDRIVER}: {exc.msg}\n{log}\n"
                    f"(is the package complete? {INSTALL_HINT})", pytrace=False)
    TIMINGS["browser start"] = time.monotonic() - started
    driver.set_page_load_timeout(PAGE_LOAD_TIMEOUT_SECONDS)
    driver.set_script_timeout(PAGE_LOAD_TIMEOUT_SECONDS)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(autouse=True)
def _fresh_browser_state(request: pytest.FixtureRequest) -> Iterator[None]:
    """Per test: no cookies, no cache, a blank page; on failure a screenshot and the page source."""
    if "browser" not in request.fixturenames:
        yield
        return
    driver = request.getfixturevalue("browser")
    # Asked for before the test runs: a test that uses tmp_path itself has it torn down before this
    # fixture's teardown, and asking for it only then fails with "fixture value not available".
    folder = request.getfixturevalue("tmp_path")
    reset_browser(driver)
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        try:
            driver.save_screenshot(str(folder / "failure.png"))
            (folder / "failure.html").write_text(driver.page_source, encoding="utf-8")
            report.sections.append(("browser", f"at {driver.current_url}; screenshot and page source in {folder}"))
        except Exception as exc:  # noqa: BLE001 - a broken browser must not hide the test's own failure
            report.sections.append(("browser", f"no screenshot: {exc}"))


def reset_browser(driver) -> None:
    """A blank page, no cookies of any origin (Selenium's delete_all_cookies only clears the
    current page's), an empty cache and an empty console log."""
    driver.get("about:blank")
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    driver.execute_cdp_cmd("Network.clearBrowserCache", {})
    browser_log(driver)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report


def browser_log(driver) -> list[dict]:
    """Console entries since the last call (level, message)."""
    return driver.get_log("browser")


@pytest.fixture(scope="session")
def live_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    gateway = LiveGateway(tmp_path_factory.mktemp("live-gateway"))
    try:
        gateway.start()
        TIMINGS.update({f"gateway {k}": v for k, v in gateway.timings.items()})
        yield gateway
    finally:
        gateway.stop()


@pytest.fixture(scope="session")
def live_server(live_gateway: LiveGateway) -> str:
    return live_gateway.url


@pytest.fixture(scope="session")
def demo(live_gateway: LiveGateway):
    return live_gateway.demo


def pytest_terminal_summary(terminalreporter) -> None:
    if TIMINGS:
        terminalreporter.write_line("browser tests, start-up: " + ", ".join(f"{k} {v:.2f}s" for k, v in
                                                                            TIMINGS.items()))
