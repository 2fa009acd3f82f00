"""Reads an SLI's good/total history from a Prometheus-compatible HTTP query API.

The SLI queries are rates over ``{{.window}}``; evaluated with ``query_range`` at a step equal to
the window length, each point is the rate over one whole window, and rate x window length is the
window's event count. Works with Prometheus, Mimir and VictoriaMetrics (``/api/v1/query_range``
under the URL's path prefix: ``/prometheus``, ``/select/0/prometheus``), with a tenant
(``X-Scope-OrgID``), bearer or basic auth and TLS options (``sources.Endpoint``); 429 and 5xx
are retried with backoff, ``Retry-After`` honoured.
"""

from __future__ import annotations

from datetime import datetime

import httpx

from slo_scout.control.analysis import family
from slo_scout.core.recommend.model import WindowCounts
from slo_scout.sources import Endpoint, Retry, SourceError, retrying_get

# The job has attempts of its own: in-process retries stay short.
HISTORY_RETRY = Retry(attempts=3, backoff_s=0.25, max_wait_s=10.0)


class HistoryError(Exception):
    """The history server could not answer (retried by the job's attempts).

    The message is stored as the job's error, which every viewer of the team reads: it names
    the server by its redacted URL and the HTTP status, never the server's answer (an upstream
    that echoes its request would hand out the bearer token)."""


def _window_text(seconds: int) -> str:
    return f"{seconds}s"


class PrometheusHistory:
    name = "prometheus"

    def __init__(
        self,
        base_url: str,
        *,
        bearer_token: str | None = None,
        timeout_s: float = 30.0,
        tenant: str | None = None,
        ca_file: str | None = None,
        verify: bool = True,
        retry: Retry = HISTORY_RETRY,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        endpoint = Endpoint(base_url, tenant=tenant, bearer_token=bearer_token,
                            ca_file=ca_file, verify=verify, timeout_s=timeout_s)
        self._where = endpoint.where
        self._retry = retry
        self._client = endpoint.client(transport)

    async def close(self) -> None:
        await self._client.aclose()

    async def detect_family(self) -> family.FamilyChoice:
        """The metric family this server holds (its metadata, else its metric names)."""
        try:
            return await family.detect(self._client)
        except family.DetectionError as error:
            raise HistoryError(str(error)) from None

    async def _series(self, query: str, start: int, end: int, step: int) -> dict[int, float]:
        try:
            response = await retrying_get(
                self._client, "/api/v1/query_range", source="history query to prometheus",
                where=self._where, retry=self._retry,
                params={"query": query, "start": start, "end": end, "step": step},
            )
        except SourceError as error:
            raise HistoryError(str(error)) from None
        assert response is not None
        try:
            body = response.json()
        except ValueError:
            raise HistoryError(f"{self._where} did not answer JSON") from None
        if not isinstance(body, dict) or body.get("status") != "success":
            # Prometheus's errorType is one word of its own (bad_data, timeout, ...): the
            # free-text error beside it may quote the request, so it stays out.
            kind = body.get("errorType") if isinstance(body, dict) else None
            word = kind if isinstance(kind, str) and kind.isidentifier() else "unknown"
            raise HistoryError(f"history query to {self._where} failed: {word[:40]}")
        points: dict[int, float] = {}
        for series in body["data"]["result"]:
            for ts, value in series["values"]:
                rate = float(value)
                if rate == rate:  # NaN: no traffic in the window
                    points[int(float(ts))] = points.get(int(float(ts)), 0.0) + rate
        return points

    async def window_counts(
        self, good_query: str, total_query: str, *, now: datetime, lookback_s: int, windows: int
    ) -> list[WindowCounts]:
        length = max(60, (lookback_s // windows) // 60 * 60)
        end = int(now.timestamp()) // 60 * 60
        start = end - length * (windows - 1)
        window = _window_text(length)
        good = await self._series(good_query.replace("{{.window}}", window), start, end, length)
        total = await self._series(total_query.replace("{{.window}}", window), start, end, length)
        out = []
        for ts in range(start, end + 1, length):
            total_events = round(total.get(ts, 0.0) * length)
            good_events = min(total_events, round(good.get(ts, 0.0) * length))
            out.append(WindowCounts(ts - length, ts, max(0, good_events), total_events))
        return out
