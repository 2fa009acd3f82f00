"""What the Flink job tests need on this machine: PyFlink and the Kafka connector jars.

The jars are read where the job looks for them by default (inside the installation, put there
by ``scripts/fetch-flink-jars.sh``), so the tests prove the default works.
"""

from __future__ import annotations

import pytest
from slo_scout_streaming.journey_job import JARS as JAR_NAMES
from slo_scout_streaming.settings import default_jars_dir

JARS = default_jars_dir()


def need_flink() -> None:
    pytest.importorskip("pyflink", reason="PyFlink not installed (scripts/install-pyflink.sh)")
    if not all((JARS / name).exists() for name in JAR_NAMES):
        pytest.skip("Kafka connector jars missing (scripts/fetch-flink-jars.sh)")
