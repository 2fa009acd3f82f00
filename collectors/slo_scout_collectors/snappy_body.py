"""Snappy block bodies (remote_write, Loki protobuf push): inflated only within the body limit."""

from __future__ import annotations

import cramjam

from slo_scout_collectors.otlp import Undecodable
from slo_scout_collectors.pipeline import TooLarge

# The most a snappy block expands: a 3-byte copy element writes at most 64 bytes.
MAX_RATIO = 22


def declared_length(body: bytes) -> int:
    # A snappy block starts with its uncompressed length as a varint.
    length = shift = 0
    for i, byte in enumerate(body[:10]):
        length |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return length
        shift += 7
        if i == 9:
            break
    raise Undecodable("not snappy block data: no length preamble")


def inflate(body: bytes, max_bytes: int, what: str) -> bytes:
    """Raises :class:`TooLarge` from the length preamble, before inflating anything."""
    declared = declared_length(body)
    if declared > MAX_RATIO * len(body):
        # Random bytes read as a preamble announce lengths no snappy block of this size can hold:
        # that is a corrupt body (400, never retried), not an oversized one (413).
        raise Undecodable(f"not snappy block data: {len(body)} bytes cannot inflate to the "
                          f"{declared} bytes their preamble announces")
    if declared > max_bytes:
        raise TooLarge(f"{what} body inflates to {declared} bytes, over the "
                       f"{max_bytes}-byte limit")
    try:
        return bytes(cramjam.snappy.decompress_raw(body))
    except cramjam.DecompressionError as exc:
        raise Undecodable(f"not snappy block data: {exc}") from exc
