"""Error log lines -> templates, with Drain3 (one prefix tree per service): the miner of the
streaming catalog job, of analysis jobs reading Loki and of ``slo-scout analyze --loki``.

Variable parts that Drain would only generalise after seeing several lines (ids, numbers, IPs,
durations) are masked first, so the first line of a kind already gets its final template and
the template's id (sha1 of environment, service and text) stays stable across restarts. When
Drain still generalises a template later (two lines that differ in a word), the lines after
that count toward the new template; the old row keeps what it counted.

drain3 comes with the ``streaming`` extra, so it is imported when a miner is made: without it
this module still loads and :class:`TemplateMiners` raises :class:`MinerMissing`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

_MASKS = [
    (r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", "UUID"),
    (r"\b[0-9a-fA-F]{16,}\b", "HEX"),
    (r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b", "IP"),
    (r"\b\d+(?:\.\d+)?(?:ms|s|us|ns|m|h)\b", "DURATION"),
    (r"(?<![A-Za-z])[-+]?\d+(?:\.\d+)?(?![A-Za-z])", "NUM"),
]
_MAX_LINE = 4096
# Where a line was logged, as loggers print it: logback's `%logger#%line`
# (`t.s.TravelServiceImpl#372`) or a file and line (`Foo.java:372`, `app.py:17`, `main.go:42`).
# The number tells two statements of the same text apart (a method that logs "calculate
# time" before and after a call), so it keeps its digits where the NUM mask would hide them.
_LOCATION = re.compile(
    r"(?<![\w$.])((?:[A-Za-z_$][\w$]*\.)*(?:[A-Z][\w$]*#"
    r"|[A-Za-z_$][\w$]*\.(?:java|kt|scala|groovy|py|go|rb|js|ts|cs|rs|c|cc|cpp|php):))(\d+)\b")


class MinerMissing(ImportError):
    """drain3 is not installed (it comes with the ``streaming`` extra)."""


def with_location(template: str, line: str) -> str:
    """``template`` with the source location of ``line`` (see ``_LOCATION``) in place of its
    masked form, so that each log statement is a template of its own."""
    found = _LOCATION.search(line)
    if found is None:
        return template
    return template.replace(f"{found[1]}<NUM>", found[0], 1)


def template_id(environment: str, service: str, template: str) -> str:
    return hashlib.sha1(f"{environment}\0{service}\0{template}".encode()).hexdigest()


@dataclass
class TemplateCount:
    service: str
    template: str
    occurrences: int = 0
    trace_ids: set[str] = field(default_factory=set)


class TemplateMiners:
    def __init__(self, environment: str, max_clusters: int = 1000) -> None:
        try:
            from drain3.drain import Drain
            from drain3.masking import LogMasker, MaskingInstruction
        except ImportError as missing:
            raise MinerMissing("log templates need drain3 (pip install 'slo-scout[streaming]'): "
                               f"{missing}") from missing
        self.environment = environment
        self.max_clusters = max_clusters
        self.masker = LogMasker([MaskingInstruction(p, name) for p, name in _MASKS], "<", ">")
        self._drain = Drain
        self.trees: dict[str, Any] = {}

    def template(self, service: str, line: str) -> str:
        tree = self.trees.get(service)
        if tree is None:
            tree = self.trees[service] = self._drain(sim_th=0.4, depth=4,
                                                     max_clusters=self.max_clusters)
        masked = self.masker.mask(line.strip()[:_MAX_LINE])
        cluster, _change = tree.add_log_message(masked)
        return with_location(str(cluster.get_template()), line)

    def add(self, counts: dict[str, TemplateCount], service: str, line: str,
            trace_id: str | None) -> str:
        """Counts one line into ``counts`` (keyed by template id); returns the id."""
        text = self.template(service, line)
        tid = template_id(self.environment, service, text)
        entry = counts.get(tid)
        if entry is None:
            entry = counts[tid] = TemplateCount(service, text)
        entry.occurrences += 1
        if trace_id:
            entry.trace_ids.add(trace_id)
        return tid
