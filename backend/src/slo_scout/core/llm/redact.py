"""Telemetry leaves the process only redacted: span names, routes, attributes and log text may
carry tokens, emails, credentials in URLs, IP addresses and customer numbers."""

from __future__ import annotations

import re

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # credentials inside URLs first: user:password@host also looks like an email
    (re.compile(r"(?<=://)[^/@\s]+@"), "<redacted>@"),
    (re.compile(r"(?i)\b(authorization|bearer|basic|token|api[_-]?key|secret|password|passwd|"
                r"pwd|session|cookie)\b(\s*[:=]\s*|\s+)[^\s,;&]+"), r"\1=<redacted>"),
    (re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+"), "<jwt>"),
    (re.compile(r"\b(?:sk|pk|rk|ghp|gho|ghs|glpat|xox[abprs]|AKIA|ASIA)[-_A-Za-z0-9]{8,}"),
     "<token>"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "<email>"),
    (re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b"), "<ip>"),
    (re.compile(r"\b(?:[0-9a-fA-F]{1,4}:){3,7}[0-9a-fA-F]{1,4}\b"), "<ip>"),
    (re.compile(r"[A-Za-z0-9+/_-]{24,}={0,2}"), "<secret>"),
    (re.compile(r"\d{6,}"), "<digits>"),
)
MAX_FIELD = 200


def redact(text: str, *, limit: int = MAX_FIELD) -> str:
    """``text`` with every secret-looking part replaced, cut to ``limit`` characters."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
