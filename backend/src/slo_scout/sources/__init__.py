"""Sources: the team's own backends read directly (Tempo, Jaeger, Loki; Prometheus-compatible
history through ``Endpoint``), for every analysis path (the CLI, the control plane's jobs).

An adapter: HTTP (httpx) in, bodies out. Trace bodies go unchanged to the core's decoders
(``core.telemetry``); nothing here parses spans. Every request is retried on 429/5xx with
backoff (``Retry-After`` honoured, attempts bounded); a failure is a :class:`SourceError`
naming the source, its redacted URL and the status; partial failures are in the pull's report.
"""

from slo_scout.sources._http import Retry
from slo_scout.sources._http import get as retrying_get
from slo_scout.sources.blocking import iterate
from slo_scout.sources.endpoint import TENANT_HEADER, Endpoint, redact_text, redact_url
from slo_scout.sources.errors import SourceError
from slo_scout.sources.jaeger import Jaeger
from slo_scout.sources.loki import LogLine, Loki, error_query
from slo_scout.sources.tempo import PullReport, Tempo, TraceRef

__all__ = [
    "TENANT_HEADER",
    "Endpoint",
    "Jaeger",
    "LogLine",
    "Loki",
    "PullReport",
    "Retry",
    "SourceError",
    "Tempo",
    "TraceRef",
    "error_query",
    "iterate",
    "redact_text",
    "redact_url",
    "retrying_get",
]
