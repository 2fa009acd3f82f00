"""``slo-scout backtest``: would these SLOs have held, and would they have paged us?"""

from __future__ import annotations

import asyncio
import csv
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from slo_scout.cli._console import fail, fail_message, usage_error
from slo_scout.control.analysis.history import HistoryError, PrometheusHistory
from slo_scout.control.analysis.upstream import redact_text, redact_url
from slo_scout.core.errors import SloScoutError, SpecError
from slo_scout.core.recommend.backtest import Judgement, judge
from slo_scout.core.recommend.model import WindowCounts
from slo_scout.core.specs import parse_duration
from slo_scout.core.specs.documents import read_documents
from slo_scout.core.specs.durations import DAY
from slo_scout.core.specs.model import SLIEvents, SLIRaw, SLOSpec
from slo_scout.core.specs.openslo_v1_objects import shared_objects
from slo_scout.core.specs.openslo_v1alpha import good_total_of

MAX_POINTS = 11_000  # Prometheus refuses query_range answers of more points than this


class HistoryFileError(SloScoutError):
    """A history file that cannot be read: names the file, the line and the field."""

    hint = "fix the history file"

HELP = """Judge existing SLOs on their history: would they have held, and what would their
burn-rate alerts have done? ("would this SLO have paged us last month?")

Reads Sloth (prometheus/v1, PrometheusServiceLevel) and OpenSLO specs. The history comes from
a Prometheus-compatible server (--prometheus-url: each SLO's own error and total queries, read
with query_range in --step windows over --lookback up to --end) or from a CSV file (--history)
with the columns slo,start,end,good,total: one row per window, `slo` the SLO's id
(service-name) or name, `start`/`end` Unix seconds or ISO 8601 times, windows of one SLO
equally long.

For each SLO with an events SLI: the requests and the ratio over the history, whether the
objective held (overall, and the share of windows that met it), the error budget consumed
(1.0: all of it, pro rata to the traffic), and the page and ticket alerts the generated
multi-window multi-burn-rate rules would have fired (docs/recommendations.md, "Backtest").
OpenSLO ratio metrics count good and total events; other raw-ratio SLIs have no counts and are
listed as skipped.

Exit codes: 0 done, 1 the input is wrong (the message says where), 2 usage.

Examples:

    slo-scout backtest sloth/checkout.yaml --prometheus-url http://prometheus:9090

    slo-scout backtest openslo/ --history history.csv --json
"""


