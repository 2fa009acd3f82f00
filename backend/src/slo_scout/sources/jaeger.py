"""Jaeger's query API: ``/api/services`` to check the service, ``/api/traces`` to find traces.

``/api/traces?service=&operation=&start=&end=&limit=`` (times in microseconds) answers
``{"data": [{"traceID", "spans", "processes"}], "errors": [...]}`` with whole traces, so there
is no second fetch; long windows are paged (see ``_paging``), and each trace goes to the
decoders as its own ``{"data": [trace]}`` body, the format the Jaeger UI exports. Errors Jaeger
lists beside the data (a trace it could not read whole) are partial failures, reported.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx

from slo_scout.sources import _http
from slo_scout.sources._paging import search_pages
from slo_scout.sources.endpoint import Endpoint
from slo_scout.sources.errors import SourceError
from slo_scout.sources.tempo import PullReport

Progress = Callable[[int, int], None]


class Jaeger:
    name = "jaeger"

    def __init__(self, endpoint: Endpoint, *, page: int = 200,
                 retry: _http.Retry = _http.DEFAULT_RETRY,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._client = endpoint.client(transport)
        self._where = endpoint.where
        self._page = max(1, page)
        self._retry = retry

    async def __aenter__(self) -> Jaeger:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self._client.aclose()

    async def _json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        response = await _http.get(self._client, path, source=self.name, where=self._where,
                                   params=params, retry=self._retry)
        assert response is not None
        return _http.json_of(response, source=self.name, where=f"{self._where}{path}")

    async def services(self) -> list[str]:
        body = await self._json("/api/services")
        data = body.get("data") if isinstance(body, dict) else None
        return sorted(s for s in data or [] if isinstance(s, str))

    async def _search(self, service: str, operation: str | None, start_s: int, end_s: int,
                      limit: int, errors: dict[str, str]
                      ) -> list[tuple[str, dict[str, Any] | None]]:
        """The window's traces; one Jaeger could not read counts toward the page (None)."""
        params: dict[str, Any] = {"service": service, "start": start_s * 1_000_000,
                                  "end": end_s * 1_000_000, "limit": limit}
        if operation:
            params["operation"] = operation
        body = await self._json("/api/traces", params)
        if not isinstance(body, dict) or not isinstance(body.get("data") or [], list):
            raise SourceError(self.name, f"{self._where}/api/traces", "'data' is not a list")
        hits: list[tuple[str, dict[str, Any] | None]] = [
            (t["traceID"], t) for t in body.get("data") or []
            if isinstance(t, dict) and isinstance(t.get("traceID"), str)]
        for error in body.get("errors") or []:
            if isinstance(error, dict):
                trace_id = str(error.get("traceID") or f"?{len(errors)}")
                errors[trace_id] = f"trace {trace_id}: jaeger error {error.get('code', '?')}"
                hits.append((trace_id, None))
        return hits

    async def pull(self, service: str, start_s: int, end_s: int, *, limit: int,
                   operation: str | None = None, report: PullReport,
                   progress: Progress | None = None) -> AsyncIterator[tuple[str, bytes]]:
        """(name, body) per trace of ``service`` (and ``operation``), oldest first."""
        known = await self.services()
        if service not in known:
            shown = ", ".join(known[:10]) + (", ..." if len(known) > 10 else "")
            raise SourceError(self.name, self._where,
                              f"service {service!r} is not known (known: {shown or 'none'})")

        errors: dict[str, str] = {}

        async def one(lo: int, hi: int, page: int) -> list[tuple[str, dict[str, Any] | None]]:
            return await self._search(service, operation, lo, hi, page, errors)

        paged = await search_pages(one, start_s, end_s, limit=limit, page=self._page)
        report.pages += paged.pages
        report.saturated += paged.saturated
        report.found += len(paged.hits)
        report.failed += [errors[tid] for tid, trace in paged.hits.items() if trace is None]
        traces = sorted((t for t in paged.hits.values() if t is not None),
                        key=lambda t: (_start(t), t["traceID"]))
        for done, trace in enumerate(traces, 1):
            report.fetched += 1
            yield (f"{self._where}/trace/{trace['traceID']}",
                   json.dumps({"data": [trace]}, separators=(",", ":")).encode())
            if progress is not None:
                progress(done, len(traces))


def _start(trace: dict[str, Any]) -> int:
    starts = [s.get("startTime", 0) for s in trace.get("spans") or [] if isinstance(s, dict)]
    return min((s for s in starts if isinstance(s, int)), default=0)
