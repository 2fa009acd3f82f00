"""AS@k over labelled faults: is the injected service among the first k suspects?

The labels reach this module only, never an investigation. "Service plus kind" also asks that
the suspect's kind matches the injected fault's (:data:`KINDS_OF_FAULT`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from slo_scout.core.rca.model import FaultKind, Suspect

KS = (1, 3, 5)
# The fault types of the Nezha recordings (and ChaosMesh's names) -> the kinds that describe them.
KINDS_OF_FAULT: dict[str, frozenset[FaultKind]] = {
    "return": frozenset({"code"}),
    "exception": frozenset({"code"}),
    "cpu_contention": frozenset({"cpu"}),
    "cpu_consumed": frozenset({"cpu"}),
    "cpu": frozenset({"cpu"}),
    "memory": frozenset({"memory"}),
    "mem": frozenset({"memory"}),
    "network_delay": frozenset({"network", "latency"}),
    "delay": frozenset({"network", "latency"}),
    "latency": frozenset({"network", "latency"}),
    # The simulator's incident kinds (core/simulate/faults.py): slower own work is latency.
    "error_burst": frozenset({"code"}),
    "latency_regression": frozenset({"latency"}),
}


def position(
    suspects: Sequence[Suspect], service: str, fault_type: str | None = None
) -> int | None:
    """1-based rank of the first suspect naming ``service`` (and a matching kind), else None."""
    kinds = KINDS_OF_FAULT.get(fault_type or "", frozenset()) if fault_type else None
    for i, suspect in enumerate(suspects, start=1):
        if suspect.service == service and (kinds is None or suspect.kind in kinds):
            return i
    return None


@dataclass
class Tally:
    faults: int = 0
    hits: dict[int, int] = field(default_factory=lambda: dict.fromkeys(KS, 0))

    def add(self, rank: int | None) -> None:
        self.faults += 1
        for k in KS:
            if rank is not None and rank <= k:
                self.hits[k] += 1

    def merge(self, other: Tally) -> None:
        self.faults += other.faults
        for k in KS:
            self.hits[k] += other.hits[k]

    def line(self, label: str) -> str:
        shares = " ".join(
            f"AS@{k} {self.hits[k] / self.faults if self.faults else 0.0:.3f}" for k in KS
        )
        return f"{label}: {shares} ({self.faults} faults)"
