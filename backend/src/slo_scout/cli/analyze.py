"""``slo-scout analyze``: traces in, journeys out (table, journeys.json, report.html)."""

from __future__ import annotations

import itertools
import json
import math
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError

from slo_scout import __version__
from slo_scout.cli import _sources
from slo_scout.cli._console import (
    byte_progress,
    fail,
    fail_message,
    journeys_table,
    note,
    print_table,
    usage_error,
)
from slo_scout.cli.similar import SimilarRun, similar_of
from slo_scout.control.analysis import family as families
from slo_scout.control.analysis.upstream import redact_url
from slo_scout.core.artifacts import render_bundle
from slo_scout.core.errors import InflationLimitError, SloScoutError
from slo_scout.core.journeys import Discovery, discover, discovery_to_dict
from slo_scout.core.recommend import Recommendation, Strategy, recommend_journey
from slo_scout.core.slis import FAMILIES, FamilyKind, MetricFamily
from slo_scout.core.telemetry import FORMATS, CsvColumns, DecodeReport, Inflation, decode_stream
from slo_scout.core.telemetry.model import Span
from slo_scout.gc_tuning import batch_gc
from slo_scout.llm.client import ModelClient, Usage
from slo_scout.llm.naming import name_journeys
from slo_scout.llm.proposals import propose
from slo_scout.report import InputSummary, render_report
from slo_scout.settings import Settings
from slo_scout.sources import PullReport, SourceError

READ_CHUNK = 1024 * 1024
DEFAULT_IDLE_S = 30.0
# Real trace exports inflate 5-30x under gzip, a decompression bomb about 1000x.
DEFAULT_MAX_INFLATION = 100.0

HELP = """Discover the user journeys in trace files and write journeys.json and report.html.

Reads OTLP JSON or protobuf (one message, JSON lines, or length-prefixed as the collector's
file exporter writes), Jaeger query-API JSON, Zipkin v2 JSON and CSV span tables, plain or
gzip. The format is detected per file; --format overrides it. A bad record stops the run with
one line naming the file, the record and the field; --skip-invalid counts it and goes on.

--similar embeds each journey into the journey vectors (Milvus; once per journey) and lists
its nearest stored journeys in journeys.json.

Writes into --out: journeys.json (every journey with entry, services, edges, request and
error counts, latency quantiles, critical path, variants), report.html (a self-contained
page with each journey's call graph, latency histogram and traffic over time), and the SLO
artifacts: recommendations.yaml, Sloth, OpenSLO and Pyrra specs, Prometheus rules, Grafana
dashboards and runbooks, with PromQL for the metrics named by --metrics (without it, the
metrics a Prometheus at --prometheus-url holds, else the spanmetrics connector's).

Exit codes: 0 done, 1 the input is wrong (the message says where), 2 usage.

Examples:

    slo-scout analyze traces.json --out out/

    # several exports, some records broken
    slo-scout analyze export-*.pb.gz --out out/ --skip-invalid

    # the last two hours of a service's traces, straight from Tempo
    slo-scout analyze --tempo http://tempo:3200 --since 2h --out out/ \\
        --query '{ resource.service.name = "checkout" }' --tenant team-a

    # a CSV span table with its own column names
    slo-scout analyze spans.csv --out out/ --csv-columns \\
        trace_id=tid,span_id=sid,parent_id=pid,service=svc,name=op,start_ns=t0,end_ns=t1
"""


# Built from the decoders' table so a new input format shows up here by itself.
InputFormat = StrEnum("InputFormat", {name: name for name in ("auto", *FORMATS)})  # type: ignore[misc]
AUTO = InputFormat("auto")


@dataclass(slots=True)
class Inputs:
    """What the decoders saw, summed over files."""

    sources: list[str] = field(default_factory=list)
    spans: int = 0
    bad_records: int = 0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> InputSummary:
        return InputSummary(tuple(self.sources), self.bad_records, tuple(self.problems))


