"""What the Flink job tests need on this machine: PyFlink and the Kafka connector jars."""

from __future__ import annotations

from pathlib import Path

import pytest
from slo_scout_streaming.journey_job import JARS as JAR_NAMES

JARS = Path(__file__).resolve().parents[2] / ".cache" / "flink-jars"


def need_flink() -> None:
    pytest.importorskip("pyflink", reason="PyFlink not installed (scripts/install-pyflink.sh)")
    if not all((JARS / name).exists() for name in JAR_NAMES):
        pytest.skip("Kafka connector jars missing (scripts/fetch-flink-jars.sh)")
