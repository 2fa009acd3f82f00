"""``analyze --tempo`` / ``--jaeger``: traces pulled from the team's backend, as the decoders'
(name, chunks) inputs, with a progress bar and the partial failures told, never silent."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from slo_scout.cli._console import fail_message, note, stderr, usage_error
from slo_scout.core.journeys import Discovery, Journey
from slo_scout.core.specs.durations import parse_duration
from slo_scout.sources import (
    Endpoint,
    Jaeger,
    LogLine,
    Loki,
    PullReport,
    Tempo,
    error_query,
    iterate,
)

if TYPE_CHECKING:
    from slo_scout.cli.analyze import Inputs


@dataclass(frozen=True, slots=True)
class Pull:
    """What to pull: the backend and its query, over ``[start_s, end_s]``."""

    kind: str  # "tempo" or "jaeger"
    endpoint: Endpoint
    start_s: int
    end_s: int
    limit: int
    query: str | None = None  # TraceQL (Tempo)
    service: str | None = None  # Jaeger
    operation: str | None = None
    concurrency: int = 8


def window(since: str, until: str | None, now: datetime) -> tuple[int, int]:
    """``--since 2h`` back from ``--until`` (ISO 8601, Unix seconds, or a duration before now;
    default now)."""
    end = now
    if until and until.isdigit():
        end = datetime.fromtimestamp(int(until), UTC)
    elif until:
        try:
            end = now - timedelta(milliseconds=parse_duration(until))
        except ValueError:
            try:
                end = datetime.fromisoformat(until)
            except ValueError:
                usage_error(f"--until: {until!r} is neither ISO 8601 nor a duration (2h)")
            if end.tzinfo is None:
                end = end.replace(tzinfo=UTC)
    try:
        length = parse_duration(since) // 1000
    except ValueError:
        usage_error(f"--since: {since!r} is not a duration (30m, 2h, 7d)")
    if length <= 0:
        usage_error("--since: must be longer than 0s")
    end_s = int(end.timestamp())
    return end_s - length, end_s


def pulled(pull: Pull, report: PullReport) -> Iterator[tuple[str, list[bytes]]]:
    """Each trace's body as one decoder input, fetched in a thread while decoding goes on."""
    with _progress(enabled=sys.stderr.isatty()) as progress:
        task = progress.add_task(f"{pull.kind}: searching", total=None) if progress else None

        def advance(done: int, total: int) -> None:
            if progress is not None and task is not None:
                progress.update(task, completed=done, total=total,
                                description=f"{pull.kind}: fetching traces")

        async def run() -> AsyncIterator[tuple[str, bytes]]:
            if pull.kind == "tempo":
                async with Tempo(pull.endpoint, concurrency=pull.concurrency) as tempo:
                    await tempo.ready()
                    async for item in tempo.pull(pull.query or "{}", pull.start_s, pull.end_s,
                                                 limit=pull.limit, report=report,
                                                 progress=advance):
                        yield item
            else:
                async with Jaeger(pull.endpoint) as jaeger:
                    async for item in jaeger.pull(pull.service or "", pull.start_s,
                                                  pull.end_s, limit=pull.limit,
                                                  operation=pull.operation, report=report,
                                                  progress=advance):
                        yield item

        for name, body in iterate(run):
            yield name, [body]


class _NoProgress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_exc: object) -> None:
        return None


def _progress(*, enabled: bool) -> Progress | _NoProgress:
    if not enabled:
        return _NoProgress()
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=stderr(), transient=True)


def pull_of(*, tempo: str | None, jaeger: str | None, query: str, service: str | None,
            operation: str | None, since: str, until: str | None, limit: int,
            tenant: str | None, token: str | None, ca_file: Path | None, insecure: bool,
            concurrency: int, now: datetime | None = None) -> Pull | None:
    """The pull the flags ask for, or None (files only); usage errors for contradictions."""
    if tempo and jaeger:
        usage_error("--tempo and --jaeger: pick one source per run")
    url = tempo or jaeger
    if not url:
        return None
    if jaeger and not service:
        usage_error("--jaeger needs --service (Jaeger searches one service at a time)")
    start_s, end_s = window(since, until, now or datetime.now(UTC))
    endpoint = endpoint_of(url, "--tempo" if tempo else "--jaeger", tenant, token, ca_file,
                           insecure)
    return Pull("tempo" if tempo else "jaeger", endpoint, start_s, end_s, limit, query=query,
                service=service, operation=operation, concurrency=concurrency)


