"""Every answer of a model passes these before use; what fails is discarded with its reason.

Text a person will read must be plain: short, one line, no markup, no links, nothing that reads
as instructions to a reader or another model, and nothing that looks like a query or a metric
(those come from the core only).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

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


MAX_RATIONALE = 600
# A number as people write it: 1,583 / 99.5 / 0.995 / 12 (a leading sign is not part of it).
_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")


def numbers_in(text: str) -> list[tuple[float, int]]:
    """Every number in ``text`` as (value, decimals written), thousands separators dropped."""
    out = []
    for match in _NUMBER.finditer(text):
        digits = match.group().replace(",", "")
        decimals = len(digits.split(".", 1)[1]) if "." in digits else 0
        out.append((float(digits), decimals))
    return out


def _matches(value: float, decimals: int, given: float) -> bool:
    # "99.5" matches 99.50 and 99.4962 (rounded as written); a percent matches its ratio and
    # a ratio its percent, whichever way the evidence gave it.
    return any(round(candidate, decimals) == value
               for candidate in (given, given * 100, given / 100))


def cites_only(text: str, evidence: Iterable[float]) -> str | None:
    """None when every number in ``text`` is one of ``evidence`` (as written, rounded to the
    decimals the text gives), else the first number that is not."""
    given = [float(v) for v in evidence]
    for value, decimals in numbers_in(text):
        if not any(_matches(value, decimals, g) for g in given):
            return f"{value:g}"
    return None


def rationale(text: object, evidence: Iterable[float]) -> tuple[str | None, str | None]:
    """(the text, tidied) when it is plain and cites only ``evidence``, else (None, why not)."""
    tidy, reason = plain_text(text, limit=MAX_RATIONALE)
    if tidy is None:
        return None, reason
    invented = cites_only(tidy, evidence)
    if invented is not None:
        return None, f"states {invented}, a number not in the evidence"
    return tidy, None
