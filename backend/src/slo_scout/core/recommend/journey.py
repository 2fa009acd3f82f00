"""Recommendations for a journey: availability and latency, from its history or from counts.

``recommend_*_counts`` take window counts a runtime read from Prometheus (``increase()`` over
equal windows); the ``recommend_availability``/``recommend_latency`` helpers cut a journey's
per-minute statistics into such windows first. Everything is deterministic: ``now`` is passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from slo_scout.core.journeys.model import Journey
from slo_scout.core.recommend import provisional
from slo_scout.core.recommend.backtest import backtest, halves
from slo_scout.core.recommend.history import (
    DEFAULT_LOOKBACK_S,
    DEFAULT_WINDOWS,
    MergedWindow,
    Window,
    availability_counts,
    detection_windows,
    latency_counts,
    merge_windows,
    split_history,
)
from slo_scout.core.recommend.model import (
    POLICIES,
    STANDARD_TARGETS,
    TARGET_LADDER,
    Backtest,
    Recommendation,
    Status,
    Strategy,
    WindowCounts,
)
from slo_scout.core.recommend.ratio import Assessment, assess, low_traffic
from slo_scout.core.recommend.similar import SimilarJourney
from slo_scout.core.recommend.stats import MIN_EVENTS, budget_minutes_30d
from slo_scout.core.slis import MetricFamily, SliKind

DEFAULT_LATENCY_OBJECTIVE = 99.0


def recommend_availability_counts(
    journey_id: str,
    windows: Sequence[WindowCounts],
    *,
    strategy: Strategy,
    include_incidents: bool = False,
    series: Sequence[WindowCounts] | None = None,
    similar: Sequence[SimilarJourney] = (),
    draft_thin: bool = True,
) -> Recommendation:
    """``windows``: equal, consecutive detection windows (more of them find incidents better);
    ``series``: finer windows of the same history (per minute) for the backtest's alerts.
    ``draft_thin``: thin evidence gets a provisional draft (``similar`` journeys as context)."""
    a = assess(windows, include_incidents=include_incidents)
    status = a.status(strategy)
    objective = a.objective(strategy)
    alternative = None
    if a.incidents:
        alternative = assess(windows, include_incidents=not include_incidents).objective(strategy)
    reason = low_traffic(objective, a.events_per_30d) if objective is not None else None
    earlier, later = halves(windows)
    estimated = assess(earlier, include_incidents=include_incidents).objective(strategy)
    tested = backtest(earlier, later, estimated, series=series)
    evidence = replace(a.evidence(objective), alternative_objective=alternative,
                       backtest=tested)
    rec = Recommendation(
        journey_id=journey_id,
        kind=SliKind.AVAILABILITY,
        strategy=strategy,
        status=status,
        objective=objective,
        threshold_s=None,
        evidence=evidence,
        low_traffic=reason is not None,
        low_traffic_reason=reason,
        rationale=_availability_rationale(a, status, objective, strategy, alternative)
        + (backtest_words(tested, SliKind.AVAILABILITY) if objective is not None else ""),
    )
    if not draft_thin or status is not Status.INSUFFICIENT_DATA:
        return rec
    good, total = sum(w.good for w in windows), sum(w.total for w in windows)
    return provisional.draft(rec, objectives=provisional.availability_options(good, total),
                             similar=similar)


def _latency_backtest(
    by_threshold: Mapping[float, Sequence[WindowCounts]],
    strategy: Strategy,
    objective: float,
    include_incidents: bool,
    series: Callable[[float], Sequence[WindowCounts]] | None,
) -> Backtest | None:
    split = {t: halves(c) for t, c in by_threshold.items()}
    threshold, _, found = _pick_threshold({t: h[0] for t, h in split.items()}, strategy,
                                          objective, include_incidents)
    earlier, later = split[threshold]
    if not found:
        return backtest(earlier, later, None)
    return backtest(earlier, later, objective, threshold_s=threshold,
                    series=series(threshold) if series is not None else None)


def _pick_threshold(
    by_threshold: Mapping[float, Sequence[WindowCounts]],
    strategy: Strategy,
    objective: float,
    include_incidents: bool,
) -> tuple[float, Assessment, bool]:
    """The smallest threshold at which ``strategy`` supports ``objective`` (found: True), else
    the largest one."""
    last: tuple[float, Assessment] | None = None
    for threshold in sorted(by_threshold):
        a = assess(by_threshold[threshold], include_incidents=include_incidents)
        last = (threshold, a)
        reached = a.objective(strategy)
        if reached is not None and reached >= objective:
            return threshold, a, True
    assert last is not None
    return last[0], last[1], False


def recommend_latency_counts(
    journey_id: str,
    by_threshold: Mapping[float, Sequence[WindowCounts]],
    *,
    strategy: Strategy,
    objective: float = DEFAULT_LATENCY_OBJECTIVE,
    include_incidents: bool = False,
    series: Callable[[float], Sequence[WindowCounts]] | None = None,
    similar: Sequence[SimilarJourney] = (),
    draft_thin: bool = True,
) -> Recommendation:
    """Latency: the objective is fixed, the strategy moves the threshold.

    ``by_threshold`` maps each candidate threshold (seconds, a bucket boundary) to its window
    counts (good = requests no slower than it). The answer is the smallest threshold at which
    the strategy would promise ``objective``.
    """
    if not by_threshold:
        raise ValueError("latency needs at least one candidate threshold")
    threshold, a, found = _pick_threshold(by_threshold, strategy, objective, include_incidents)
    if found:
        status, target = Status.OK, objective
    else:
        status, target = a.status(strategy), None
        if status in (Status.OK, Status.BELOW_STANDARD):
            status = Status.UNMET  # some rung holds, but not the latency objective
    alternative = None
    if a.incidents:
        alt_threshold, _, alt_found = _pick_threshold(
            by_threshold, strategy, objective, not include_incidents
        )
        alternative = alt_threshold if alt_found else None
    reason = low_traffic(target, a.events_per_30d) if target is not None else None
    tested = _latency_backtest(by_threshold, strategy, objective, include_incidents, series)
    evidence = replace(
        a.evidence(target),
        alternative_objective=objective if alternative is not None else None,
        alternative_threshold_s=alternative,
        backtest=tested,
    )
    rec = Recommendation(
        journey_id=journey_id,
        kind=SliKind.LATENCY,
        strategy=strategy,
        status=status,
        objective=target,
        threshold_s=threshold if found else None,
        evidence=evidence,
        low_traffic=reason is not None,
        low_traffic_reason=reason,
        rationale=_latency_rationale(a, status, target, threshold, strategy, alternative)
        + (backtest_words(tested, SliKind.LATENCY) if target is not None else ""),
    )
    if not draft_thin or status is not Status.INSUFFICIENT_DATA:
        return rec
    pooled = {t: (sum(w.good for w in c), sum(w.total for w in c))
              for t, c in by_threshold.items()}
    return provisional.draft(rec, objectives=(objective,), similar=similar,
                             thresholds_s=provisional.latency_options(pooled, objective))


def recommend_availability(
    journey: Journey,
    *,
    strategy: Strategy,
    now_s: int,
    lookback_s: int = DEFAULT_LOOKBACK_S,
    windows: int = DEFAULT_WINDOWS,
    include_incidents: bool = False,
    draft_thin: bool = True,
) -> Recommendation:
    parts = detection_windows(journey, now_s=now_s, lookback_s=lookback_s, minimum=windows)
    minutes = _minutes(journey, now_s, lookback_s)
    return recommend_availability_counts(
        journey.id, availability_counts(parts), strategy=strategy,
        include_incidents=include_incidents, series=availability_counts(minutes),
        draft_thin=draft_thin,
    )


def recommend_latency(
    journey: Journey,
    family: MetricFamily,
    *,
    strategy: Strategy,
    now_s: int,
    objective: float = DEFAULT_LATENCY_OBJECTIVE,
    lookback_s: int = DEFAULT_LOOKBACK_S,
    windows: int = DEFAULT_WINDOWS,
    include_incidents: bool = False,
    draft_thin: bool = True,
) -> Recommendation:
    parts = detection_windows(journey, now_s=now_s, lookback_s=lookback_s, minimum=windows)
    return _latency_from_parts(journey.id, merge_windows(parts), family, strategy=strategy,
                               objective=objective, include_incidents=include_incidents,
                               minutes=_minutes(journey, now_s, lookback_s),
                               draft_thin=draft_thin)


def recommend_journey(
    journey: Journey,
    family: MetricFamily,
    *,
    strategy: Strategy,
    now_s: int,
    lookback_s: int = DEFAULT_LOOKBACK_S,
    windows: int = DEFAULT_WINDOWS,
    latency_objective: float = DEFAULT_LATENCY_OBJECTIVE,
    include_incidents: bool = False,
    similar: Sequence[SimilarJourney] = (),
    draft_thin: bool = True,
) -> tuple[Recommendation, Recommendation]:
    """Availability and latency recommendations for ``journey``; thin evidence gets a
    provisional draft (``similar``: its neighbours, as context) unless ``draft_thin`` is off."""
    parts = detection_windows(journey, now_s=now_s, lookback_s=lookback_s, minimum=windows)
    minutes = _minutes(journey, now_s, lookback_s)
    return (
        recommend_availability_counts(
            journey.id, availability_counts(parts), strategy=strategy,
            include_incidents=include_incidents, series=availability_counts(minutes),
            similar=similar, draft_thin=draft_thin,
        ),
        _latency_from_parts(
            journey.id, merge_windows(parts), family, strategy=strategy,
            objective=latency_objective, include_incidents=include_incidents, minutes=minutes,
            similar=similar, draft_thin=draft_thin,
        ),
    )


def _minutes(journey: Journey, now_s: int, lookback_s: int) -> list[Window]:
    """The history minute by minute: the backtest's alerts are evaluated at that resolution."""
    keys = [k for k in journey.minutes if now_s - lookback_s <= k and k + 60 <= now_s]
    if not keys:
        return []
    span_min = (max(keys) - min(keys)) // 60 + 1
    return split_history(journey, now_s=now_s, lookback_s=lookback_s, windows=span_min)


