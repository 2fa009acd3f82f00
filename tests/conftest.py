"""Suite-wide: never test a compiled hot path that no longer matches its sources."""

from __future__ import annotations

import pytest

from slo_scout import speedups


def pytest_sessionstart(session: pytest.Session) -> None:
    stale = speedups.stale()
    if stale:
        pytest.exit(
            f"the compiled hot path is older than its sources ({', '.join(stale)}): run "
            "`make compiled`, or `python scripts/compile-hot-path.py --clean` for pure Python",
            returncode=2,
        )
