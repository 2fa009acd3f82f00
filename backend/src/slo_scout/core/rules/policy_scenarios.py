"""Minute-by-minute model of OpenSLO policy alerts, and the traffic scenarios that prove them.

A policy condition holds when the error ratio over both its windows (`lookbackWindow` and a
twelfth of it) compares with `threshold` times the error budget by `op`; its alert fires once the
condition has held at every evaluation for `alertAfter`. For counters sampled once a minute:

- The error ratio over a window of W minutes at minute t is the mean of the per-minute ratios in
  (t - W, t], or in (0, t] while less than W minutes of data exist. That is what `rate()` gives
  here, not an approximation: with samples on the minute grid a full window has samples at both
  ends, so nothing is extrapolated, and a window reaching before the data extrapolates the bad and
  the good counter by the same factor (both start far above zero), which cancels in the ratio. A
  minute is left undecided only when a ratio is within a millionth of the threshold, where float
  rounding could decide.
- The condition cannot hold at minute 0 (a rate needs two samples). The alert fires at t when the
  condition held at every evaluation t - D ... t, D being alertAfter in minutes, rounded up
  (Prometheus fires at the first evaluation at least `for` after the one that made the alert
  pending); it is pending when the condition holds and it does not fire.

Scenarios per condition (burns in multiples of the error budget; T is the threshold):

- `sustained`: healthy traffic, then a burn just above T (1.3T, or the first of a few factors near
  it whose crossing minutes are decided): asserted around every change of the condition and of the
  alert, so the alert fires exactly alertAfter after the condition starts to hold, not before.
- `half_threshold`: a burn of T/2 from the start.
- `spike`: a burst at 2T (at most 100% errors) as long as the short window, after enough healthy
  traffic that the long window dilutes it below T.
- `under_alert_after` (alertAfter > 0, `>` and `>=` only): a burst just above T that ends as soon
  as the long window crosses, so both windows hold for fewer evaluations than alertAfter needs:
  the alert is pending and never fires.

Expectations come from the model and the operator, so with `<` or `<=` the same traffic gives the
opposite ones. Burns are snapped to whole numbers of bad requests a minute.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate

from slo_scout.core.errors import SpecError
from slo_scout.core.rules.promtool_tests import Scenario
from slo_scout.core.specs.durations import MINUTE
from slo_scout.core.specs.model import BurnRateCondition, PolicyAlert, SLOSpec

_MARGIN = 1e-6
_HEALTHY_MAX = 6 * 60  # minutes of healthy traffic before a burst, unless a window needs more
_SUSTAINED = (1.3, 1.35, 1.25, 1.4, 1.2, 1.45)
_UNDER = (1.05, 1.1, 1.15, 1.2, 1.25, 1.3)
_TAIL = 5
REQUESTS_PER_MINUTE = 1_000_000  # enough for whole bad counts near any threshold and budget
_MIN_BAD = 10
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}

Tri = bool | None  # None: too close to the threshold to say
_Snap = Callable[[float], float]


@dataclass(frozen=True)
class PolicyRule:
    """One generated alert rule: a condition of a policy."""

    policy: PolicyAlert
    condition: BurnRateCondition

    @property
    def hold(self) -> int:
        return -(-self.condition.alert_after_ms // MINUTE)

    @property
    def short(self) -> int:
        return self.condition.short_ms // MINUTE

    @property
    def long(self) -> int:
        return self.condition.long_ms // MINUTE


class Traffic:
    """Per-minute burn rates of a scenario; minute i is the interval (i - 1, i]."""

    def __init__(self, segments: tuple[tuple[int, float], ...]) -> None:
        burns = [0.0]
        for minutes, burn in segments:
            burns.extend([burn] * minutes)
        self.end = len(burns) - 1
        self._prefix = list(accumulate(burns))

    def burn(self, at: int, window: int) -> float:
        start = max(at - window, 0)
        return (self._prefix[at] - self._prefix[start]) / (at - start)


def holds(rule: PolicyRule, traffic: Traffic) -> list[Tri]:
    """Whether the rule's condition holds at each minute 0 .. end."""
    cond = rule.condition
    compare = _OPS[cond.op]

    def window(at: int, minutes: int) -> Tri:
        burn = traffic.burn(at, minutes)
        if abs(burn - cond.threshold) <= _MARGIN * cond.threshold:
            return None
        return compare(burn, cond.threshold)

    return [False] + [
        all_of(window(t, rule.short), window(t, rule.long)) for t in range(1, traffic.end + 1)
    ]


def firing(rule: PolicyRule, held: list[Tri]) -> list[Tri]:
    return [
        all_of(*(held[i] if i >= 0 else False for i in range(t - rule.hold, t + 1)))
        for t in range(len(held))
    ]


def all_of(*values: Tri) -> Tri:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def policy_rules(slo: SLOSpec) -> tuple[PolicyRule, ...]:
    return tuple(PolicyRule(p, cond) for p in slo.policy_alerts for cond in p.conditions)


