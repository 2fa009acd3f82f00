"""Artifact writers: each returns text, never writes a file (the runtime does)."""

from slo_scout.core.artifacts.bundle import CHAIN, render_approved, render_bundle
from slo_scout.core.artifacts.chain import ArtifactGenerator, BundleRequest, run_chain
from slo_scout.core.artifacts.model import Slo, build_slos
from slo_scout.core.artifacts.records import SloRecord, slo_from_record, slos_from_records

__all__ = [
    "CHAIN",
    "ArtifactGenerator",
    "BundleRequest",
    "Slo",
    "SloRecord",
    "build_slos",
    "render_approved",
    "render_bundle",
    "run_chain",
    "slo_from_record",
    "slos_from_records",
]
