"""Value spellings every format shares: span kinds, status codes, integers written as text.

Also the shape of a problem inside one record (:class:`FieldError`) and of its field path, so
the JSON decoders name a bad field the same way.
"""

from __future__ import annotations

from typing import Final

from slo_scout.core.telemetry.model import (
    KEPT_ATTRIBUTES,
    SPAN_KINDS,
    STATUS_CODES,
    SpanKind,
    StatusCode,
)

# OTLP enums by number (SpanKind 0..5, StatusCode 0..2), the model's names in the same order.
KIND_BY_NUMBER: Final[tuple[SpanKind, ...]] = SPAN_KINDS
STATUS_BY_NUMBER: Final[tuple[StatusCode, ...]] = STATUS_CODES

_KIND_BY_NAME: Final[dict[str, SpanKind]] = {
    **{kind: kind for kind in SPAN_KINDS},
    **{f"span_kind_{kind}": kind for kind in SPAN_KINDS},
}
_STATUS_BY_NAME: Final[dict[str, StatusCode]] = {
    **{code: code for code in STATUS_CODES},
    **{f"status_code_{code}": code for code in STATUS_CODES},
}

# Dotted prefixes of kept keys: a kvlist under one of these may hold a kept key once flattened.
KEPT_PARENTS: Final[frozenset[str]] = frozenset(
    key.rsplit(".", n)[0] for key in KEPT_ATTRIBUTES for n in range(1, key.count(".") + 1)
)


# The latest time a span may carry: a signed 64-bit count of Unix nanoseconds (year 2262). Kafka
# record timestamps, PostgreSQL BIGINT columns and the report's dates all hold no more, so a span
# past it is refused here, as one bad record, rather than failing a whole batch downstream.
MAX_UNIX_NS: Final = 2**63 - 1




def too_late(ns: int) -> str:
    """The problem of a span time past :data:`MAX_UNIX_NS` (the value cut short: it may be huge)."""
    return f"is past the year 2262 (at most 2^63-1 Unix nanoseconds): {str(ns)[:24]}"


class FieldError(Exception):
    """A problem inside one span; ``field`` is relative to the object being decoded."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def join_field(path: str, field: str) -> str:
    """``field`` under ``path``: ``a.b``, or ``a[0]`` for an index; either may be empty."""
    if not path:
        return field
    if not field:
        return path
    return f"{path}{field}" if field.startswith("[") else f"{path}.{field}"


def required_int(value: object, field: str) -> int:
    """:func:`as_int` of a value that must be present; :class:`FieldError` otherwise."""
    if value is None:
        raise FieldError("missing", field)
    number = as_int(value)
    if number is None:
        raise FieldError(f"not an integer: {str(value)[:48]!r}", field)
    return number


def int64(number: int, field: str) -> int:
    """``number`` when it fits OTLP's int64 (and the JSON the spans travel in); else FieldError."""
    if not -(2**63) <= number <= 2**63 - 1:
        raise FieldError(f"is out of the 64-bit integer range: {str(number)[:24]}", field)
    return number


def as_int(value: object) -> int | None:
    """An integer from a JSON number or a decimal string (int64 is often a string in JSON)."""
    if type(value) is int:
        return value
    if isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text[:1] in "+-" else text
        if digits.isascii() and digits.isdigit():
            return int(text)
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def as_kind(value: object) -> SpanKind | None:
    """A span kind from an OTLP number, an OTLP enum name, or a plain name (any case)."""
    if type(value) is int:
        # Unknown numbers are legal in an open proto3 enum: they say nothing about the kind.
        return KIND_BY_NUMBER[value] if 0 <= value < len(KIND_BY_NUMBER) else "unspecified"
    if isinstance(value, str):
        number = as_int(value)
        if number is not None:
            return as_kind(number)
        return _KIND_BY_NAME.get(value.strip().lower())
    return None


def as_status(value: object) -> StatusCode | None:
    """A status code from an OTLP number, an OTLP enum name, or a plain name (any case)."""
    if type(value) is int:
        return STATUS_BY_NUMBER[value] if 0 <= value < len(STATUS_BY_NUMBER) else "unset"
    if isinstance(value, str):
        number = as_int(value)
        if number is not None:
            return as_status(number)
        return _STATUS_BY_NAME.get(value.strip().lower())
    return None