def _time(text: str, where: str) -> int:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise HistoryFileError(
            f"{where}: {text!r} is neither Unix seconds nor an ISO 8601 time"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def read_history(path: Path) -> dict[str, list[WindowCounts]]:
    """Windows by SLO from a CSV file; SloScoutError naming the line and the field."""
    out: dict[str, list[WindowCounts]] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {"slo", "start", "end", "good", "total"} - set(reader.fieldnames or ())
        if missing:
            raise HistoryFileError(f"{path}: missing columns {', '.join(sorted(missing))} "
                                   "(the header is slo,start,end,good,total)")
        for row in reader:
            where = f"{path}, line {reader.line_num}"
            try:
                good, total = int(row["good"]), int(row["total"])
            except (TypeError, ValueError):
                raise HistoryFileError(
                    f"{where}, field 'good'/'total': whole numbers expected"
                ) from None
            try:
                window = WindowCounts(_time(row["start"], f"{where}, field 'start'"),
                                      _time(row["end"], f"{where}, field 'end'"), good, total)
            except ValueError as exc:
                raise HistoryFileError(f"{where}: {exc}") from None
            out.setdefault(row["slo"], []).append(window)
    for slo, windows in out.items():
        windows.sort(key=lambda w: w.start_s)
        lengths = {w.end_s - w.start_s for w in windows}
        if len(lengths) > 1:
            raise HistoryFileError(f"{path}: the windows of SLO {slo!r} are not equally long "
                                   f"({', '.join(str(n) for n in sorted(lengths))} s)")
        out[slo] = _without_gaps(windows)
    return out


def _without_gaps(windows: list[WindowCounts]) -> list[WindowCounts]:
    """Equal, consecutive windows: missing ones are windows without traffic."""
    if not windows:
        return windows
    length = windows[0].end_s - windows[0].start_s
    by_start = {w.start_s: w for w in windows}
    return [by_start.get(s, WindowCounts(s, s + length, 0, 0))
            for s in range(windows[0].start_s, windows[-1].start_s + 1, length)]


def read_slos(paths: Sequence[Path]) -> list[SLOSpec]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(p for p in sorted(path.rglob("*"))
                         if p.is_file() and p.suffix in (".yaml", ".yml"))
        else:
            files.append(path)
    texts = {str(p): p.read_text(encoding="utf-8") for p in files}
    shared = shared_objects(texts) if len(texts) > 1 else None
    slos: list[SLOSpec] = []
    for source, text in texts.items():
        for result in read_documents(text, source=source, period_ms=30 * DAY, shared=shared):
            if result.errors:
                raise result.errors[0]
            if result.spec is not None:
                slos.extend(result.spec.slos)
    if not slos:
        raise SpecError("0 SLOs found", source=", ".join(texts))
    return slos


def _queries(slo: SLOSpec) -> tuple[str, str, bool] | None:
    """(query, total query, whether the first counts good events) when the SLI counts events:
    a Sloth events SLI (error/total) or an OpenSLO ratio metric (good/total, which the reader
    writes as Sloth's raw error ratio); None for other raw ratios."""
    if isinstance(slo.sli, SLIEvents):
        return slo.sli.error_query, slo.sli.total_query, False
    if isinstance(slo.sli, SLIRaw):
        found = good_total_of(slo.sli.error_ratio_query)
        if found is not None:
            return found[0], found[1], True
    return None


async def _from_server(url: str, slos: Sequence[SLOSpec], *, end: datetime, lookback_s: int,
                       step_s: int, tenant: str | None = None,
                       token: str | None = None) -> dict[str, list[WindowCounts]]:
    history = PrometheusHistory(url, tenant=tenant, bearer_token=token)
    out: dict[str, list[WindowCounts]] = {}
    try:
        for slo in slos:
            queries = _queries(slo)
            if queries is None:
                continue
            query, total, counts_good = queries
            # window_counts reads (good, total); for (error, total) the error query goes in
            # the good slot and the counts are turned around.
            counts = await history.window_counts(
                query, total, now=end, lookback_s=lookback_s, windows=lookback_s // step_s,
            )
            out[slo.id] = counts if counts_good else [
                WindowCounts(w.start_s, w.end_s, w.total - w.good, w.total) for w in counts
            ]
    finally:
        await history.close()
    return out


def _row(slo: SLOSpec, windows: Sequence[WindowCounts] | None) -> dict[str, Any]:
    base: dict[str, Any] = {"slo": slo.id, "objective": slo.objective,
                            "period_days": slo.period_ms // DAY}
    if _queries(slo) is None:
        return {**base, "skipped": "a raw-ratio SLI has no event counts"}
    if not windows:
        return {**base, "skipped": "no history for this SLO"}
    verdict: Judgement = judge(windows, slo.objective, period_days=max(1, slo.period_ms // DAY))
    if verdict.total == 0:
        return {**base, "skipped": "no traffic in the history"}
    assert verdict.alerts is not None
    return {
        **base,
        "start": windows[0].start_s, "end": windows[-1].end_s,
        "window_seconds": windows[0].end_s - windows[0].start_s,
        "good": verdict.good, "total": verdict.total, "ratio": verdict.good / verdict.total,
        "held": verdict.held, "held_share_of_windows": verdict.held_share,
        "budget_consumed": verdict.budget_consumed, **asdict(verdict.alerts),
    }


def _table(rows: Sequence[dict[str, Any]]) -> Table:
    table = Table(title="Backtest: the SLOs on their history")
    for column in ("SLO", "objective", "requests", "ratio", "held", "windows met",
                   "budget used", "pages", "tickets"):
        table.add_column(column)
    for r in rows:
        if "skipped" in r:
            table.add_row(r["slo"], f"{r['objective']:g}%", f"skipped: {r['skipped']}")
            continue
        table.add_row(
            r["slo"], f"{r['objective']:g}%", f"{r['total']:,}", f"{r['ratio'] * 100:.3f}%",
            "yes" if r["held"] else "[red]no[/]", f"{r['held_share_of_windows'] * 100:.0f}%",
            f"{r['budget_consumed'] * 100:.0f}%", str(r["page"]), str(r["ticket"]),
        )
    return table


def backtest_command(
    specs: list[Path] = typer.Argument(  # noqa: B008
        ..., exists=True, readable=True, help="Sloth or OpenSLO spec files or folders."
    ),
    history: Path | None = typer.Option(  # noqa: B008
        None, "--history", exists=True, dir_okay=False,
        help="CSV of window counts: slo,start,end,good,total.",
    ),
    prometheus_url: str | None = typer.Option(
        None, "--prometheus-url", help="A Prometheus-compatible server to read the history from."
    ),
    lookback: str = typer.Option("30d", help="History to read from the server."),
    step: str = typer.Option("5m", help="Window length read from the server."),
    end: str | None = typer.Option(None, help="End of the history (ISO 8601; default: now)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    tenant: str | None = typer.Option(None, "--tenant", help="Sent as X-Scope-OrgID (Mimir)."),
    token: str | None = typer.Option(None, "--token", envvar="SLO_SCOUT_SOURCE_TOKEN",
                                     help="Bearer token (better: the environment variable).",
                                     show_default=False),
) -> None:
    if (history is None) == (prometheus_url is None):
        usage_error("give exactly one of --history FILE and --prometheus-url URL")
    try:
        lookback_s, step_s = parse_duration(lookback) // 1000, parse_duration(step) // 1000
    except ValueError as exc:
        usage_error(f"--lookback/--step: {exc}")
    if step_s < 60 or lookback_s < step_s:
        usage_error("--step must be at least 1m and --lookback at least one step")
    if lookback_s // step_s > MAX_POINTS:
        usage_error(f"--lookback / --step gives {lookback_s // step_s:,} windows; a server "
                    f"answers at most {MAX_POINTS:,}: use a longer --step")
    until = datetime.now(UTC) if end is None else datetime.fromtimestamp(_time(end, "--end"), UTC)
    try:
        slos = read_slos(specs)
        if history is not None:
            found = read_history(history)
            by_slo = {s.id: found.get(s.id, found.get(s.name)) for s in slos}
        else:
            assert prometheus_url is not None
            by_slo = dict(asyncio.run(_from_server(prometheus_url, slos, end=until,
                                                   lookback_s=lookback_s, step_s=step_s,
                                                   tenant=tenant, token=token)))
    except SloScoutError as exc:
        fail(exc)
    except (HistoryError, httpx.HTTPError) as exc:
        # HistoryError names the server redacted; a transport error's text may quote the URL.
        fail_message(redact_text(str(exc)) if isinstance(exc, HistoryError) else
                     f"{redact_url(prometheus_url or '')}: {redact_text(str(exc))}",
                     "check --prometheus-url, --tenant, --token and the SLO queries")
    except OSError as exc:
        fail_message(str(exc), "check the file")
    rows = [_row(slo, by_slo.get(slo.id)) for slo in slos]
    if as_json:
        sys.stdout.write(json.dumps({"slos": rows}, indent=2) + "\n")
    else:
        Console(width=None if sys.stdout.isatty() else 160).print(_table(rows))


backtest_command.__doc__ = HELP