_INT_FIELDS = frozenset({"time_unit_ns", "duration_unit_ns"})


def parse_csv_columns(text: str | None) -> CsvColumns | None:
    """``trace_id=TraceID,span_id=SpanID,...`` (or ``trainticket``) as a column mapping."""
    if not text:
        return None
    if text.strip() == "trainticket":
        return CsvColumns.trainticket()
    mapping: dict[str, Any] = {}
    known = set(CsvColumns.__dataclass_fields__)
    for pair in text.split(","):
        key, sep, column = (part.strip() for part in pair.partition("="))
        if not sep or not key or not column:
            usage_error(f"--csv-columns: expected FIELD=COLUMN pairs, got {pair!r}")
        if key not in known:
            fields = ", ".join(sorted(known))
            usage_error(f"--csv-columns: unknown field {key!r} (fields: {fields})")
        if key in _INT_FIELDS:
            if not column.isdigit():
                usage_error(f"--csv-columns: {key} must be a whole number of nanoseconds")
            mapping[key] = int(column)
        else:
            mapping[key] = column
    try:
        return CsvColumns(**mapping)
    except (TypeError, ValueError) as exc:
        usage_error(f"--csv-columns: {exc}")


def _file_chunks(path: Path, progress: Any, task: Any) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(READ_CHUNK):
            if progress is not None:
                progress.advance(task, len(chunk))
            yield chunk


def decode_sources(
    sources: Iterable[tuple[str, Iterable[bytes]]],
    inputs: Inputs,
    *,
    fmt: str | None,
    skip_invalid: bool,
    csv_columns: CsvColumns | None,
    inflation: Inflation | None = None,
) -> Iterator[list[Span]]:
    """Batches of spans from every source in turn, with each source's problems tallied. A
    source that inflates past ``inflation`` stops the run, or with ``skip_invalid`` counts as
    one bad record (the spans it gave before are kept) and the next source is read."""
    for name, chunks in sources:
        report = DecodeReport()
        inputs.sources.append(name)
        try:
            yield from decode_stream(chunks, source=name, fmt=fmt, skip_invalid=skip_invalid,
                                     csv_columns=csv_columns, report=report,
                                     inflation=inflation or Inflation())
        except InflationLimitError as exc:
            if not skip_invalid:
                raise
            report.bad_records += 1
            inputs.problems.append(exc.message)
        inputs.spans += report.spans
        inputs.bad_records += report.bad_records
        inputs.problems.extend(p.message for p in report.problems)


def write_outputs(
    discovery: Discovery,
    inputs: Inputs,
    out: Path,
    *,
    title: str,
    metrics: str | MetricFamily | None = FamilyKind.SPANMETRICS.value,
    strategy: str = Strategy.BALANCED.value,
    names: Mapping[str, str] | None = None,
    model: Usage | None = None,
    include_incidents: bool = False,
    similar: Mapping[str, list[dict[str, Any]]] | None = None,
    client: ModelClient | None = None,
) -> list[Path]:
    """journeys.json, report.html and, unless ``metrics`` is None, the artifact bundle.

    ``names``: names for people a model gave (journey id -> name); journeys.json shows them as
    ``display_name``, the rules' name staying ``name`` (and in every artifact). ``client``: a
    configured model explains the recommendations and picks provisional drafts (guarded)."""
    out.mkdir(parents=True, exist_ok=True)
    document = discovery_to_dict(discovery)
    for journey in document["journeys"]:
        given = (names or {}).get(journey["id"])
        journey["display_name"] = given or journey["name"]
        journey["named_by"] = "model" if given else "rules"
        if similar is not None:  # --similar: the nearest stored journeys, nearest first
            journey["similar"] = similar.get(journey["id"], [])
    recs: list[Recommendation] = []
    if metrics is not None and discovery.journeys:
        recs = recommendations_of(discovery, metrics, strategy,
                                  include_incidents=include_incidents)
        if client is not None and client.enabled:
            recs = propose(client, recs)
    document["model"] = (model or Usage()).as_dict()
    files: dict[str, bytes] = {
        "journeys.json": (
            json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        ).encode()
    }
    files.update(render_report(discovery, inputs=inputs.summary(), title=title,
                               recommendations=recs))
    if metrics is not None and discovery.journeys:
        files.update(
            (path, text.encode())
            for path, text in artifact_bundle(
                discovery, metrics, strategy, recommendations=recs
            ).items()
        )
    written = []
    for name, data in files.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    return written


