"""SLO Scout: journeys from traces, SLOs from journeys."""

import os

if os.environ.get("SLO_SCOUT_PURE_PYTHON") == "1":
    from slo_scout import speedups

    speedups.use_sources()

__version__ = "0.1.0"
