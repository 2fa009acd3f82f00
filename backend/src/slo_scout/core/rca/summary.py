"""An incident summary (JSON-ready dict) and its Markdown note for the runbook."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slo_scout.core.rca.model import Suspect

# The top suspect's standout (robust z across services, see score.py) -> severity words.
SEVERITY_BANDS: tuple[tuple[float, str], ...] = ((6.0, "high"), (3.0, "medium"), (0.0, "low"))


def severity(suspects: Sequence[Suspect]) -> str:
    if not suspects:
        return "none"
    top = suspects[0].score
    return next(name for floor, name in SEVERITY_BANDS if top >= floor)


def incident_summary(
    suspects: Sequence[Suspect],
    *,
    started_at: str,
    journeys: Sequence[str] = (),
    slos: Sequence[str] = (),
    budget_consumed: float | None = None,
    top: int = 5,
) -> dict[str, Any]:
    return {
        "started_at": started_at,
        "severity": severity(suspects),
        "affected_journeys": list(journeys),
        "affected_slos": list(slos),
        "budget_consumed": budget_consumed,
        "suspects": [s.as_dict() for s in suspects[:top]],
    }


def markdown_note(summary: dict[str, Any]) -> str:
    """The runbook note of an :func:`incident_summary`."""
    lines = [
        f"# Incident at {summary['started_at']}",
        "",
        f"Severity: **{summary['severity']}**.",
    ]
    journeys: list[str] = summary.get("affected_journeys") or []
    if journeys:
        lines.append(f"Journeys: {', '.join(journeys)}.")
    if summary.get("budget_consumed") is not None:
        lines.append(f"Error budget consumed: {float(summary['budget_consumed']):.1%}.")
    for slo in summary.get("slos") or []:  # the control plane's incidents name each SLO's burn
        consumed = slo.get("budget_consumed")
        lines.append(f"SLO {slo['name']}: {slo['bad']} of {slo['total']} requests bad, burn "
                     f"rate {slo['burn_rate']}"
                     + (f", {float(consumed):.2%} of the budget" if consumed is not None else "")
                     + ".")
    if summary.get("explanation"):
        lines += ["", str(summary["explanation"])]
    lines += ["", "## Suspects", ""]
    suspects: list[dict[str, Any]] = summary.get("suspects") or []
    if not suspects:
        lines.append("No signal stood out against the baseline.")
    for i, suspect in enumerate(suspects, start=1):
        where = suspect["service"] + (f" / {suspect['operation']}" if suspect["operation"] else "")
        lines.append(f"{i}. **{where}**: {suspect['kind']} (score {suspect['score']})")
        for item in suspect["evidence"]:
            lines.append(f"   - {item['signal']} (surprise {item['surprise']}): {item['detail']}")
    return "\n".join(lines) + "\n"
