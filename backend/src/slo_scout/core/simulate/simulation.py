"""A simulation run: arrivals, requests, batches, and the ground truth they add up to.

The run stops at a number of traces, a number of spans (at the first request boundary past it)
or a duration, whichever is given. Everything is drawn from one seeded stream, so the same
scenario, seed and limits give the same requests, ids and timestamps every time.
"""

from __future__ import annotations

from collections.abc import Iterator

from slo_scout.core.simulate._entropy import SeededRandom
from slo_scout.core.simulate.generator import (
    RequestFactory,
    SimRequest,
    SimResource,
    SimSpan,
    arrivals,
    expected_spans_per_request,
)
from slo_scout.core.simulate.scenario import Scenario, ScenarioError
from slo_scout.core.simulate.truth import GroundTruth

DEFAULT_TRACES = 2_000
DEFAULT_BATCH_SPANS = 4_096
# 2023-11-14T22:13:20Z: a fixed start keeps output byte-identical when no --start is given.
DEFAULT_START_S = 1_700_000_000


class Simulation:
    """One run of a scenario; iterate :meth:`requests` or :meth:`batches` once."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        seed: int,
        start_s: float = DEFAULT_START_S,
        traces: int | None = None,
        spans: int | None = None,
        duration_s: float | None = None,
        rate: float | None = None,
    ) -> None:
        self.rate = scenario.rate if rate is None else rate
        if self.rate <= 0:
            raise ScenarioError("must be positive", source="<options>", field="rate")
        for name, value in (("traces", traces), ("spans", spans), ("duration", duration_s)):
            if value is not None and value <= 0:
                raise ScenarioError("must be positive", source="<options>", field=name)
        if traces is None and spans is None and duration_s is None:
            traces = DEFAULT_TRACES
        self.traces_limit = traces
        self.spans_limit = spans
        self.duration_s = duration_s
        if duration_s is not None:
            self.run_s = duration_s
        elif traces is not None:
            self.run_s = traces / self.rate
        else:
            assert spans is not None
            self.run_s = spans / (self.rate * expected_spans_per_request(scenario))
        self.scenario = scenario
        self.seed = seed
        self.start_ns = int(start_s * 1_000_000_000)
        self._rng = SeededRandom(seed)
        self._factory = RequestFactory(scenario, self._rng, self.run_s, seed)
        self.truth = GroundTruth(scenario, self._factory.resources, seed, self.start_ns,
                                 self.run_s)
        self._used = False

    @property
    def resources(self) -> list[SimResource]:
        return self._factory.resources

    def requests(self) -> Iterator[SimRequest]:
        if self._used:
            raise RuntimeError("a Simulation runs once; build a new one to run again")
        self._used = True
        traces, spans, duration = self.traces_limit, self.spans_limit, self.duration_s
        span_count = 0
        start_ns = self.start_ns
        factory = self._factory
        for made, offset in enumerate(arrivals(self._rng, self.rate)):
            if (
                (traces is not None and made >= traces)
                or (spans is not None and span_count >= spans)
                or (duration is not None and offset >= duration)
            ):
                return
            request = factory.request(offset, start_ns + int(offset * 1_000_000_000))
            self.truth.add(request)
            span_count += len(request.spans)
            yield request

    def batches(self, max_spans: int = DEFAULT_BATCH_SPANS) -> Iterator[list[SimSpan]]:
        """Spans of consecutive requests, about ``max_spans`` at a time, whole requests only."""
        batch: list[SimSpan] = []
        for request in self.requests():
            batch.extend(request.spans)
            if len(batch) >= max_spans:
                yield batch
                batch = []
        if batch:
            yield batch
