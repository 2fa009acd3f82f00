"""``slo-scout rca``: why is it burning? Rank suspect services from files; evaluate on labels."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from slo_scout.cli._console import fail, note, stderr, usage_error
from slo_scout.cli._rca_dataset import days, faults, incident_at, load_day
from slo_scout.cli._rca_files import TemplateMiner, read_logs, read_metrics, read_spans
from slo_scout.cli.analyze import _model_client
from slo_scout.core.errors import DecodeError, SloScoutError
from slo_scout.core.rca import Telemetry, investigate
from slo_scout.core.rca.evaluation import Tally, position
from slo_scout.core.rca.summary import incident_summary, markdown_note
from slo_scout.llm.incident import explain_incident

HELP = """Rank the services and operations behind an incident, with the evidence for each.

Give the incident window's telemetry (--traces, optionally --logs and --metrics), a baseline
of the same system without the fault (--baseline-traces, --baseline-logs, --baseline-metrics)
and the time the SLO started burning (--at); optionally the telemetry of just before --at
(--recent-traces, --recent-logs), which holds the workload of now but is not known to be
fault-free: it joins the baseline for latency and ordinary log templates, not for errors. The
suspects are scored by seven signals (where errors start in the call tree, exclusive-time,
critical-path and wire-time shifts, calls an operation stopped making, new, surging or
vanished log templates, pod metrics leaving their band), each a tail probability against
the baseline; docs/rca.md explains the score. Writes the incident summary as JSON (--out,
`-` for stdout) and a Markdown note for the runbook (--note). With a model configured
(SLO_SCOUT_LLM__PROVIDER) the summary also gets a plain explanation of the ranking, which
passes the same guards as journey names and must follow the ranking (--no-llm to skip).

Exit codes: 0 done, 1 the input is wrong (the message names the file, line and field), 2 usage.