def _family_of(metrics: str | MetricFamily) -> MetricFamily:
    return metrics if isinstance(metrics, MetricFamily) else FAMILIES[FamilyKind(metrics)]


def _end_of_data(discovery: Discovery) -> int:
    return math.ceil(max(j.last_seen_ns for j in discovery.journeys) / 60e9) * 60


def recommendations_of(
    discovery: Discovery, metrics: str | MetricFamily, strategy: str, *,
    include_incidents: bool = False,
) -> list[Recommendation]:
    """Every journey's recommendations, dated at the end of the data (see artifact_bundle)."""
    now_s = _end_of_data(discovery)
    return [
        rec
        for journey in sorted(discovery.journeys, key=lambda j: j.id)
        for rec in recommend_journey(journey, _family_of(metrics), strategy=Strategy(strategy),
                                     now_s=now_s, include_incidents=include_incidents)
    ]


def artifact_bundle(
    discovery: Discovery, metrics: str | MetricFamily, strategy: str, *,
    include_incidents: bool = False, recommendations: list[Recommendation] | None = None,
) -> dict[str, str]:
    """SLIs, recommended targets and every artifact, dated at the end of the data.

    "Now" is the end of the minute of the last request seen, not the wall clock: the
    recommendation's lookback then covers the whole recording (its last minute counts as
    complete, since no more of it will come), and the same input gives the same files.
    """
    family = _family_of(metrics)
    chosen = Strategy(strategy)
    journeys = sorted(discovery.journeys, key=lambda j: j.id)
    now_s = _end_of_data(discovery)
    if recommendations is None:
        recommendations = recommendations_of(discovery, metrics, strategy,
                                             include_incidents=include_incidents)
    return render_bundle(
        journeys, recommendations, family=family, strategy=chosen,
        now=datetime.fromtimestamp(now_s, UTC), version=__version__,
    )


def _expand(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.is_file()))
        else:
            files.append(path)
    return files


