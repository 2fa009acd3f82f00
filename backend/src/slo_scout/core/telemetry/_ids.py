"""Span and trace ids in the model's one spelling: lowercase hex, 32 and 16 characters.

Formats disagree: OTLP/JSON says hex but some exporters write base64, Zipkin and Jaeger allow
64-bit trace ids, and Jaeger's own fixtures use free-form ids such as ``span-1``. Free-form ids
are mapped to hex through a stable hash (BLAKE2b) so that references between spans still match
and the mapping is the same on every run.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Final

TRACE_BYTES: Final = 16
SPAN_BYTES: Final = 8

_HEX: Final = re.compile(r"[0-9a-fA-F]+")


def hex_id(value: str, nbytes: int) -> str | None:
    """A hex id left-padded to ``nbytes``; ``None`` when not hex, too long, or all zeros."""
    width = 2 * nbytes
    if not value or len(value) > width or _HEX.fullmatch(value) is None:
        return None
    out = value.lower().rjust(width, "0")
    return None if out.count("0") == width else out


def base64_id(value: str, nbytes: int) -> str | None:
    """A base64 id of exactly ``nbytes`` bytes as hex; ``None`` when it is not one."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != nbytes or raw.count(0) == nbytes:
        return None
    return raw.hex()


def derived_id(text: str, nbytes: int) -> str:
    """A stable hex id for something that has no usable hex id of its own."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=nbytes).hexdigest()
