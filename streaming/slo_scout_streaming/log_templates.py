"""Error log lines -> templates, with Drain3 (one prefix tree per service).

Variable parts that Drain would only generalise after seeing several lines (ids, numbers, IPs,
durations) are masked first, so the first line of a kind already gets its final template and
the template's id (sha1 of environment, service and text) stays stable across restarts. When
Drain still generalises a template later (two lines that differ in a word), the lines after
that count toward the new template; the old row keeps what it counted.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from drain3.drain import Drain
from drain3.masking import LogMasker, MaskingInstruction

_MASKS = [
    MaskingInstruction(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                       r"[0-9a-fA-F]{12}", "UUID"),
    MaskingInstruction(r"\b[0-9a-fA-F]{16,}\b", "HEX"),
    MaskingInstruction(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b", "IP"),
    MaskingInstruction(r"\b\d+(?:\.\d+)?(?:ms|s|us|ns|m|h)\b", "DURATION"),
    MaskingInstruction(r"(?<![A-Za-z])[-+]?\d+(?:\.\d+)?(?![A-Za-z])", "NUM"),
]
_MAX_LINE = 4096


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
        self.environment = environment
        self.max_clusters = max_clusters
        self.masker = LogMasker(_MASKS, "<", ">")
        self.trees: dict[str, Drain] = {}

    def template(self, service: str, line: str) -> str:
        tree = self.trees.get(service)
        if tree is None:
            tree = self.trees[service] = Drain(sim_th=0.4, depth=4,
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
