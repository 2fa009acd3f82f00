"""Artifact writers: each returns text, never writes a file (the runtime does)."""

from slo_scout.core.artifacts.bundle import render_bundle
from slo_scout.core.artifacts.model import Slo, build_slos

__all__ = ["Slo", "build_slos", "render_bundle"]