def analyze_command(
    paths: list[Path] = typer.Argument(  # noqa: B008
        None, exists=True, readable=True, help="Trace files or folders of them (or a source: "
        "--tempo, --jaeger).", show_default=False,
    ),
    out: Path = typer.Option(..., "--out", "-o", file_okay=False, help="Folder for the results."),  # noqa: B008
    fmt: InputFormat = typer.Option(  # noqa: B008
        AUTO, "--format", "-f", help="Input format (default: detect per file)."
    ),
    skip_invalid: bool = typer.Option(
        False, "--skip-invalid", help="Count and skip bad records instead of stopping."
    ),
    idle: float = typer.Option(
        DEFAULT_IDLE_S, min=0.0,
        help="Seconds without a new span after which a trace is complete.",
    ),
    csv_columns: str | None = typer.Option(
        None, help="CSV column mapping FIELD=COLUMN,... (fields: trace_id, span_id, parent_id, "
        "name, start_ns, end_ns or duration, service or pod, kind, status, root_marker, "
        "time_unit_ns, duration_unit_ns), or 'trainticket'. Known headers need none.",
    ),
    metrics: FamilyKind | None = typer.Option(  # noqa: B008
        None, help="Metrics the SLI queries use: the collector's "
        "spanmetrics connector (current or legacy names), Tempo's metrics-generator, or "
        "http.server.request.duration histograms. Default: what --prometheus-url holds, "
        "else spanmetrics.",
    ),
    prometheus_url: str | None = typer.Option(
        None, "--prometheus-url", help="A Prometheus-compatible server whose metadata (else "
        "metric names) picks the metric family when --metrics is not given.",
    ),
    strategy: Strategy = typer.Option(  # noqa: B008
        Strategy.BALANCED, help="How boldly targets are recommended."
    ),
    include_incidents: bool = typer.Option(
        False, "--include-incidents", help="Keep the windows where a journey burned (an error "
        "burst, a latency regression) in the estimate targets come from; by default they are "
        "shown as incidents and left out.",
    ),
    artifacts: bool = typer.Option(
        True, "--artifacts/--no-artifacts", help="Also write the SLO specs, rules and dashboards."
    ),
    top: int = typer.Option(30, min=1, help="Rows in the printed table."),
    no_llm: bool = typer.Option(
        False, "--no-llm", help="Do not ask the configured model (SLO_SCOUT_LLM__PROVIDER) for "
        "journey names, rationales or provisional targets this run."),
    max_inflation: float = typer.Option(
        DEFAULT_MAX_INFLATION, min=0.0, help="Stop at a gzip file that inflates more than this "
        "many times its size (once past 16 MiB): a decompression bomb. 0: no limit.",
    ),
    similar: bool | None = typer.Option(
        None, "--similar/--no-similar", help="Embed the journeys into the journey vectors "
        "(once each; unchanged ones are skipped) and list each one's nearest stored journeys "
        "in journeys.json. Loads the embedding model (seconds). Default: "
        "SLO_SCOUT_VECTORS__ANALYZE, else off."),
    milvus: str | None = typer.Option(
        None, "--milvus", help="Where --similar stores vectors: a Milvus Lite file or "
        "http://host:19530. Default: SLO_SCOUT_VECTORS__URI, else <data dir>/milvus.db."),
    environment: str = typer.Option(
        "local", "--environment", help="The environment --similar files these journeys under."),
    tempo: str | None = typer.Option(None, "--tempo", help="Pull traces from this Tempo "
                                     "(URL with its path prefix; user:password@ for basic auth).",
                                     rich_help_panel="Sources"),
    jaeger: str | None = typer.Option(None, "--jaeger", help="Pull traces from this Jaeger "
                                      "query service.", rich_help_panel="Sources"),
    query: str = typer.Option("{}", "--query", help="TraceQL for --tempo, e.g. "
                              "'{ resource.service.name = \"checkout\" }'.",
                              rich_help_panel="Sources"),
    service: str | None = typer.Option(None, "--service", help="Service to search (--jaeger).",
                                       rich_help_panel="Sources"),
    operation: str | None = typer.Option(None, "--operation", help="Operation (--jaeger).",
                                         rich_help_panel="Sources"),
    since: str = typer.Option("2h", "--since", help="Window length before --until.",
                              rich_help_panel="Sources"),
    until: str | None = typer.Option(None, "--until", help="Window end: ISO 8601, Unix "
                                     "seconds, or a duration before now (default now).",
                                     rich_help_panel="Sources"),
    limit: int = typer.Option(1000, "--limit", min=1, help="Traces to pull at most.",
                              rich_help_panel="Sources"),
    tenant: str | None = typer.Option(None, "--tenant", help="Sent as X-Scope-OrgID to every "
                                      "server named (Tempo, Jaeger, Loki, --prometheus-url).",
                                      rich_help_panel="Sources"),
    token: str | None = typer.Option(None, "--token", envvar="SLO_SCOUT_SOURCE_TOKEN",
                                     help="Bearer token for every server named (better: the "
                                     "environment variable).", rich_help_panel="Sources",
                                     show_default=False),
    ca_file: Path | None = typer.Option(None, "--ca-file", exists=True, dir_okay=False,  # noqa: B008
                                        help="CA bundle to trust.", rich_help_panel="Sources"),
    insecure: bool = typer.Option(False, "--insecure", help="Accept any TLS certificate.",
                                  rich_help_panel="Sources"),
    concurrency: int = typer.Option(8, "--concurrency", min=1, max=64, help="Traces fetched "
                                    "at once (--tempo).", rich_help_panel="Sources"),
    loki: str | None = typer.Option(None, "--loki", help="Mine the error lines this Loki "
                                    "holds for the journeys' services and window into "
                                    "log-templates.json (same --tenant, --token).",
                                    rich_help_panel="Sources"),
    loki_query: str | None = typer.Option(None, "--loki-query", help="LogQL instead of each "
                                          "service's error lines.", rich_help_panel="Sources"),
    loki_label: str = typer.Option("service_name", "--loki-label", help="The stream label "
                                   "naming the service.", rich_help_panel="Sources"),
) -> None:
    files = _expand(paths or [])
    pull = _sources.pull_of(tempo=tempo, jaeger=jaeger, query=query, service=service,
                            operation=operation, since=since, until=until, limit=limit,
                            tenant=tenant, token=token, ca_file=ca_file, insecure=insecure,
                            concurrency=concurrency)
    if not files and pull is None:
        usage_error("no input files (or a source: --tempo URL, --jaeger URL)")
    columns = parse_csv_columns(csv_columns)
    family = _family(metrics, prometheus_url, tenant, token) if artifacts else None
    inputs = Inputs()
    pulled = PullReport()
    total = sum(p.stat().st_size for p in files)
    try:
        with byte_progress(total, enabled=sys.stderr.isatty()) as progress:
            task = progress.add_task("reading", total=total) if progress is not None else None
            sources = itertools.chain(
                ((str(p), _file_chunks(p, progress, task)) for p in files),
                _sources.pulled(pull, pulled) if pull is not None else (),
            )
            batches = decode_sources(
                sources, inputs, fmt=None if fmt.value == "auto" else fmt.value,
                skip_invalid=skip_invalid, csv_columns=columns,
                inflation=Inflation(max_ratio=max(max_inflation, 1.0) if max_inflation else None),
            )
            with batch_gc():
                discovery = discover(batches, idle_ns=int(idle * 1e9))
        if pull is not None:
            _sources.tell(pull, pulled, inputs)
        if discovery.span_count == 0:
            skipped = f"; {inputs.bad_records:,} bad records skipped" if inputs.bad_records else ""
            fail_message(f"no spans found in {', '.join(inputs.sources)}{skipped}",
                         "check that these are trace exports")
        if loki:
            _sources.write_log_templates(
                _sources.LogPull(_sources.endpoint_of(loki, "--loki", tenant, token, ca_file,
                                                      insecure), loki_query, loki_label),
                discovery, pull, out)
        client = _model_client(no_llm)
        names = name_journeys(client, discovery.journeys) if client.enabled else {}
        near = _similar(discovery, similar, milvus, environment)
        written = write_outputs(
            discovery, inputs, out, title="SLO Scout: journeys",
            metrics=family, strategy=strategy.value, names=names, model=client.usage,
            include_incidents=include_incidents, client=client,
            similar=near.neighbours if near is not None else None,
        )
    except InflationLimitError as exc:
        fail_message(exc.message, "if the file is genuine, raise --max-inflation")
    except SloScoutError as exc:
        fail(exc)
    except SourceError as exc:
        fail_message(str(exc), "check the URL, the credentials and the tenant")
    print_table(journeys_table(discovery.journeys, limit=top))
    if inputs.bad_records:
        note(f"skipped {inputs.bad_records:,} bad records (first problems in report.html)")
        for problem in inputs.problems[:3]:
            note(f"  {problem}")
    _say_model(client, names)
    if near is not None:
        load = f"model loaded in {near.load_s:.1f} s, " if near.load_s is not None else ""
        note(f"similar journeys: {near.embedded} embedded, {near.unchanged} unchanged "
             f"({load}embedding {near.embed_s:.2f} s, neighbours {near.query_s:.2f} s) in "
             f"{redact_url(near.uri)}; journeys.json lists each one's nearest")
    fragments = sum(f.traces for f in discovery.fragments)
    if fragments:
        note(f"{fragments:,} traces are fragments (their root never arrived): listed apart "
             "under 'fragments' in journeys.json, never as journeys")
    note(
        f"{discovery.span_count:,} spans, {discovery.trace_count:,} traces "
        f"({discovery.incomplete_traces:,} incomplete) -> {out / 'journeys.json'}, "
        f"{out / 'report.html'}" + (f" and {len(written) - 2} artifact files in {out}"
                                     if len(written) > 2 else "")
    )


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        usage_error(f"SLO_SCOUT_{'__'.join(str(p).upper() for p in first['loc'])}: "
                    f"{first['msg']}")


