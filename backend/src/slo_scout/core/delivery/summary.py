"""What a bundle says about each SLO, read back from its files, for a pull request's body.

The Sloth spec names every SLO with its objective and the journey and SLI it measures (labels
``slo_scout_journey``, ``slo_scout_sli``); the OpenSLO file gives its window; the bundle's
``recommendations.yaml``, when there is one, the evidence. Reading the files, rather than being
handed the models that rendered them, lets the same summary describe what a repository already
holds, so a delivery can say how the targets change.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

_DAYS = re.compile(r"^(\d+)d$")


@dataclass(frozen=True, slots=True)
class SloSummary:
    name: str
    sli: str
    objective: float  # percent
    window: str  # "30d"
    journey_id: str | None
    description: str
    threshold_s: float | None = None
    evidence: Mapping[str, Any] | None = None
    source: str = "by hand"  # "measured" for a recommendation's, or what the bundle says
    provisional: bool = False
    # recommendations.yaml's ``backtest`` and ``incidents`` entries, when there are any
    backtest: Mapping[str, Any] | None = None
    incidents: Mapping[str, Any] | None = None

    @property
    def window_days(self) -> int | None:
        m = _DAYS.match(self.window)
        return int(m.group(1)) if m else None

    def budget(self) -> tuple[float, float | None] | None:
        """(minutes, requests) of error budget per window, when the window is in days; requests
        from the measured traffic, when there is evidence."""
        days = self.window_days
        if days is None:
            return None
        share = 1 - self.objective / 100
        minutes = share * days * 1440
        per_30 = (self.evidence or {}).get("events_per_30_days")
        events = share * per_30 * days / 30 if isinstance(per_30, int | float) else None
        return minutes, events


def _documents(text: str | None) -> list[dict[str, Any]]:
    if not text:
        return []
    try:
        return [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]
    except yaml.YAMLError:
        return []


def _windows(openslo: str | None) -> dict[str, str]:
    out = {}
    for doc in _documents(openslo):
        if doc.get("kind") == "SLO":
            spec = doc.get("spec") or {}
            windows = spec.get("timeWindow") or [{}]
            out[str((doc.get("metadata") or {}).get("name"))] = str(
                windows[0].get("duration", "30d"))
    return out


def _recommendations(text: str | None) -> dict[tuple[str, str], dict[str, Any]]:
    docs = _documents(text)
    entries = docs[0].get("recommendations", []) if docs else []
    return {(str(e.get("journey_id")), str(e.get("sli"))): e for e in entries
            if isinstance(e, dict)}


def summarize(files: Mapping[str, str], service: str, *, prefix: str = "") -> list[SloSummary]:
    """The SLOs of ``service`` (its slug) in ``files`` (bundle paths under ``prefix``)."""
    base = f"{prefix}/" if prefix else ""
    spec_file = re.compile(rf"^{re.escape(base)}sloth/{re.escape(service)}(-\d+d)?\.yaml$")
    specs = [doc for path in sorted(files) if spec_file.match(path)
             for doc in _documents(files[path])]
    windows = _windows(files.get(f"{base}openslo/{service}.yaml"))
    evidence = _recommendations(files.get("recommendations.yaml"))
    out = []
    for spec in specs:
        for slo in spec.get("slos") or []:
            labels = slo.get("labels") or {}
            journey, sli = labels.get("slo_scout_journey"), labels.get("slo_scout_sli", "")
            entry = evidence.get((str(journey), str(sli)))
            name = str(slo.get("name"))
            out.append(SloSummary(
                name=name, sli=str(sli or "custom"), objective=float(slo.get("objective", 0)),
                window=windows.get(name, "30d"),
                journey_id=None if journey is None else str(journey),
                description=str(slo.get("description", "")),
                threshold_s=entry.get("threshold_seconds") if entry else None,
                evidence=entry.get("evidence") if entry else None,
                source=str(entry.get("source", "measured")) if entry else "by hand",
                provisional=bool(entry.get("provisional", False)) if entry else False,
                backtest=entry.get("backtest") if entry else None,
                incidents=entry.get("incidents") if entry else None))
    return sorted(out, key=lambda s: s.name)


def target_changes(before: list[SloSummary], after: list[SloSummary]) -> list[str]:
    """One line per SLO whose target changed, appeared or went, in name order."""
    old = {s.name: s for s in before}
    new = {s.name: s for s in after}
    lines = []
    for name in sorted(old.keys() | new.keys()):
        was, now = old.get(name), new.get(name)
        if was is None and now is not None:
            lines.append(f"`{name}`: new, {now.objective:g}% over {now.window}")
        elif now is None and was is not None:
            lines.append(f"`{name}`: no longer in the bundle (was {was.objective:g}% over "
                         f"{was.window}; its files are left as they are)")
        elif was is not None and now is not None:
            changes = [f"{label} {a} → {b}" for label, a, b in (
                ("objective", f"{was.objective:g}%", f"{now.objective:g}%"),
                ("window", was.window, now.window),
                ("threshold", _seconds(was.threshold_s), _seconds(now.threshold_s)))
                if a != b]
            if changes:
                lines.append(f"`{name}`: " + ", ".join(changes))
    return lines


def _seconds(value: float | None) -> str:
    return "none" if value is None else f"{value:g} s"
