"""Human-readable reports of a discovery: a self-contained HTML page with pictures.

A runtime module (it draws with matplotlib), not part of the pure core. ``render_report``
returns ``{path: bytes}``; the command line or the API decides where the bytes go.
"""

from slo_scout.report.page import MAX_PICTURED, InputSummary, render_report

__all__ = ["MAX_PICTURED", "InputSummary", "render_report"]
