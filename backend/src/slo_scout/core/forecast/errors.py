"""What the forecast core refuses."""

from __future__ import annotations

from slo_scout.core.errors import SloScoutError


class InsufficientHistory(SloScoutError):
    """Too few steps with traffic to fit a band: ``have`` of the ``need``ed."""

    hint = "collect more history or use a smaller step"

    def __init__(self, have: int, need: int) -> None:
        super().__init__(f"{have} steps with traffic, a band needs {need}")
        self.have = have
        self.need = need