def _latency_from_parts(
    journey_id: str,
    parts: Sequence[Window] | Sequence[MergedWindow],
    family: MetricFamily,
    *,
    strategy: Strategy,
    objective: float,
    include_incidents: bool,
    minutes: Sequence[Window] = (),
    similar: Sequence[SimilarJourney] = (),
    draft_thin: bool = True,
) -> Recommendation:
    by_threshold = {b: latency_counts(parts, b) for b in family.buckets_s}
    merged = merge_windows(minutes)
    return recommend_latency_counts(
        journey_id, by_threshold, strategy=strategy, objective=objective,
        include_incidents=include_incidents, similar=similar, draft_thin=draft_thin,
        series=(lambda threshold: latency_counts(merged, threshold)) if merged else None,
    )


def _measured(a: Assessment) -> str:
    assert a.ratio is not None and a.interval is not None
    return (
        f"{a.good:,} of {a.total:,} requests were good ({a.ratio * 100:.3f}%, 95% Wilson "
        f"interval {a.interval.low * 100:.3f}–{a.interval.high * 100:.3f}%) over "
        f"{a.windows_with_traffic} of {a.windows} equal windows"
    )


def _insufficient(a: Assessment) -> str:
    if a.total < MIN_EVENTS:
        return (
            f"Insufficient data: {a.total:,} requests seen, at least {MIN_EVENTS} are needed "
            f"before any target is proposed."
        )
    assert a.interval is not None
    return (
        f"Insufficient data: {_measured(a)}; the interval is ±{a.interval.half_width * 100:.2f} "
        f"points wide, too wide to tell apart any two targets at or below the ratio."
    )


