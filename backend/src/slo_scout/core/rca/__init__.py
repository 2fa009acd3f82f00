"""Why is it burning: rank the services and operations behind an incident, with the evidence.

Pure: a runtime passes the incident window's spans, log records (templates already mined) and
metric samples, and the same for a baseline; :func:`investigate` returns suspects ranked by a
score documented in :mod:`slo_scout.core.rca.score` (docs/rca.md explains every signal).
"""

from slo_scout.core.rca.analysis import Findings, Telemetry, investigate
from slo_scout.core.rca.model import Evidence, LogRecord, MetricSample, Suspect, Window

__all__ = [
    "Evidence",
    "Findings",
    "LogRecord",
    "MetricSample",
    "Suspect",
    "Telemetry",
    "Window",
    "investigate",
]
