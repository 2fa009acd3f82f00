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
   ``MAX_INCIDENT_SHARE`` of the traffic (then the "incident" is how the journey behaves);
4. a gap of at most ``MAX_GAP`` windows between burned windows joins the incident when each of
   its windows is still over ``BURN_FACTOR x e`` (a burst does not fail evenly: one of its
   windows may fall under the significance test by chance, and left in, it would pull the
   baseline up), within the same traffic cap.

Consecutive burned windows form one incident.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from slo_scout.core.recommend.model import Incident, WindowCounts
from slo_scout.core.recommend.stats import wilson

DETECT_Z = 3.2905267314919255  # two-sided 99.9%: few false alarms over hundreds of windows
BURN_FACTOR = 3.0
MIN_EXCESS_BAD = 5
MAX_INCIDENT_SHARE = 0.25
MAX_GAP = 2


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


def _gaps(windows: Sequence[WindowCounts], flagged: frozenset[int], baseline_bad: float
          ) -> frozenset[int]:
    """Short runs of windows between flagged ones that still fail over the burn factor."""
    joined: set[int] = set()
    marks = sorted(flagged)
    for left, right in pairwise(marks):
        gap = range(left + 1, right)
        if 0 < len(gap) <= MAX_GAP and all(
            windows[i].total and (windows[i].total - windows[i].good) / windows[i].total
            > BURN_FACTOR * baseline_bad for i in gap
        ):
            joined.update(gap)
    return frozenset(joined)


def detect(windows: Sequence[WindowCounts]) -> tuple[frozenset[int], float | None]:
    """Indices of the burned windows and the baseline bad ratio they were judged against."""
    flagged, baseline = _significant(windows)
    if baseline is None or not flagged:
        return flagged, baseline
    joined = flagged | _gaps(windows, flagged, baseline)
    everything = sum(w.total for w in windows)
    if joined == flagged or sum(windows[i].total for i in joined) > MAX_INCIDENT_SHARE * everything:
        return flagged, baseline
    bad, total = _bad(windows, [i for i in range(len(windows)) if i not in joined])
    return joined, bad / total if total else 0.0


def _significant(windows: Sequence[WindowCounts]) -> tuple[frozenset[int], float | None]:
    """Steps 1-3: the windows that burned significantly, and the baseline."""
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
