"""Upstream servers' URLs as secrets: the sources adapter holds the one implementation."""

from __future__ import annotations

from slo_scout.sources.endpoint import REDACTED, redact_text, redact_url, split_credentials

__all__ = ["REDACTED", "redact_text", "redact_url", "split_credentials"]
