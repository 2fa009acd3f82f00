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


class MinerMissing(ImportError):
    """drain3 is not installed (it comes with the ``streaming`` extra)."""


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
        return str(cluster.get_template())

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