def _incidents(a: Assessment, alternative: str | None) -> str:
    """What the incidents did to the estimate, in words ('' when there were none)."""
    if not a.incidents:
        return ""
    n = len(a.incidents)
    bad = sum(i.bad for i in a.incidents)
    what = f"{n} incident{'s' if n > 1 else ''} ({bad:,} bad requests)"
    if a.incidents_included:
        other = f"; left out, the rule would give {alternative}" if alternative else ""
        return f" {what.capitalize()} found and, as asked, included{other}."
    other = f"; included, the rule would give {alternative}" if alternative else (
        "; included, it would support no target")
    return (
        f" {what.capitalize()} found in {a.excluded_windows} of {a.detection_windows} "
        f"detection windows and left out of the steady-state estimate (the burn-rate alerts "
        f"are there to catch those){other}."
    )


def backtest_words(bt: Backtest | None, kind: SliKind) -> str:
    """The backtest in one sentence ('' when there was none)."""
    if bt is None:
        return ""
    if bt.objective is None:
        return (" Backtest: the earlier half of the history supports no target, so nothing "
                "was judged on the later half.")
    what = (f"{bt.objective:g}%" if kind is SliKind.AVAILABILITY or bt.threshold_s is None
            else f"{bt.objective:g}% within {bt.threshold_s:g} s")
    if bt.held_share is None or bt.budget_consumed is None:
        return (f" Backtest: estimated on the earlier half of the history, the rule gives "
                f"{what}; the later half has no traffic to judge it on.")
    ratio = bt.test_good / bt.test_total if bt.test_total else 0.0
    verdict = "held" if bt.held else "would have been broken"
    return (
        f" Backtest: estimated on the earlier half of the history, the rule gives {what}; "
        f"over the later half ({bt.test_total:,} requests, {ratio * 100:.3f}%) it {verdict} "
        f"(met in {bt.held_share * 100:.0f}% of its windows), spending "
        f"{bt.budget_consumed * 100:.0f}% of the budget, with {bt.page_alerts} page and "
        f"{bt.ticket_alerts} ticket alerts from the generated rules."
    )


