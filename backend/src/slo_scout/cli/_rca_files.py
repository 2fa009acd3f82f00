"""Files -> the values root-cause ranking takes: spans, log records, metric samples.

Spans come through the core's decoders (any trace format; the TrainTicket CSV is recognised by
its header). Logs and pod metrics are the Nezha TrainTicket CSVs (see
docs/rca.md): ``Timestamp,TimeUnixNano,Node,PodName,Container,TraceID,SpanID,Log`` with the
container's JSON line in ``Log``, and one row a minute per pod of resource metrics. Log lines
are mined into templates here, with Drain3 (the streaming jobs' miner), so the core only counts.
A bad row raises :class:`DecodeError` naming the file, the line and the field.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Final

from slo_scout.control.logs.mining import with_location
from slo_scout.core.errors import DecodeError
from slo_scout.core.rca.model import FaultKind, LogRecord, MetricSample
from slo_scout.core.telemetry import Span, decode_stream
from slo_scout.core.telemetry.model import service_from_pod


class RcaInputError(DecodeError):
    """A file ``slo-scout rca`` cannot use: names the file, the line and the field."""

    hint = "fix the file or leave it out"


CHUNK: Final = 1 << 20
LOG_COLUMNS: Final = ("TimeUnixNano", "PodName", "TraceID", "SpanID", "Log")
# Which pod metric points to which kind of fault; all are read as "higher is worse".
METRIC_KINDS: Final[dict[str, FaultKind]] = {
    "CpuUsageRate(%)": "cpu",
    "MemoryUsageRate(%)": "memory",
    "NetworkReceiveBytes": "network",
    "NetworkTransmitBytes": "network",
    "PodServerLatencyP90(s)": "latency",
}
# A level word in capitals (log4j, logback, Python), or logfmt's `level=error` in any case.
_LEVEL = re.compile(r"\b(TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL|SEVERE|CRITICAL)\b"
                    r"|\b(?i:level)=\"?(\w+)")
_ERROR_LEVELS: Final = frozenset({"ERROR", "FATAL", "SEVERE", "CRITICAL", "PANIC", "ALERT",
                                  "EMERG", "EMERGENCY", "ERR", "CRIT"})
# Structured (JSON) log lines, as logrus, zap, pino, structlog and the .NET and Java JSON
# layouts write them: where the level and the message are.
_LEVEL_KEYS: Final = ("level", "severity", "levelname", "log.level", "lvl", "@l")
_MESSAGE_KEYS: Final = ("message", "msg", "@message", "@m", "event")
_PINO_ERROR: Final = 50  # pino's numeric levels: 50 error, 60 fatal
# The logger's clock and the ids it repeats: they would make every line its own template.
_NOISE = re.compile(r"^\s*\d{1,2}:\d{2}:\d{2}(?:\.\d+)?\s*|\b(?:TraceID|SpanID):\s*\S+\s*")


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def read_spans(paths: Sequence[Path]) -> list[Span]:
    spans: list[Span] = []
    for path in paths:
        if not path.is_file():
            raise RcaInputError("no such file", source=str(path))
        try:
            for batch in decode_stream(_chunks(path), source=str(path)):
                spans.extend(batch)
        except OSError as exc:
            raise RcaInputError(f"cannot read: {exc.strerror}", source=str(path)) from exc
    return spans


def _text(path: Path) -> io.TextIOBase:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RcaInputError(f"cannot read: {exc.strerror}", source=str(path)) from exc
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise RcaInputError(f"not a readable gzip file: {exc}", source=str(path)) from exc
    return io.StringIO(raw.decode("utf-8-sig", errors="replace"), newline="")


def _rows(
    path: Path, needed: Sequence[str], problems: list[DecodeError] | None
) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows as dicts; a bad row raises, or with ``problems`` is listed there and skipped."""

    def bad(error: DecodeError) -> None:
        if problems is None:
            raise error
        problems.append(error)

    reader = csv.reader(_text(path), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise RcaInputError(f"unreadable CSV header: {exc}", source=str(path),
                          record="line 1") from exc
    if header is None:
        return
    where = {name.strip(): i for i, name in enumerate(header)}
    for column in needed:
        if column not in where:
            raise RcaInputError("the header has no such column", source=str(path),
                              record="line 1", field=column)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            bad(RcaInputError(f"unreadable CSV: {exc}", source=str(path),
                            record=f"line {reader.line_num}"))
            continue
        if not row or row == [""]:
            continue
        if len(row) != len(header):
            bad(RcaInputError(f"{len(row)} cells where the header has {len(header)}",
                            source=str(path), record=f"line {reader.line_num}"))
            continue
        yield reader.line_num, {name: row[i] for name, i in where.items()}


def _int(value: str, path: Path, line: int, column: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise RcaInputError(f"not an integer: {value[:40]!r}", source=str(path),
                          record=f"line {line}", field=column) from None


def message_of(cell: str) -> str:
    """The message of a ``Log`` cell: the ``log`` field of a container JSON line, else the cell."""
    if cell.startswith("{"):
        try:
            document = json.loads(cell)
        except ValueError:
            return cell.strip()
        if isinstance(document, dict) and isinstance(document.get("log"), str):
            return str(document["log"]).strip()
    return cell.strip()


class TemplateMiner:
    """Drain3 trees shared by the baseline and the incident, read in two passes.

    Drain generalises a template as it sees more lines ("Train Type name: DongCheOne" becomes
    "Train Type name: <*>"), so a line mined early and the same kind of line mined later can get
    different templates. :meth:`learn` feeds every line first; :meth:`templated` then gives each
    record the template the final trees match, so the baseline and the incident agree.
    """

    def __init__(self) -> None:
        from slo_scout.control.logs.mining import MinerMissing, TemplateMiners

        try:
            self._miners = TemplateMiners("rca")
        except MinerMissing as exc:  # drain3 comes with the `streaming` extra
            raise RcaInputError(str(exc), source="<logs>") from exc

    def _masked(self, message: str) -> str:
        return str(self._miners.masker.mask(_NOISE.sub(" ", message).strip()[:4096]))

    def learn(self, records: Sequence[LogRecord]) -> None:
        for record in records:
            self._miners.template(record.service, _NOISE.sub(" ", record.template))

    def templated(self, records: Sequence[LogRecord]) -> list[LogRecord]:
        """Copies of ``records`` (whose ``template`` holds the raw message) with their template."""
        out = []
        for record in records:
            tree = self._miners.trees.get(record.service)
            masked = self._masked(record.template)
            cluster = tree.match(masked, full_search_strategy="fallback") if tree else None
            template = str(cluster.get_template()) if cluster is not None else masked
            template = with_location(template, record.template)
            out.append(replace(record, template=template))
        return out


def level_of(message: str) -> tuple[str, bool]:
    """(the text to mine, whether the line is an error) of one message.

    A JSON line (a structured logger's) gives its level and message fields; the rest of its
    fields (time, caller, ids) would make every line a template of its own. A plain line gives
    the first level in its first 80 characters (``ERROR``, ``level=error``).
    """
    if message.startswith("{"):
        try:
            document = json.loads(message)
        except ValueError:
            document = None
        if isinstance(document, dict):
            level = next((document[k] for k in _LEVEL_KEYS if k in document), None)
            text = next((document[k] for k in _MESSAGE_KEYS
                         if isinstance(document.get(k), str)), message)
            if isinstance(level, int) and not isinstance(level, bool):
                return text, level >= _PINO_ERROR
            return text, isinstance(level, str) and level.upper() in _ERROR_LEVELS
    found = _LEVEL.search(message[:80])
    word = (found.group(1) or found.group(2)) if found else ""
    return message, word.upper() in _ERROR_LEVELS


def read_logs(
    paths: Sequence[Path], problems: list[DecodeError] | None = None
) -> list[LogRecord]:
    """Log records holding their raw message as ``template`` (see :class:`TemplateMiner`).

    A bad row raises, or with ``problems`` is listed there and skipped.
    """
    records: list[LogRecord] = []
    for path in paths:
        for line, row in _rows(path, LOG_COLUMNS, problems):
            try:
                time_ns = _int(row["TimeUnixNano"], path, line, "TimeUnixNano")
            except DecodeError as exc:
                if problems is None:
                    raise
                problems.append(exc)
                continue
            message, error = level_of(message_of(row["Log"]))
            service = service_from_pod(row["PodName"].strip())
            records.append(LogRecord(
                time_ns=time_ns,
                service=service,
                template=message,
                error=error,
                trace_id=row["TraceID"].strip() or None,
                span_id=row["SpanID"].strip() or None,
            ))
    return records


def _metric_row(path: Path, line: int, row: dict[str, str]) -> list[MetricSample]:
    time_ns = _int(row["TimeStamp"], path, line, "TimeStamp") * 1_000_000_000
    pod = row["PodName"].strip()
    service = service_from_pod(pod)
    samples = []
    for column, kind in METRIC_KINDS.items():
        cell = row.get(column, "").strip()
        if not cell:
            continue
        try:
            value = float(cell)
        except ValueError:
            raise RcaInputError(f"not a number: {cell[:40]!r}", source=str(path),
                              record=f"line {line}", field=column) from None
        if not math.isfinite(value):
            continue  # NaN: the exporter had no value that minute, which is no outlier
        samples.append(MetricSample(time_ns, service, f"{column} of {pod}", kind, value))
    return samples


def read_metrics(
    paths: Sequence[Path], problems: list[DecodeError] | None = None
) -> list[MetricSample]:
    """Pod metric rows (``TimeStamp``: Unix seconds in the spans' clock); bad rows as for logs."""
    samples: list[MetricSample] = []
    for path in paths:
        for line, row in _rows(path, ("TimeStamp", "PodName"), problems):
            try:
                samples.extend(_metric_row(path, line, row))
            except DecodeError as exc:
                if problems is None:
                    raise
                problems.append(exc)
    return samples
