"""The Nezha layout (rca_data/<day>/, construct_data/<day>/) -> one investigation per fault.

Only :func:`faults` reads the label file, and what it returns (the injected pod, the fault
type) goes to the evaluator alone: an investigation gets the telemetry, the baseline and the
injection time, like an on-call engineer. As in the paper, the incident window is the minute
file two minutes after the injection; metrics are read from the injection to the end of that
minute, against a band of the 30 minutes before the injection. The traces of the injection's own
minute file that ended before it are the recent past (the workload of just now).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

from slo_scout.cli._rca_files import (
    RcaInputError,
    TemplateMiner,
    read_logs,
    read_metrics,
    read_spans,
)
from slo_scout.core.errors import DecodeError
from slo_scout.core.rca import LogRecord, MetricSample, Telemetry
from slo_scout.core.telemetry.model import Span, service_from_pod

MINUTE_NS: Final = 60 * 1_000_000_000
BAND_MINUTES: Final = 30
INCIDENT_DELAY: Final = timedelta(minutes=2)


@dataclass(frozen=True)
class Fault:
    """A label: for the evaluator only, never handed to an investigation."""

    day: str
    inject_time: datetime
    service: str
    fault_type: str


@dataclass
class Day:
    name: str
    incident_dir: Path
    baseline_dir: Path
    baseline: Telemetry  # its logs hold raw messages; incident_at templates them
    metrics: list[MetricSample]
    miner: TemplateMiner
    # Bad rows skipped so far (the recording has a few truncated log lines).
    problems: list[DecodeError]


def days(root: Path) -> list[str]:
    rca = root / "rca_data"
    if not rca.is_dir():
        raise RcaInputError("no rca_data/ folder here (expected the nezha-trainticket layout)",
                          source=str(root))
    return sorted(p.name for p in rca.iterdir() if p.is_dir())


def faults(root: Path, day: str) -> list[Fault]:
    path = root / "rca_data" / day / f"{day}-fault_list.json"
    try:
        document = json.loads(path.read_text())
    except OSError as exc:
        raise RcaInputError(f"cannot read the fault list: {exc.strerror}",
                            source=str(path)) from exc
    except ValueError as exc:
        raise RcaInputError(f"not JSON: {exc}", source=str(path)) from exc
    out = []
    for hour, entries in sorted(document.items()):
        for i, entry in enumerate(entries):
            try:
                when = datetime.strptime(entry["inject_time"], "%Y-%m-%d %H:%M:%S")
                out.append(Fault(day, when, service_from_pod(entry["inject_pod"]),
                                 entry["inject_type"]))
            except (KeyError, TypeError, ValueError) as exc:
                raise RcaInputError(f"bad fault entry: {exc}", source=str(path),
                                  record=f"{hour}[{i}]") from exc
    out.sort(key=lambda f: f.inject_time)
    return out


def _files(folder: Path, pattern: str) -> list[Path]:
    return sorted(folder.glob(pattern)) if folder.is_dir() else []


def load_day(root: Path, day: str) -> Day:
    incident_dir = root / "rca_data" / day
    baseline_dir = root / "construct_data" / day
    if not baseline_dir.is_dir():
        raise RcaInputError("no baseline for this day", source=str(baseline_dir))
    miner = TemplateMiner()
    problems: list[DecodeError] = []
    baseline = Telemetry(
        spans=read_spans(_files(baseline_dir / "trace", "*.csv*")),
        logs=read_logs(_files(baseline_dir / "log", "*.csv*"), problems),
        metrics=read_metrics(_files(baseline_dir / "metric", "*_metric.csv*"), problems),
    )
    miner.learn(baseline.logs)
    metrics = read_metrics(_files(incident_dir / "metric", "*_metric.csv*"), problems)
    return Day(day, incident_dir, baseline_dir, baseline, metrics, miner, problems)


def incident_at(day: Day, inject_time: datetime) -> tuple[Telemetry, Telemetry, Telemetry]:
    """The incident window's telemetry, the baseline, and the recent past for an injection at
    ``inject_time``.

    The recent past is what the recording holds of the injection's own minute file before the
    burn started (its traces that ended before ``inject_time``): the workload of just now, as an
    on-call engineer has it, but not known to be fault-free (see ``investigate``).
    """
    minute = (inject_time + INCIDENT_DELAY).strftime("%H_%M")
    trace = day.incident_dir / "trace" / f"{minute}_trace.csv.gz"
    log = day.incident_dir / "log" / f"{minute}_log.csv.gz"
    if not trace.exists():
        raise RcaInputError(f"no trace file for the incident minute {minute}", source=str(trace))
    spans = read_spans([trace])
    raw_logs = read_logs([log], day.problems) if log.exists() else []
    # inject_time is UTC, as are the recording's Unix times.
    inject_ns = int(inject_time.replace(tzinfo=UTC).timestamp()) * 1_000_000_000
    recent_spans, raw_recent = minute_before(day, inject_time, inject_ns)
    day.miner.learn(raw_recent)
    day.miner.learn(raw_logs)
    logs = day.miner.templated(raw_logs)
    baseline_logs = day.miner.templated(day.baseline.logs)
    end_ns = inject_ns + int((INCIDENT_DELAY + timedelta(minutes=1)).total_seconds()) * 10**9
    incident_metrics = [m for m in day.metrics if inject_ns <= m.time_ns < end_ns]
    band_start = inject_ns - BAND_MINUTES * MINUTE_NS
    band = [m for m in day.baseline.metrics if band_start <= m.time_ns < inject_ns]
    baseline = Telemetry(day.baseline.spans, baseline_logs, band)
    recent = Telemetry(recent_spans, day.miner.templated(raw_recent))
    return Telemetry(spans, logs, incident_metrics), baseline, recent


def minute_before(day: Day, inject_time: datetime, inject_ns: int
                  ) -> tuple[list[Span], list[LogRecord]]:
    """The traces of the injection's minute file that ended before it, with their log lines.

    The recording's minute files are not cut on the minute (the one named for the injection's
    minute holds about the minute before it), so every trace is checked against the time.
    """
    minute = inject_time.strftime("%H_%M")
    trace = day.incident_dir / "trace" / f"{minute}_trace.csv.gz"
    log = day.incident_dir / "log" / f"{minute}_log.csv.gz"
    if not trace.exists():
        return [], []
    spans = read_spans([trace])
    late = {s.trace_id for s in spans if s.end_ns >= inject_ns}
    kept = [s for s in spans if s.trace_id not in late]
    ids = {s.trace_id for s in kept}
    raw = read_logs([log], day.problems) if log.exists() else []
    lines = [r for r in raw
             if r.time_ns < inject_ns and (r.trace_id in ids if r.trace_id else True)]
    return kept, lines
