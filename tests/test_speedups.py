"""The compiled hot path: present after `make`, current, and optional (SLO_SCOUT_PURE_PYTHON)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from slo_scout import speedups

_WHERE = "import slo_scout.core.journeys.assembly as m; print(m.__file__)"


def _origin(env: dict[str, str]) -> str:
    out = subprocess.run([sys.executable, "-c", _WHERE], env=env, capture_output=True, text=True,
                         check=True)
    return out.stdout.strip()


def test_the_make_build_compiles_every_hot_module_from_the_current_sources() -> None:
    if os.environ.get("SLO_SCOUT_PURE_PYTHON") == "1":
        pytest.skip("this run tests the pure Python sources")
    assert speedups.compiled() == list(speedups.MODULES)
    assert speedups.stale() == []
    assert speedups.in_use() == list(speedups.MODULES)
    assert _origin(dict(os.environ)).endswith(".so")


def test_pure_python_mode_imports_the_sources_even_when_compiled() -> None:
    env = {**os.environ, "SLO_SCOUT_PURE_PYTHON": "1"}
    assert _origin(env) == str(speedups.source("slo_scout.core.journeys.assembly"))
    if os.environ.get("SLO_SCOUT_PURE_PYTHON") == "1":  # this process is make test's pure run
        assert speedups.in_use() == []


def test_the_digest_covers_every_hot_source(tmp_path) -> None:
    for module in speedups.MODULES:
        copy = speedups.source(module, tmp_path)
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_bytes(speedups.source(module).read_bytes())
    assert speedups.digest(tmp_path) == speedups.digest()
    for module in speedups.MODULES:
        copy = speedups.source(module, tmp_path)
        original = copy.read_bytes()
        copy.write_bytes(original + b"\n# edited\n")
        assert speedups.digest(tmp_path) != speedups.digest(), module
        copy.write_bytes(original)
