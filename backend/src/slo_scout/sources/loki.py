"""Grafana Loki: a service's error log lines over a window, through ``query_range`` (LogQL).

``/loki/api/v1/query_range?query&start&end&limit&direction=forward`` (nanoseconds) answers
``{"status": "success", "data": {"resultType": "streams", "result": [{"stream": labels,
"values": [["<ns>", line], ...]}]}}``; with Loki 3's categorised labels a value carries a third
element of structured metadata. A full answer is followed by the next page from its last
timestamp (lines at that very nanosecond seen before are skipped, not counted twice). Each line
comes with the trace id it names (structured metadata or labels ``trace_id``/``traceID``, else
``trace_id=...`` or ``"traceId": "..."`` in the text), so mined templates link to traces.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

from slo_scout.sources import _http
from slo_scout.sources.endpoint import Endpoint
from slo_scout.sources.errors import SourceError

PATH = "/loki/api/v1/query_range"
_TRACE_KEYS = ("trace_id", "traceID", "traceId", "trace.id")
_TRACE_IN_TEXT = re.compile(r"""(?i)trace[._-]?id["']?\s*[=:]\s*["']?([0-9a-f]{16,32})\b""")
# Lines of trouble in most log formats; a team can pass its own LogQL instead.
ERROR_FILTER = r'|~ "(?i)(error|exception|fatal|panic|fail)"'


@dataclass(frozen=True, slots=True)
class LogLine:
    ts_ns: int
    service: str
    line: str
    trace_id: str | None


def error_query(service: str, label: str = "service_name") -> str:
    """LogQL for ``service``'s error lines (``service_name`` is what Loki's OTLP ingest and
    Alloy set; older setups label ``app`` or ``job``)."""
    value = service.replace("\\", "\\\\").replace('"', '\\"')
    return f'{{{label}="{value}"}} {ERROR_FILTER}'


def trace_id_of(labels: dict[str, Any], line: str) -> str | None:
    for key in _TRACE_KEYS:
        value = labels.get(key)
        if isinstance(value, str) and re.fullmatch(r"[0-9a-fA-F]{16,32}", value):
            return value.lower().rjust(32, "0")
    found = _TRACE_IN_TEXT.search(line)
    return found.group(1).lower().rjust(32, "0") if found else None


class Loki:
    name = "loki"

    def __init__(self, endpoint: Endpoint, *, page: int = 1000,
                 retry: _http.Retry = _http.DEFAULT_RETRY,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._client = endpoint.client(transport)
        self._where = endpoint.where
        self._page = max(1, page)
        self._retry = retry

    async def __aenter__(self) -> Loki:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self._client.aclose()

    async def lines(self, query: str, start_ns: int, end_ns: int, *, limit: int,
                    service: str = "") -> AsyncIterator[LogLine]:
        """Up to ``limit`` lines matching ``query`` in ``[start_ns, end_ns)``, oldest first."""
        start, given = start_ns, 0
        seen_at_start: set[tuple[str, str]] = set()
        while given < limit:
            page = await self._page_of(query, start, end_ns)
            fresh = [e for e in page if not (e[0] == start and (e[1], e[2]) in seen_at_start)]
            for ts, key, line, labels in fresh[:limit - given]:
                given += 1
                yield LogLine(ts, labels.get("service_name") or service or key, line,
                              trace_id_of(labels, line))
            if len(page) < self._page or not fresh:
                return
            last = page[-1][0]
            seen_at_start = ({(k, ln) for ts, k, ln, _ in page if ts == last}
                             | (seen_at_start if last == start else set()))
            start = last

    async def _page_of(self, query: str, start: int,
                       end: int) -> list[tuple[int, str, str, dict[str, Any]]]:
        response = await _http.get(
            self._client, PATH, source=self.name, where=self._where, retry=self._retry,
            params={"query": query, "start": start, "end": end, "limit": self._page,
                    "direction": "forward"})
        assert response is not None
        body = _http.json_of(response, source=self.name, where=f"{self._where}{PATH}")
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or data.get("resultType") != "streams":
            raise SourceError(self.name, f"{self._where}{PATH}",
                              "the answer holds no log streams (a metric query?)")
        entries = []
        for stream in data.get("result") or []:
            labels = dict(stream.get("stream") or {})
            key = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
            for value in stream.get("values") or []:
                extra = value[2] if len(value) > 2 and isinstance(value[2], dict) else {}
                merged = {**labels, **(extra.get("structuredMetadata") or {}),
                          **(extra.get("parsed") or {})}
                entries.append((int(value[0]), key, str(value[1]), merged))
        entries.sort(key=lambda e: (e[0], e[1], e[2]))
        return entries
