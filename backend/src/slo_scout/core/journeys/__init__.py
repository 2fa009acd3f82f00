"""Journeys: traces assembled from spans, grouped into the kinds of request users make.

Pure library (no I/O). The pipeline is ``TraceAssembler`` (spans -> finished traces, bounded by
open traces) -> ``JourneyCatalog`` (traces -> journeys, variants, statistics); ``discover`` wires
both and ``discovery_to_dict`` renders ``journeys.json``. See docs/journeys.md for the rules.
"""

from slo_scout.core.journeys.assembler import TraceAssembler
from slo_scout.core.journeys.assembly import assemble
from slo_scout.core.journeys.catalog import JourneyCatalog
from slo_scout.core.journeys.critical_path import critical_path
from slo_scout.core.journeys.discovery import Discovery, discover, discovery_to_dict
from slo_scout.core.journeys.entry import entry_of
from slo_scout.core.journeys.fingerprint import fingerprint_of
from slo_scout.core.journeys.model import (
    Edge,
    Entry,
    Journey,
    MinuteStats,
    StepShare,
    Trace,
    TraceNode,
    Variant,
)
from slo_scout.core.journeys.templating import template_path

__all__ = [
    "Discovery",
    "Edge",
    "Entry",
    "Journey",
    "JourneyCatalog",
    "MinuteStats",
    "StepShare",
    "Trace",
    "TraceAssembler",
    "TraceNode",
    "Variant",
    "assemble",
    "critical_path",
    "discover",
    "discovery_to_dict",
    "entry_of",
    "fingerprint_of",
    "template_path",
]