def _strategy_words(strategy: Strategy) -> str:
    policy = POLICIES[strategy]
    return (
        f"The {strategy.value} strategy trusts the {policy.basis.value} and allows "
        f"{policy.headroom:g}x its error rate"
    )


def _availability_rationale(
    a: Assessment, status: Status, objective: float | None, strategy: Strategy,
    alternative: float | None,
) -> str:
    if status is Status.INSUFFICIENT_DATA:
        return _insufficient(a)
    worst = f"; the worst window had {a.worst * 100:.3f}%" if a.worst is not None else ""
    incidents = _incidents(a, None if alternative is None else f"{alternative:g}%")
    if objective is None:
        return (
            f"{_measured(a)}{worst}. {_strategy_words(strategy)}, which is below even the "
            f"loosest rung ({TARGET_LADDER[0]:g}%): fix the failures before adopting an "
            f"availability SLO.{incidents}"
        )
    budget = (
        f"an error budget of {budget_minutes_30d(objective):,.1f} minutes per 30 days"
    )
    if status is Status.BELOW_STANDARD:
        return (
            f"{_measured(a)}{worst}. {_strategy_words(strategy)}, which meets none of the "
            f"standard targets ({STANDARD_TARGETS[0]:g}% and up): the honest objective is "
            f"{objective:g}%, {budget}, against {budget_minutes_30d(STANDARD_TARGETS[0]):,.1f} "
            f"at {STANDARD_TARGETS[0]:g}%. This journey needs reliability work before a "
            f"standard target.{incidents}"
        )
    return (
        f"{_measured(a)}{worst}. {_strategy_words(strategy)}, so the strictest target it "
        f"supports is {objective:g}%: {budget}.{incidents}"
    )


def _latency_rationale(
    a: Assessment,
    status: Status,
    objective: float | None,
    threshold_s: float,
    strategy: Strategy,
    alternative: float | None,
) -> str:
    if status is Status.INSUFFICIENT_DATA:
        return _insufficient(a)
    incidents = _incidents(a, None if alternative is None else f"{alternative:g} s")
    if objective is None:
        return (
            f"Even at the largest bucket boundary ({threshold_s:g} s) {_measured(a)}. "
            f"{_strategy_words(strategy)}, which is below the latency objective: no threshold "
            f"of this histogram supports it.{incidents}"
        )
    return (
        f"At {threshold_s:g} s (a bucket boundary, so the SLI is exact) {_measured(a)}. "
        f"{_strategy_words(strategy)}; this is the smallest boundary at which it supports "
        f"{objective:g}% of requests being that fast.{incidents}"
    )