def tell(pull: Pull, report: PullReport, inputs: Inputs) -> None:
    """One input line for the pull instead of one per trace; its partial failures as problems
    (listed in report.html) and on stderr. No trace found at all is an error."""
    prefix = f"{pull.endpoint.where}/trace/"
    inputs.sources[:] = [s for s in inputs.sources if not s.startswith(prefix)]
    what = (f"query {pull.query}" if pull.kind == "tempo" else
            f"service {pull.service}" + (f", operation {pull.operation}" if pull.operation
                                         else ""))
    span = (f"{datetime.fromtimestamp(pull.start_s, UTC):%Y-%m-%dT%H:%M:%SZ} to "
            f"{datetime.fromtimestamp(pull.end_s, UTC):%Y-%m-%dT%H:%M:%SZ}")
    inputs.sources.append(f"{pull.kind} at {pull.endpoint.where}: {report.fetched:,} traces "
                          f"({what}, {span})")
    problems = report.problems()
    inputs.bad_records += len(problems)
    inputs.problems.extend(f"{pull.kind}: {p}" for p in problems)
    if report.found == 0:
        fail_message(f"{pull.kind} at {pull.endpoint.where}: no traces for {what} from {span}",
                     "widen --since, or check the query and the tenant")
    note(f"{pull.kind}: {report.found:,} traces found in {report.pages} searches, "
         f"{report.fetched:,} fetched" + (f"; {len(problems)} problems (listed in report.html)"
                                          if problems else ""))
    for line in problems[:3]:
        note(f"  {pull.kind}: {line}")


@dataclass(frozen=True, slots=True)
class LogPull:
    endpoint: Endpoint
    query: str | None  # LogQL; None: each discovered service's error lines
    label: str = "service_name"
    limit: int = 5000  # lines per service


def mined_logs(logs: LogPull, services: list[str], journeys: list[Journey], start_ns: int,
               end_ns: int) -> dict[str, Any]:
    """Error lines from Loki mined into templates (the streaming job's Drain3 miner), each with
    the traces that logged it and the journeys whose sample traces are among them."""
    from slo_scout.control.logs.mining import TemplateCount, TemplateMiners

    miners = TemplateMiners("cli")
    counts: dict[str, TemplateCount] = {}
    queries = ([(logs.query, "")] if logs.query else
               [(error_query(s, logs.label), s) for s in services])
    lines = 0

    async def run() -> AsyncIterator[LogLine]:
        async with Loki(logs.endpoint) as loki:
            for query, service in queries:
                async for line in loki.lines(query, start_ns, end_ns, limit=logs.limit,
                                             service=service):
                    yield line

    for line in iterate(run):
        lines += 1
        miners.add(counts, line.service, line.line, line.trace_id)
    by_trace = {t: j.id for j in journeys for t in j.sample_trace_ids}
    templates = [
        {"id": tid, "service": c.service, "template": c.template, "occurrences": c.occurrences,
         "traces": sorted(c.trace_ids)[:20], "trace_count": len(c.trace_ids),
         "journeys": sorted({by_trace[t] for t in c.trace_ids if t in by_trace})}
        for tid, c in counts.items()
    ]
    templates.sort(key=lambda t: (-t["occurrences"], t["service"], t["template"]))
    return {"source": f"loki at {logs.endpoint.where}", "queries": [q for q, _ in queries],
            "lines": lines, "templates": templates}


def endpoint_of(url: str, flag: str, tenant: str | None, token: str | None,
                ca_file: Path | None, insecure: bool) -> Endpoint:
    if not url.startswith(("http://", "https://")):
        usage_error(f"{flag}: expected an http(s) URL")
    return Endpoint(url, tenant=tenant, bearer_token=token,
                    ca_file=str(ca_file) if ca_file else None, verify=not insecure)


def write_log_templates(logs: LogPull, discovery: Discovery, pull: Pull | None,
                        out: Path) -> None:
    """log-templates.json: over the pull's window, else the discovered traffic's."""
    journeys = discovery.journeys
    if pull is not None:
        start_ns, end_ns = pull.start_s * 10**9, pull.end_s * 10**9
    elif journeys:
        start_ns = min(j.first_seen_ns for j in journeys)
        end_ns = max(j.last_seen_ns for j in journeys) + 60 * 10**9
    else:
        return
    services = sorted({s for j in journeys for s in j.services})
    document = mined_logs(logs, services, journeys, start_ns, end_ns)
    out.mkdir(parents=True, exist_ok=True)
    (out / "log-templates.json").write_text(
        json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    note(f"loki: {document['lines']:,} error lines -> {len(document['templates'])} templates "
         f"in {out / 'log-templates.json'}")
