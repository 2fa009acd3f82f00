"""Every answer of a model passes these before use; what fails is discarded with its reason.

Text a person will read must be plain: short, one line, no markup, no links, nothing that reads
as instructions to a reader or another model, and nothing that looks like a query or a metric
(those come from the core only).
"""

from __future__ import annotations

import re

MAX_NAME = 60

_URL = re.compile(r"(?i)\b(?:https?://|www\.)|\b[\w-]+\.(?:com|net|org|io|dev)\b")
_MARKUP = re.compile(r"[<>`*#\[\]{}|\\]|^\s*[-=]{3}")
_INSTRUCTIONS = re.compile(
    r"(?i)\b(?:ignore|disregard|forget|override)\b.{0,40}\b(?:instructions?|previous|above|"
    r"prompt|rules?)\b|\bsystem prompt\b|\byou are (?:now|a|an)\b|\bas an ai\b")
_QUERY = re.compile(r"\b[a-z_:][a-z0-9_:]*\s*\{|\b(?:rate|sum|increase|histogram_quantile)\s*\(|"
                    r"_(?:total|bucket|count|sum|seconds|milliseconds)\b")
_LETTER = re.compile(r"[^\W\d_]")


def plain_text(text: object, *, limit: int) -> tuple[str | None, str | None]:
    """(the text, tidied) when it may be shown, else (None, why not)."""
    if not isinstance(text, str):
        return None, "not text"
    tidy = " ".join(text.split())
    if not tidy or not _LETTER.search(tidy):
        return None, "empty"
    if len(tidy) > limit:
        return None, f"longer than {limit} characters"
    if "\n" in text.strip():
        return None, "more than one line"
    for pattern, reason in ((_URL, "a link"), (_MARKUP, "markup"),
                            (_INSTRUCTIONS, "instructions"), (_QUERY, "a query or metric name")):
        if pattern.search(tidy):
            return None, f"contains {reason}"
    return tidy, None


def journey_name(text: object) -> tuple[str | None, str | None]:
    return plain_text(text, limit=MAX_NAME)
