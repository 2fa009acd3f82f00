"""The bundle as a chain of generators: the shape of the rule generators (core/rules), for files.

Each generator has a versioned ``id`` and one contract: it takes the request and the files
written so far and returns the files it adds (``{path: text}``). The chain runs them in order
and refuses a generator that writes a path another already wrote. Adding an output format is
adding one generator to the chain (``bundle.CHAIN``). Order matters only where a generator reads
another's output: the rule files are generated from the Sloth CRD text the chain wrote before.

Sloth's spec has no period field (the period is ``sloth generate --default-slo-period``), so
Sloth files, and the rules made from them, are written per service and period: ``<svc>.yaml``
for Sloth's default 30 days, ``<svc>-28d.yaml`` for 28. The other formats carry the period per
SLO and stay one file per service.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from slo_scout.core.artifacts.model import Slo, by_service, dashboard_uid
from slo_scout.core.artifacts.runbook import LoggedError
from slo_scout.core.errors import SloScoutError
from slo_scout.core.journeys.model import Journey
from slo_scout.core.recommend import Recommendation, Strategy
from slo_scout.core.recommend.ratio import LOW_TRAFFIC_MIN_FAILURES
from slo_scout.core.slis import MetricFamily, slug

SLOTH_DEFAULT_PERIOD_DAYS = 30


@dataclass(frozen=True, slots=True)
class SlothGroup:
    """The SLOs of one service and period: one Sloth spec, CRD and rule file."""

    service: str
    period_days: int
    slos: tuple[Slo, ...]

    @property
    def stem(self) -> str:
        name = slug(self.service)
        return name if self.period_days == SLOTH_DEFAULT_PERIOD_DAYS else (
            f"{name}-{self.period_days}d")

    @property
    def resource_name(self) -> str:
        """The Kubernetes name of its CRD and PrometheusRule (at most 63 characters)."""
        base = dashboard_uid(self.service)[4:]
        if self.period_days == SLOTH_DEFAULT_PERIOD_DAYS:
            return base
        return f"{base[:58].rstrip('-')}-{self.period_days}d"


@dataclass(frozen=True)
class BundleRequest:
    """Everything a generator may read. ``approved``: the SLOs are approved records (the control
    plane); otherwise analyze's recommendations, all of them in ``recommendations``."""

    slos: tuple[Slo, ...]
    journeys: tuple[Journey, ...]
    recommendations: tuple[Recommendation, ...]
    family: MetricFamily
    strategy: Strategy
    now: datetime
    version: str
    approved: bool = False
    window: str = "rolling"  # OpenSLO time windows: rolling or calendar
    namespace: str = "monitoring"
    logged_errors: Mapping[str, Sequence[LoggedError]] = field(default_factory=dict)
    # failed events the alerts of a low-traffic SLO also need in their long window (0: none)
    low_traffic_min_failures: int = LOW_TRAFFIC_MIN_FAILURES

    def services(self) -> dict[str, list[Slo]]:
        return by_service(self.slos)

    def sloth_groups(self) -> list[SlothGroup]:
        out = []
        for service, slos in self.services().items():
            for period in sorted({s.period_days for s in slos}):
                group = tuple(s for s in slos if s.period_days == period)
                out.append(SlothGroup(service, period, group))
        return out


class ArtifactGenerator(Protocol):
    @property
    def id(self) -> str: ...

    def __call__(self, request: BundleRequest, files: Mapping[str, str]) -> dict[str, str]: ...


def run_chain(chain: Sequence[ArtifactGenerator], request: BundleRequest) -> dict[str, str]:
    """Every generator's files, sorted by path; SloScoutError from the first that fails."""
    files: dict[str, str] = {}
    for generator in chain:
        added = generator(request, files)
        clash = sorted(added.keys() & files.keys())
        if clash:
            raise SloScoutError(f"generator {generator.id} writes {clash[0]} a second time")
        files.update(added)
    return dict(sorted(files.items()))
