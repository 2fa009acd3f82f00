"""Fixtures for journey tests: the shared real-data folder, skipped cleanly when absent."""

from __future__ import annotations

from pathlib import Path

import pytest

DATASETS = Path(__file__).resolve().parents[3].parent / "shared" / "datasets"


@pytest.fixture(scope="session")
def datasets() -> Path:
    if not DATASETS.is_dir():
        pytest.skip(f"real telemetry not available: {DATASETS} is absent (present in CI)")
    return DATASETS
