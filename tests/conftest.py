"""Suite-wide: never test a compiled hot path that no longer matches its sources."""

from __future__ import annotations

import os

import pytest
from tests.fixtures.prometheus_history import prometheus_url  # noqa: F401  (session-wide)

from slo_scout import speedups


def pytest_sessionstart(session: pytest.Session) -> None:
    stale = speedups.stale()
    if stale:
        pytest.exit(
            f"the compiled hot path is older than its sources ({', '.join(stale)}): run "
            "`make compiled`, or `python scripts/compile-hot-path.py --clean` for pure Python",
            returncode=2,
        )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """Under CI (``CI=true``) a skipped test fails the run: a green CI means every real
    component (PostgreSQL, tansu, Flink, Milvus Lite, promtool, git, Chromium) really ran."""
    outcome = yield
    report = outcome.get_result()
    ci = os.environ.get("CI", "").lower() in {"true", "1", "yes"}
    if ci and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which must run every test: {reason}"
