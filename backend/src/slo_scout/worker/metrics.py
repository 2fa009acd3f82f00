"""What the worker reports about itself: job counters and durations for Prometheus, and whether
its loop is alive (liveness) and able to reach the database (readiness).

The loop "beats" on every pass and on every lease renewal. A loop that has not beaten for a
whole lease is stuck: the job it holds will be taken over by another worker anyway, so the
kubelet may as well restart it. A pass that failed (the database unreachable) leaves the
worker alive but not ready; a restart would not help it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from slo_scout.llm.client import Usage

# How a claimed job attempt ended, as this worker saw it.
OUTCOMES = ("succeeded", "failed", "retrying", "lease_lost", "error")
# Analyses take from well under a second to minutes (history queries to Prometheus).
DURATION_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)


class WorkerMetrics:
    def __init__(
        self,
        *,
        stale_after_s: float,
        registry: CollectorRegistry | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self._stale_after = stale_after_s
        self._monotonic = monotonic
        self._last_beat = monotonic()
        self._last_pass_ok: bool | None = None
        self._last_error = ""
        self.claimed = Counter(
            "slo_scout_worker_jobs_claimed", "Job attempts this worker claimed.",
            registry=self.registry,
        )
        self.finished = Counter(
            "slo_scout_worker_jobs_finished",
            "Claimed job attempts by outcome: succeeded, failed (for good), retrying (the attempt "
            "failed, the job is queued again), lease_lost (another worker holds it now), error "
            "(the attempt could not be recorded).",
            ["outcome"], registry=self.registry,
        )
        self.duration = Histogram(
            "slo_scout_worker_job_duration_seconds", "Time from claim to the end of the attempt.",
            ["outcome"], buckets=DURATION_BUCKETS, registry=self.registry,
        )
        self.expired = Counter(
            "slo_scout_worker_jobs_expired",
            "Jobs this worker marked failed because their worker stopped on the last attempt.",
            registry=self.registry,
        )
        self.pass_errors = Counter(
            "slo_scout_worker_pass_errors", "Loop passes that failed (e.g. database unreachable).",
            registry=self.registry,
        )
        self.busy = Gauge(
            "slo_scout_worker_busy", "1 while the worker runs a job.", registry=self.registry
        )
        self.llm_calls = Counter(
            "slo_scout_llm_calls", "Calls analyses made to the configured model (answered).",
            registry=self.registry)
        self.llm_tokens = Counter(
            "slo_scout_llm_tokens", "Tokens those calls used (input and output).",
            registry=self.registry)
        self.llm_cache_hits = Counter(
            "slo_scout_llm_cache_hits", "Model answers reused from the cache instead of a call.",
            registry=self.registry)
        self.llm_failures = Counter(
            "slo_scout_llm_failures", "Model calls that failed (after the SDK's retries).",
            registry=self.registry)
        self.llm_fallbacks = Counter(
            "slo_scout_llm_fallbacks",
            "Analyses with a model configured of which some part fell back to the rules.",
            registry=self.registry)
        self.llm_rejected = Counter(
            "slo_scout_llm_rejected", "Parts of model answers the guards refused.",
            registry=self.registry)
        for outcome in OUTCOMES:  # every series exists from the start, so rate() sees the first
            self.finished.labels(outcome)
            self.duration.labels(outcome)

    def beat(self) -> None:
        self._last_beat = self._monotonic()

    def pass_done(self, error: BaseException | None = None) -> None:
        self.beat()
        self._last_pass_ok = error is None
        if error is not None:
            self.pass_errors.inc()
            self._last_error = f"{type(error).__name__}: {error}"

    def job_finished(self, outcome: str, seconds: float) -> None:
        self.finished.labels(outcome).inc()
        self.duration.labels(outcome).observe(seconds)

    def model_used(self, usage: Usage) -> None:
        """One analysis's model usage (nothing when no model is configured)."""
        if usage.provider == "none":
            return
        self.llm_calls.inc(usage.calls)
        self.llm_tokens.inc(usage.tokens)
        self.llm_cache_hits.inc(usage.cache_hits)
        self.llm_failures.inc(usage.failures)
        self.llm_rejected.inc(len(usage.rejected))
        if usage.fallback:
            self.llm_fallbacks.inc()

    def liveness(self) -> tuple[bool, str]:
        silent = self._monotonic() - self._last_beat
        if silent > self._stale_after:
            return False, f"the worker loop has not run for {silent:.0f}s"
        return True, "ok"

    def readiness(self) -> tuple[bool, str]:
        alive, reason = self.liveness()
        if not alive:
            return alive, reason
        if self._last_pass_ok is None:
            return False, "starting: no pass has completed yet"
        if not self._last_pass_ok:
            return False, f"the last pass failed: {self._last_error}"
        return True, "ok"