Examples:

    slo-scout rca --traces incident/trace/*.csv.gz --logs incident/log/*.csv.gz
        --baseline-traces base/trace/*.csv.gz --baseline-logs base/log/*.csv.gz
        --recent-traces incident/trace/08_43_trace.csv.gz
        --at 2023-01-29T08:43:04Z --out incident.json --note incident.md

    slo-scout rca evaluate ../shared/datasets/nezha-trainticket
"""

EVALUATE_HELP = """Evaluate the ranking on labelled fault injections (AS@1, AS@3, AS@5).

DIR has the layout of the Nezha TrainTicket data set: rca_data/<day>/ with the day's fault list,
trace/, log/ and metric/ folders, and construct_data/<day>/ as that day's baseline. For each
fault the investigation gets the telemetry of the minute two minutes after the injection (the
paper's protocol), the baseline and the injection time, never the labels. Prints one line per
day, `DAY: AS@1 x AS@3 y AS@5 z (N faults)`, then the same for service plus fault kind, then
the totals and the processing time per incident.

Example:

    slo-scout rca evaluate ../shared/datasets/nezha-trainticket --ranking ranking.jsonl
"""

rca_app = typer.Typer(help=HELP, no_args_is_help=False, rich_markup_mode="markdown")


def _at(value: str) -> int:
    try:
        if value.isdigit():
            seconds = int(value)
            return seconds * 10**9 if seconds < 10**11 else seconds
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        usage_error(f"--at {value!r} is neither an ISO 8601 time nor Unix seconds")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1e9)


def _iso(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).isoformat().replace("+00:00", "Z")


@rca_app.callback(invoke_without_command=True)
def rca_command(
    ctx: typer.Context,
    traces: list[Path] = typer.Option([], "--traces", help="Spans of the incident window."),  # noqa: B008
    logs: list[Path] = typer.Option([], "--logs", help="Log CSVs of the incident window."),  # noqa: B008
    metrics: list[Path] = typer.Option([], "--metrics", help="Pod metric CSVs."),  # noqa: B008
    baseline_traces: list[Path] = typer.Option([], "--baseline-traces", help="Baseline spans."),  # noqa: B008
    baseline_logs: list[Path] = typer.Option([], "--baseline-logs", help="Baseline logs."),  # noqa: B008
    baseline_metrics: list[Path] = typer.Option(  # noqa: B008
        [], "--baseline-metrics", help="Baseline pod metrics (default: --metrics before --at)."
    ),
    recent_traces: list[Path] = typer.Option(  # noqa: B008
        [], "--recent-traces", help="Spans of just before --at (traces that end by --at count)."
    ),
    recent_logs: list[Path] = typer.Option(  # noqa: B008
        [], "--recent-logs", help="Log CSVs of just before --at (lines before --at count)."
    ),
    at: str = typer.Option("", "--at", help="When it started burning: ISO 8601 or Unix seconds."),
    window_minutes: int = typer.Option(3, "--window", help="Minutes after --at to read metrics."),
    band_minutes: int = typer.Option(30, "--band", help="Minutes before --at for metric bands."),
    journey: list[str] = typer.Option([], "--journey", help="Affected journey (repeatable)."),  # noqa: B008
    out: str = typer.Option("-", "--out", help="Incident summary JSON; `-` for stdout."),
    note_path: Path | None = typer.Option(None, "--note", help="Write the Markdown note here."),  # noqa: B008
    top: int = typer.Option(5, "--top", min=1, help="Suspects in the summary."),
    no_llm: bool = typer.Option(
        False, "--no-llm", help="Do not ask the configured model (SLO_SCOUT_LLM__PROVIDER) to "
        "explain the ranking (it never changes it)."
    ),
) -> None:
    if ctx.invoked_subcommand is not None:
        return
    if not traces and not logs:
        usage_error("give the incident's --traces and/or --logs (see --help)")
    if not baseline_traces and not baseline_logs and not baseline_metrics and not metrics:
        usage_error("give a baseline (--baseline-traces, --baseline-logs or --metrics)")
    if not at:
        usage_error("give --at, the time the SLO started burning")
    at_ns = _at(at)
    minute = 60 * 10**9
    try:
        miner = TemplateMiner() if logs or baseline_logs or recent_logs else None
        all_metrics = read_metrics(metrics)
        band = read_metrics(baseline_metrics) if baseline_metrics else all_metrics
        raw_incident, raw_baseline = read_logs(logs), read_logs(baseline_logs)
        # The recent past ends where the burn starts: a trace still running then is not in it.
        spans_before = read_spans(recent_traces)
        late = {s.trace_id for s in spans_before if s.end_ns >= at_ns}
        spans_before = [s for s in spans_before if s.trace_id not in late]
        raw_recent = [r for r in read_logs(recent_logs)
                      if r.time_ns < at_ns and r.trace_id not in late]
        if miner:
            miner.learn(raw_baseline)
            miner.learn(raw_recent)
            miner.learn(raw_incident)
        incident = Telemetry(
            spans=read_spans(traces),
            logs=miner.templated(raw_incident) if miner else [],
            metrics=[
                m for m in all_metrics if at_ns <= m.time_ns < at_ns + window_minutes * minute
            ],
        )
        baseline = Telemetry(
            spans=read_spans(baseline_traces),
            logs=miner.templated(raw_baseline) if miner else [],
            metrics=[m for m in band if at_ns - band_minutes * minute <= m.time_ns < at_ns],
        )
        recent = Telemetry(spans=spans_before,
                           logs=miner.templated(raw_recent) if miner else [])
    except SloScoutError as exc:
        fail(exc)
    findings = investigate(incident, baseline, recent)
    summary = incident_summary(findings.suspects, started_at=_iso(at_ns), journeys=journey, top=top)
    client = _model_client(no_llm)
    known = {s.service for s in incident.spans} | {r.service for r in incident.logs}
    summary["explanation"] = explain_incident(client, summary, known) if client.enabled else None
    summary["model"] = client.usage.as_dict()
    text = json.dumps(summary, indent=2)
    if out == "-":
        typer.echo(text)
    else:
        Path(out).write_text(text + "\n")
    if note_path is not None:
        note_path.write_text(markdown_note(summary))


@rca_app.command("evaluate", help=EVALUATE_HELP)
def evaluate_command(
    root: Path = typer.Argument(..., help="A folder in the nezha-trainticket layout."),  # noqa: B008
    ranking: Path | None = typer.Option(  # noqa: B008
        None, "--ranking", help="Write each fault's ranking (JSON Lines) here, to check by hand."
    ),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="A bar over faults."),
) -> None:
    try:
        names = days(root)
    except SloScoutError as exc:
        fail(exc)
    if not names:
        usage_error(f"{root}/rca_data holds no day folders")
    by_service: dict[str, Tally] = {}
    by_kind: dict[str, Tally] = {}
    per_type: dict[str, Tally] = {}
    seconds: list[float] = []
    skipped = 0
    sink = ranking.open("w") if ranking else None
    console = stderr()
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      console=console, disable=not progress, transient=True) as bar:
            for day in names:
                try:
                    labels = faults(root, day)
                    loaded = load_day(root, day)
                except SloScoutError as exc:
                    fail(exc)
                by_service[day], by_kind[day] = Tally(), Tally()
                task = bar.add_task(day, total=len(labels))
                for fault in labels:
                    started = time.process_time()
                    try:
                        incident, baseline, recent = incident_at(loaded, fault.inject_time)
                    except DecodeError as exc:
                        note(f"[yellow]skipped[/] {day} {fault.inject_time}: {exc.message}")
                        skipped += 1
                        bar.advance(task)
                        continue
                    suspects = investigate(incident, baseline, recent).suspects
                    seconds.append(time.process_time() - started)
                    at_service = position(suspects, fault.service)
                    at_kind = position(suspects, fault.service, fault.fault_type)
                    by_service[day].add(at_service)
                    by_kind[day].add(at_kind)
                    per_type.setdefault(fault.fault_type, Tally()).add(at_service)
                    if sink:
                        sink.write(json.dumps({
                            "day": day, "inject_time": f"{fault.inject_time:%Y-%m-%d %H:%M:%S}",
                            "service": fault.service, "fault_type": fault.fault_type,
                            "rank": at_service, "rank_with_kind": at_kind,
                            "suspects": [[s.service, s.kind, round(s.score, 3)]
                                         for s in suspects[:10]],
                        }) + "\n")
                    bar.advance(task)
                if loaded.problems:
                    note(f"{day}: skipped {len(loaded.problems)} bad rows, the first: "
                         f"{loaded.problems[0]}")
    finally:
        if sink:
            sink.close()
    _report(by_service, by_kind, per_type, seconds, skipped)


def _report(
    by_service: dict[str, Tally],
    by_kind: dict[str, Tally],
    per_type: dict[str, Tally],
    seconds: list[float],
    skipped: int,
) -> None:
    total_service, total_kind = Tally(), Tally()
    typer.echo("service:")
    for day, tally in by_service.items():
        typer.echo(tally.line(day))
        total_service.merge(tally)
    typer.echo("service and fault kind:")
    for day, tally in by_kind.items():
        typer.echo(tally.line(day))
        total_kind.merge(tally)
    typer.echo("per fault type (service):")
    for fault_type, tally in sorted(per_type.items()):
        typer.echo(tally.line(fault_type))
    typer.echo(total_service.line("total (service)"))
    typer.echo(total_kind.line("total (service and kind)"))
    if seconds:
        typer.echo(f"time per incident: mean {sum(seconds) / len(seconds):.2f} s, "
                   f"max {max(seconds):.2f} s (CPU time, one core)")
    if skipped:
        typer.echo(f"skipped: {skipped} faults without telemetry")