def _similar(discovery: Discovery, wanted: bool | None, milvus: str | None,
             environment: str) -> SimilarRun | None:
    settings = _settings()
    if not (settings.vectors.analyze if wanted is None else wanted) or not discovery.journeys:
        return None
    uri = milvus or settings.milvus_uri()
    try:
        from slo_scout.control.vectors import VectorStoreUnavailable
    except ImportError as exc:
        fail_message(f"--similar needs pymilvus ({exc})", "install the 'streaming' extra, "
                     "or leave out --similar")
    try:
        return similar_of(discovery, uri=uri, collection=settings.vectors.collection,
                          environment=environment, threads=settings.vectors.embedding_threads)
    except VectorStoreUnavailable as exc:
        fail_message(str(exc), "check --milvus (SLO_SCOUT_VECTORS__URI), or leave out --similar")
    except ImportError as exc:
        fail_message(f"--similar needs the embedding model ({exc})",
                     "install the 'streaming' and 'embeddings' extras, or leave out --similar")


def _model_client(no_llm: bool) -> ModelClient:
    settings = _settings()
    llm = settings.llm
    if no_llm:
        llm = llm.model_copy(update={"provider": "none"})
    client = ModelClient(llm, cache_dir=llm.cache_dir or settings.data_dir / "llm-cache")
    if not client.enabled:
        client.usage.fallback = ("--no-llm" if no_llm else
                                 "no model configured (SLO_SCOUT_LLM__PROVIDER)")
    return client


