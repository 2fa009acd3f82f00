"""What an incident cost each SLO of its journey: bad requests, burn rate, budget consumed.

An SLO with objective ``o`` (a percentage, as stored) over ``window_days`` allows
``a = 1 - o / 100`` of the requests of that period to be bad: its error budget. In an incident
window with ``bad`` of ``total`` requests bad, the burn rate is ``(bad / total) / a`` (1: the
budget lasts exactly the period) and the budget consumed is ``bad / (a * requests of the
period)``. The requests of the period
are the stored ones of the ``window_days`` before the incident's end, scaled up to the whole
period when less history is stored.

Severity follows the burn rate with the multiwindow alerting thresholds of the SRE workbook:
14.4 (2% of a 30-day budget in an hour) pages as high, 6 (5% in six hours) as medium, above 1
(burning faster than the budget allows) low, else none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

BURN_BANDS: tuple[tuple[float, str], ...] = ((14.4, "high"), (6.0, "medium"), (1.0, "low"))
SEVERITY_ORDER = ("none", "low", "medium", "high")


@dataclass(frozen=True, slots=True)
class SloBurn:
    slo_id: int
    name: str
    sli_kind: str
    objective: float
    bad: int
    total: int
    burn_rate: float
    budget_consumed: float | None

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.slo_id, "name": self.name, "sli_kind": self.sli_kind,
            "objective": self.objective, "bad": self.bad, "total": self.total,
            "burn_rate": round(self.burn_rate, 3),
            "budget_consumed": None if self.budget_consumed is None
            else round(self.budget_consumed, 6),
        }


def slo_burn(slo_id: int, name: str, sli_kind: str, objective: float, *, bad: int, total: int,
             period_requests: float) -> SloBurn:
    allowed = 1.0 - objective / 100.0
    ratio = bad / total if total else 0.0
    burn_rate = ratio / allowed if allowed > 0 else (0.0 if bad == 0 else float("inf"))
    budget = allowed * period_requests
    consumed = bad / budget if budget > 0 else None
    return SloBurn(slo_id, name, sli_kind, objective, bad, total, burn_rate, consumed)


def burn_severity(burns: Sequence[SloBurn]) -> str:
    worst = max((b.burn_rate for b in burns), default=0.0)
    return next((name for floor, name in BURN_BANDS if worst >= floor), "none")
