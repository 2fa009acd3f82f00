"""Grafana Tempo: TraceQL search (``/api/search``), then each trace by id.

Search answers ``{"traces": [{"traceID", "rootServiceName", "startTimeUnixNano", ...}]}`` for
``q`` (TraceQL), ``start``/``end`` (Unix seconds) and ``limit``; long windows are paged (see
``_paging``). A trace is fetched from ``/api/v2/traces/{id}`` (``{"trace": {"resourceSpans"}}``)
or, on a Tempo before 2.5, ``/api/traces/{id}`` (OTLP JSON with ``batches``): the first trace
found tells which, and the rest use it. Bodies go to the telemetry decoders unchanged. A trace
that vanished between search and fetch (404: retention, compaction) is reported, not fatal.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import httpx

from slo_scout.sources import _http
from slo_scout.sources._paging import search_pages
from slo_scout.sources.endpoint import Endpoint
from slo_scout.sources.errors import SourceError

DEFAULT_QUERY = "{}"


@dataclass(frozen=True, slots=True)
class TraceRef:
    trace_id: str
    start_ns: int


@dataclass(slots=True)
class PullReport:
    """What a pull found and fetched; ``missing`` and ``failed`` are partial failures."""

    found: int = 0
    fetched: int = 0
    pages: int = 0
    missing: list[str] = field(default_factory=list)  # searched, then gone (404)
    failed: list[str] = field(default_factory=list)  # a message per trace that failed
    saturated: list[tuple[int, int]] = field(default_factory=list)  # windows maybe cut short

    def problems(self) -> list[str]:
        lines = [f"trace {t}: gone between search and fetch (404)" for t in self.missing]
        lines += self.failed
        lines += [f"search window {lo}..{hi}: still full at one second, some traces may be "
                  "missing" for lo, hi in self.saturated]
        return lines


Progress = Callable[[int, int], None]  # (done, total)


class Tempo:
    name = "tempo"

    def __init__(self, endpoint: Endpoint, *, concurrency: int = 8, page: int = 500,
                 retry: _http.Retry = _http.DEFAULT_RETRY, api: str | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._endpoint = endpoint
        self._client = endpoint.client(transport)
        self._where = endpoint.where
        self._concurrency = max(1, concurrency)
        self._page = max(1, page)
        self._retry = retry
        self._api = api  # "v2", "v1", or None: learnt from the first trace

    async def __aenter__(self) -> Tempo:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self._client.aclose()

    async def _get(self, path: str, params: dict[str, object] | None = None, *,
                   missing_ok: bool = False) -> httpx.Response | None:
        return await _http.get(self._client, path, source=self.name, where=self._where,
                               params=params, retry=self._retry, missing_ok=missing_ok)

    async def ready(self) -> None:
        """``/api/echo`` answers ``echo`` on a query frontend that is up."""
        await self._get("/api/echo")

    async def _search(self, query: str, start_s: int, end_s: int,
                      limit: int) -> list[tuple[str, TraceRef]]:
        response = await self._get("/api/search", {"q": query, "start": start_s, "end": end_s,
                                                   "limit": limit})
        assert response is not None
        body = _http.json_of(response, source=self.name, where=f"{self._where}/api/search")
        traces = body.get("traces") if isinstance(body, dict) else None
        if traces is None:
            return []  # Tempo omits "traces" when nothing matched
        if not isinstance(traces, list):
            raise SourceError(self.name, f"{self._where}/api/search", "'traces' is not a list")
        hits = []
        for trace in traces:
            trace_id = trace.get("traceID") if isinstance(trace, dict) else None
            if not isinstance(trace_id, str) or not trace_id:
                continue
            # Tempo prints ids without their leading zeros; the decoders' ids have 32 digits.
            trace_id = trace_id.lower().rjust(32, "0")
            hits.append((trace_id, TraceRef(trace_id, int(trace.get("startTimeUnixNano") or 0))))
        return hits

    async def search(self, query: str, start_s: int, end_s: int, *, limit: int,
                     report: PullReport) -> list[TraceRef]:
        """Up to ``limit`` traces matching ``query``, oldest first."""

        async def one(lo: int, hi: int, page: int) -> list[tuple[str, TraceRef]]:
            return await self._search(query, lo, hi, page)

        paged = await search_pages(one, start_s, end_s, limit=limit, page=self._page)
        report.pages += paged.pages
        report.saturated += paged.saturated
        report.found += len(paged.hits)
        return sorted(paged.hits.values(), key=lambda r: (r.start_ns, r.trace_id))

    async def fetch(self, trace_id: str) -> bytes | None:
        """The trace's body as Tempo serves it (OTLP JSON), or None when it is gone."""
        if self._api != "v1":
            found = await self._get(f"/api/v2/traces/{trace_id}", missing_ok=True)
            if found is not None:
                self._api = "v2"
                return found.content
            if self._api == "v2":
                return None
        found = await self._get(f"/api/traces/{trace_id}", missing_ok=True)
        if found is not None:
            self._api = "v1"
            return found.content
        return None

    async def pull(self, query: str, start_s: int, end_s: int, *, limit: int,
                   report: PullReport, progress: Progress | None = None
                   ) -> AsyncIterator[tuple[str, bytes]]:
        """(name, body) per trace found, in start order, fetched ``concurrency`` at a time."""
        refs = await self.search(query, start_s, end_s, limit=limit, report=report)
        gate = asyncio.Semaphore(self._concurrency)

        async def fetch_one(ref: TraceRef) -> bytes | SourceError | None:
            async with gate:
                try:
                    return await self.fetch(ref.trace_id)
                except SourceError as error:
                    return error

        done = 0
        window = self._concurrency * 4  # bodies held at once: bounded memory
        # The first trace alone, so the API version is known before the others go out.
        chunks = [refs[:1]] + [refs[i:i + window] for i in range(1, len(refs), window)]
        for chunk in chunks:
            bodies = await asyncio.gather(*(fetch_one(ref) for ref in chunk))
            for ref, body in zip(chunk, bodies, strict=True):
                done += 1
                if body is None:
                    report.missing.append(ref.trace_id)
                elif isinstance(body, SourceError):
                    report.failed.append(f"trace {ref.trace_id}: {body}")
                else:
                    report.fetched += 1
                    yield f"{self._where}/trace/{ref.trace_id}", body
            if progress is not None:
                progress(done, len(refs))