def _say_model(client: ModelClient, names: Mapping[str, str]) -> None:
    usage = client.usage
    if not client.enabled:
        note("journey names, rationales and provisional picks: the rules' (a model would write "
             "them: SLO_SCOUT_LLM__PROVIDER, or --no-llm was given)")
        return
    line = (f"journey names: {len(names)}, rationales: {usage.explained}, provisional picks: "
            f"{usage.drafted} by {usage.provider} "
            f"{usage.model} ({usage.calls} calls, {usage.tokens:,} tokens, "
            f"{usage.cache_hits} cached)")
    if usage.rejected:
        line += f"; {len(usage.rejected)} refused by the guards (journeys.json: model.rejected)"
    if usage.fallback:
        line += f"; the rules' names where none: {usage.fallback}"
    note(line)


def _family(metrics: FamilyKind | None, prometheus_url: str | None, tenant: str | None = None,
            token: str | None = None) -> MetricFamily:
    if metrics is not None or not prometheus_url:
        return FAMILIES[metrics or families.DEFAULT_KIND]
    try:
        chosen = families.detect_sync(prometheus_url, tenant=tenant, bearer_token=token)
    except families.DetectionError as exc:
        fail_message(str(exc), "check --prometheus-url, or name the metrics with --metrics")
    if chosen.source == families.DEFAULT:
        note(f"no known metric family at {redact_url(prometheus_url)}; "
             f"using {chosen.family.kind.value}")
    else:
        note(f"metric family {chosen.family.kind.value} ({chosen.family.histogram}), "
             f"{chosen.source} at {redact_url(prometheus_url)}")
    return chosen.family


analyze_command.__doc__ = HELP
