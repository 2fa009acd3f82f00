from __future__ import annotations

from pathlib import Path

import pytest

# ../shared/datasets beside the checkout (CI has it; a plain clone does not).
DATASETS = Path(__file__).resolve().parents[3] / ".." / "shared" / "datasets"


@pytest.fixture
def datasets() -> Path:
    if not DATASETS.is_dir():
        pytest.skip(
            f"real telemetry datasets not found at {DATASETS.resolve()} (../shared/datasets)"
        )
    return DATASETS
