"""Error log lines an analysis job reads from the environment's Loki, mined into templates linked
to the traces that logged them, so the journey detail, runbooks, ``GET /logs/templates`` and
incidents see them as they see the streaming catalog job's.

Each service of the environment's journeys gets ``{service_name="S"} |~ "(?i)(error|...)"``
over the job's window (or the source's one LogQL); the lines are mined with the catalog job's
miner (``control.logs.mining``: the same template ids, so both writers add to one row) and
stored through ``control.logs.repository``. A link's time is when its trace first logged the
template in the window; a template's sightings are its lines' first and last times.

Logs help an analysis but never decide it: Loki refusing, down, or drain3 missing is a partial
failure in the summary, never a failed job.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from slo_scout.control.analysis.upstream import redact_text
from slo_scout.control.logs.mining import MinerMissing, TemplateCount, TemplateMiners
from slo_scout.control.logs.repository import Link, TemplateRow, store_templates
from slo_scout.sources import Endpoint, Loki, SourceError, error_query


@dataclass(frozen=True, slots=True)
class LogSource:
    endpoint: Endpoint
    query: str | None = None  # LogQL; default: each service's error lines
    label: str = "service_name"  # the stream label naming the service (app, job, ...)
    limit: int = 5000  # lines per query

    def describe(self) -> str:
        return f"loki at {self.endpoint.where}"

    def queries(self, services: Sequence[str]) -> list[tuple[str, str]]:
        """(LogQL, the service its lines are of; "" when the lines' labels say)."""
        if self.query:
            return [(self.query, "")]
        return [(error_query(s, self.label), s) for s in sorted(set(services))]


# (service, environment) -> the Loki its jobs read error lines from, if any
LogSourceOf = Callable[[str, str], LogSource | None]


def _at(ts_ns: int) -> datetime:
    return datetime.fromtimestamp(ts_ns / 1e9, UTC)


async def mine_into(
    sessions: async_sessionmaker[AsyncSession], source: LogSource, *, environment: str,
    services: Sequence[str], start: datetime, end: datetime,
) -> dict[str, Any]:
    """Reads ``[start, end)``'s error lines, stores their templates and trace links; the
    summary the job's result keeps (``source.logs``)."""
    queries = source.queries(services)
    problems: list[str] = []
    summary: dict[str, Any] = {"source": source.describe(), "queries": len(queries),
                               "lines": 0, "templates": 0, "linked_traces": 0}
    try:
        miners = TemplateMiners(environment)
    except MinerMissing as missing:
        problems.append(str(missing))
        queries = []
    counts: dict[str, TemplateCount] = {}
    seen: dict[str, list[int]] = {}  # template id -> [first, last] line time (ns)
    first_link: dict[tuple[str, str], int] = {}  # (template id, trace id) -> first time (ns)
    start_ns, end_ns = int(start.timestamp() * 1e9), int(end.timestamp() * 1e9)
    async with Loki(source.endpoint) as loki:
        for query, service in queries:
            try:
                async for line in loki.lines(query, start_ns, end_ns, limit=source.limit,
                                             service=service):
                    summary["lines"] += 1
                    tid = miners.add(counts, line.service, line.line, line.trace_id)
                    span = seen.setdefault(tid, [line.ts_ns, line.ts_ns])
                    span[0], span[1] = min(span[0], line.ts_ns), max(span[1], line.ts_ns)
                    if line.trace_id:
                        first_link.setdefault((tid, line.trace_id), line.ts_ns)
            except SourceError as error:  # this query's lines are lost; the rest are kept
                problems.append(redact_text(str(error)))
    templates = [TemplateRow(tid, c.service, c.template, c.occurrences, _at(seen[tid][0]),
                             _at(seen[tid][1])) for tid, c in counts.items()]
    links = [Link(tid, trace, _at(ts), None) for (tid, trace), ts in first_link.items()]
    if templates:
        async with sessions() as session:
            await store_templates(session, environment, templates, links)
            await session.commit()
    summary.update(templates=len(templates), linked_traces=len({t for _, t in first_link}),
                   problems=len(problems), first_problems=problems[:10])
    return summary