def policy_scenarios(
    slo: SLOSpec, rule: PolicyRule, requests_per_minute: int = REQUESTS_PER_MINUTE
) -> tuple[Scenario, ...]:
    """The scenarios that prove `rule`, each with the minutes worth asserting; their burns are
    whole numbers of bad requests a minute (see `counter_values`)."""
    cond = rule.condition
    unit = requests_per_minute * budget_of(slo)  # bad requests a minute at a burn of 1
    if round(unit * cond.threshold / 2) < _MIN_BAD:
        raise SpecError(
            f"policy {rule.policy.name!r}: {requests_per_minute} requests a minute give fewer "
            f"than {_MIN_BAD} bad ones at half the threshold; pass more",
            field="policy_alerts",
        )
    for ms in (cond.short_ms, cond.long_ms):
        if ms % MINUTE or ms < MINUTE:
            raise SpecError(
                f"policy {rule.policy.name!r}: a promtool suite needs windows in whole minutes "
                f"(lookbackWindow of 12m, 24m, ...), not {ms} ms",
                field="policy_alerts",
            )
    top = 1 / budget_of(slo)
    if cond.threshold * _SUSTAINED[-1] > top:
        raise SpecError(
            f"policy {rule.policy.name!r}: threshold {cond.threshold} cannot be exceeded, "
            f"100% errors is a burn rate of {top:g}",
            field="policy_alerts",
        )

    def snap(burn: float) -> float:
        return min(round(burn * unit), requests_per_minute) / unit

    out = [_sustained(rule, snap), _half_threshold(rule, snap), _spike(rule, snap, top)]
    if rule.hold and cond.op in (">", ">="):
        out.append(_under_alert_after(rule, snap))
    return tuple(out)


def _healthy(rule: PolicyRule) -> int:
    return max(min(rule.long, _HEALTHY_MAX), 2 * rule.short)


def _sustained(rule: PolicyRule, snap: _Snap) -> Scenario:
    healthy, threshold = _healthy(rule), rule.condition.threshold
    horizon = healthy + rule.long + rule.hold + _TAIL
    for factor in _SUSTAINED:
        burn = snap(threshold * factor)
        held = holds(rule, Traffic(((healthy, 0.0), (horizon - healthy, burn))))
        fired = firing(rule, held)
        if None in held or True not in fired:
            continue
        end = max(_changes(held) | _changes(fired)) + _TAIL
        segments = ((healthy, 0.0), (end - healthy, burn))
        return Scenario("sustained", segments, _around_changes(held, fired, end))
    raise SpecError(f"policy {rule.policy.name!r}: no sustained burn with decided crossings")


def _half_threshold(rule: PolicyRule, snap: _Snap) -> Scenario:
    end = min(rule.long, 2 * _HEALTHY_MAX) + rule.short + rule.hold + _TAIL
    traffic = ((end, snap(rule.condition.threshold / 2)),)
    held = holds(rule, Traffic(traffic))
    fired = firing(rule, held)
    fixed = {rule.short, rule.short + rule.hold + 1, end}
    return Scenario(
        "half_threshold", traffic, tuple(sorted(fixed | set(_around_changes(held, fired, end))))
    )


def _spike(rule: PolicyRule, snap: _Snap, top: float) -> Scenario:
    healthy, short = _healthy(rule), rule.short
    segments = (
        (healthy, 0.0),
        (short, min(snap(2 * rule.condition.threshold), top)),
        (short + rule.hold + _TAIL, 0.0),
    )
    traffic = Traffic(segments)
    held = holds(rule, traffic)
    fired = firing(rule, held)
    peak = healthy + short
    fixed = {peak, peak + rule.hold, traffic.end}
    return Scenario(
        "spike", segments, tuple(sorted(fixed | set(_around_changes(held, fired, traffic.end))))
    )


def _under_alert_after(rule: PolicyRule, snap: _Snap) -> Scenario:
    healthy, cond = _healthy(rule), rule.condition
    for factor in _UNDER:
        burn = snap(cond.threshold * factor)
        length = next(
            (
                k
                for k in range(1, rule.long + 1)
                if burn * k / min(rule.long, healthy + k) > cond.threshold * (1 + _MARGIN)
            ),
            None,
        )
        if length is None:
            continue
        segments = ((healthy, 0.0), (length, burn), (rule.short + rule.hold + _TAIL, 0.0))
        traffic = Traffic(segments)
        held = holds(rule, traffic)
        fired = firing(rule, held)
        if None in held or None in fired or True in fired or True not in held:
            continue
        return Scenario("under_alert_after", segments, _around_changes(held, fired, traffic.end))
    raise SpecError(
        f"policy {rule.policy.name!r}: no burst both windows cross for less than alertAfter"
    )


def _changes(states: list[Tri]) -> set[int]:
    return {t for t in range(1, len(states)) if states[t] != states[t - 1]}


def _around_changes(held: list[Tri], fired: list[Tri], end: int) -> tuple[int, ...]:
    """The minutes either side of every change of the condition or the alert, and the end."""
    moments = {end}
    for t in _changes(held) | _changes(fired):
        moments |= {t - 1, t}
    return tuple(sorted(m for m in moments if 0 <= m <= end))


def budget_of(slo: SLOSpec) -> float:
    """The error budget as a ratio of requests."""
    return (100 - slo.objective) / 100
