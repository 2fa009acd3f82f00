"""An incident on stored data: why one journey burns, from the minutes the control plane keeps.

Given a journey and the time it started burning, the window after (``window_minutes``) is
compared with a baseline before (``baseline_minutes``):

- suspects: the journey's keys' per-minute step counts (migration 0022) summed over each window,
  and the error log templates linked to its traces (by the trace's minute in the ledger),
  ranked by the core's score (``core.rca.stored``: step errors past the callees', critical-path
  share, new or surging error templates);
- the journey's SLOs (not rejected): bad requests in the window (errors, or requests slower
  than the threshold by the merged latency sketches), burn rate and the share of the period's
  error budget consumed (``core.rca.budget``);
- severity: from the worst burn rate when the journey has SLOs, else from the top suspect's
  standout (``core.rca.summary.severity``).

Synchronous: every read is one journey's minutes in two short ranges on primary keys, so the
cost does not grow with the number of journeys stored. Never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.errors import InvalidField
from slo_scout.control.incidents import repository
from slo_scout.core.journeys.keystats_codec import decode_steps
from slo_scout.core.journeys.model import new_sketch
from slo_scout.core.journeys.sketch_codec import decode_sketch
from slo_scout.core.rca.budget import SloBurn, burn_severity, slo_burn
from slo_scout.core.rca.stored import StepWindow, rank_steps
from slo_scout.core.rca.summary import incident_summary, markdown_note, severity
from slo_scout.core.recommend.history import count_at_most
from slo_scout.db.models import JourneyRow

_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class IncidentRequest:
    started_at: datetime
    window_minutes: int = 15
    baseline_minutes: int = 60


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive date-times; they were written in UTC
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return _utc(moment).isoformat().replace("+00:00", "Z")


async def _steps(session: AsyncSession, journey_id: int, start: datetime, end: datetime
                 ) -> tuple[StepWindow, int]:
    """The window's step counts, and how many of its key minutes carried none (pre-0022)."""
    window = StepWindow()
    without = 0
    for _, requests, steps in await repository.step_minutes(session, journey_id, start, end):
        if steps is None:
            without += 1
            continue
        window.add(requests, decode_steps(steps))
    return window, without


async def _burns(session: AsyncSession, row: JourneyRow, minutes: list[Any], end: datetime
                 ) -> list[SloBurn]:
    slos = await repository.slos_of_journey(session, row.id)
    if not slos:
        return []
    total = sum(m[1] for m in minutes)
    errors = sum(m[2] for m in minutes)
    sketch = new_sketch()
    for m in minutes:
        part = decode_sketch(m[3])
        if part.count:
            sketch.merge(part)
    burns = []
    for slo in slos:
        period = timedelta(days=slo.window_days)
        stored, first = await repository.requests_between(session, row.id, end - period, end)
        # less history than the period: the stored rate, scaled up to the whole period
        covered = end - _utc(first) if first is not None else period
        period_requests = stored * (period / covered) if covered > timedelta(0) else 0.0
        if slo.sli_kind == "latency" and slo.threshold_seconds is not None:
            bad = total - min(total, round(count_at_most(sketch, slo.threshold_seconds))) \
                if sketch.count else 0
        else:
            bad = errors
        burns.append(slo_burn(slo.id, slo.name, slo.sli_kind, slo.objective, bad=bad,
                              total=total, period_requests=period_requests))
    return burns


async def investigate_journey(session: AsyncSession, row: JourneyRow, service: str,
                              environment: str, request: IncidentRequest) -> dict[str, Any]:
    """The incident summary (with its Markdown ``note``) of ``row`` from ``started_at``.

    Raises :class:`InvalidField` (``started_at``) when the time is not inside the journey's
    stored minutes, naming the stored range."""
    stored = await repository.stored_range(session, row.id)
    start = _utc(request.started_at).replace(second=0, microsecond=0)
    if stored is None:
        raise InvalidField("started_at", f"journey {row.id} has no stored minutes")
    first, last = _utc(stored[0]), _utc(stored[1])
    if not first < start <= last:
        raise InvalidField(
            "started_at",
            f"{_iso(request.started_at)} is outside journey {row.id}'s stored minutes, "
            f"{_iso(first)} to {_iso(last + _MINUTE)}: it needs a stored minute before it (the "
            f"baseline) and one at or after it, so from {_iso(first + _MINUTE)} to "
            f"{_iso(last)}")
    end = start + request.window_minutes * _MINUTE
    base_start = start - request.baseline_minutes * _MINUTE
    incident, missing_now = await _steps(session, row.id, start, end)
    baseline, missing_before = await _steps(session, row.id, base_start, start)
    calls: dict[str, set[str]] = {}
    for edge in row.edges:
        calls.setdefault(edge["caller"], set()).add(edge["callee"])
    now: dict[tuple[str, str], set[str]] = {}
    before_templates: dict[tuple[str, str], set[str]] = {}
    for service_name, template, trace_id, minute in await repository.error_template_traces(
            session, row.id, environment, base_start, end):
        into = now if _utc(minute) >= start else before_templates
        into.setdefault((service_name, template), set()).add(trace_id)
    suspects = rank_steps(incident, baseline, calls, now, before_templates)
    minutes = await repository.journey_minutes(session, row.id, start, end)
    before = await repository.journey_minutes(session, row.id, base_start, start)
    burns = await _burns(session, row, minutes, min(end, last + _MINUTE))
    consumed = [b.budget_consumed for b in burns if b.budget_consumed is not None]
    summary = incident_summary(
        suspects, started_at=_iso(start), journeys=[row.name], slos=[b.name for b in burns],
        budget_consumed=round(max(consumed), 6) if consumed else None)
    summary["severity"] = burn_severity(burns) if burns else severity(suspects)
    summary.update({
        "journey": {"id": row.id, "name": row.name, "service": service,
                    "environment": environment},
        "window": {"start": _iso(start), "end": _iso(end),
                   "requests": sum(m[1] for m in minutes),
                   "errors": sum(m[2] for m in minutes)},
        "baseline": {"start": _iso(base_start), "end": _iso(start),
                     "requests": sum(m[1] for m in before),
                     "errors": sum(m[2] for m in before)},
        "slos": [b.as_dict() for b in burns],
        # key minutes stored before step counts were kept (migration 0022) add no evidence
        "minutes_without_steps": missing_now + missing_before,
    })
    summary["note"] = markdown_note(summary)
    return summary
