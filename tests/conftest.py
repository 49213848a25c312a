"""Suite-wide rules: nothing is skipped silently.

A test that cannot run here (a missing system component) must fail with a
message saying how to install it; a skip, if one ever happens, fails the run."""

from __future__ import annotations


def pytest_sessionfinish(session, exitstatus) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped and session.exitstatus == 0:
        reporter.write_line(f"{len(skipped)} test(s) skipped: the suite allows no skips", red=True)
        session.exitstatus = 1
