"""``python -m slo_scout_collectors``: the collector, configured from the environment."""

from slo_scout_collectors.server import run
from slo_scout_collectors.settings import CollectorSettings

if __name__ == "__main__":
    run(CollectorSettings())
