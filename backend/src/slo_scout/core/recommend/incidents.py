"""Incidents: detection windows in which a journey burned, kept out of the steady-state estimate.

A target should describe how the journey behaves normally; an error burst or a latency
regression in the analysed history says how it behaves when broken, and the SLO's burn-rate
alerts exist to catch exactly that. Left in, one burst drags the recommendation several rungs
looser than the journey holds, and its alerts would never fire for a real regression.

Rule (docs/recommendations.md has it in words), on equal, consecutive detection windows:

1. the baseline bad ratio ``e`` is the pooled bad ratio of the windows not flagged so far;
2. a window *burned* when its bad ratio is far above ``e``: the lower end of its Wilson
   interval at 99.9% (z = 3.29) exceeds ``BURN_FACTOR x e``, and it holds at least
   ``MIN_EXCESS_BAD`` more bad events than ``e`` predicts (one or two failures are never an
   incident, whatever the traffic);
3. repeat with the new baseline until nothing changes. Flagged windows only lower ``e``, so
   the set only grows; it stops before incidents would cover more than
   ``MAX_INCIDENT_SHARE`` of the traffic (then the "incident" is how the journey behaves).

Consecutive burned windows form one incident.
"""

from __future__ import annotations

from collections.abc import Sequence

from slo_scout.core.recommend.model import Incident, WindowCounts
from slo_scout.core.recommend.stats import wilson

DETECT_Z = 3.2905267314919255  # two-sided 99.9%: few false alarms over hundreds of windows
BURN_FACTOR = 3.0
MIN_EXCESS_BAD = 5
MAX_INCIDENT_SHARE = 0.25


def _bad(windows: Sequence[WindowCounts], keep: Sequence[int]) -> tuple[int, int]:
    bad = sum(windows[i].total - windows[i].good for i in keep)
    return bad, sum(windows[i].total for i in keep)


def _burned(w: WindowCounts, baseline_bad: float) -> bool:
    if w.total == 0:
        return False
    bad = w.total - w.good
    if bad - w.total * baseline_bad < MIN_EXCESS_BAD:
        return False
    low = wilson(bad, w.total, z=DETECT_Z).low
    return low > BURN_FACTOR * baseline_bad


def detect(windows: Sequence[WindowCounts]) -> tuple[frozenset[int], float | None]:
    """Indices of the burned windows and the baseline bad ratio they were judged against."""
    everything = sum(w.total for w in windows)
    if everything == 0:
        return frozenset(), None
    flagged: frozenset[int] = frozenset()
    while True:
        bad, total = _bad(windows, [i for i in range(len(windows)) if i not in flagged])
        baseline = bad / total if total else 0.0
        found = frozenset(i for i, w in enumerate(windows) if _burned(w, baseline))
        if found <= flagged:
            return flagged, baseline
        if sum(windows[i].total for i in found) > MAX_INCIDENT_SHARE * everything:
            if not flagged:
                return flagged, baseline
            bad, total = _bad(windows, [i for i in range(len(windows)) if i not in flagged])
            return flagged, bad / total if total else 0.0
        flagged = flagged | found


def incidents(
    windows: Sequence[WindowCounts], flagged: frozenset[int], baseline_bad: float
) -> tuple[Incident, ...]:
    """Consecutive flagged windows merged into incidents, oldest first."""
    out: list[Incident] = []
    run: list[WindowCounts] = []
    for i, w in enumerate([*windows, None]):
        if w is not None and i in flagged:
            run.append(w)
            continue
        if run:
            out.append(Incident(
                start_s=run[0].start_s, end_s=run[-1].end_s,
                good=sum(r.good for r in run), total=sum(r.total for r in run),
                baseline_ratio=1 - baseline_bad,
            ))
            run = []
    return tuple(out)
