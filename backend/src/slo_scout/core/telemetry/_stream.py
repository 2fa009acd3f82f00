"""Byte plumbing shared by the decoders: gzip, peeking at the head, lines, whole bodies.

Everything works on iterators of ``bytes`` chunks so a caller can feed a file read in blocks
or one HTTP body, and memory stays bounded by the largest record, not by the input.

Inflation is bounded (:class:`Inflation`): gzip is inflated at most ``STEP`` bytes at a time,
and the total is checked against the caller's limits before the next step, so a decompression
bomb costs the limit, never what it would inflate to.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final

from slo_scout.core.errors import DecodeError, InflationLimitError

GZIP_MAGIC = b"\x1f\x8b"
# The most one inflate call may produce: the overshoot past a limit before it is noticed.
STEP: Final = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Inflation:
    """How far compressed input may inflate. ``max_bytes`` caps the inflated total (a service
    passes its body limit); ``max_ratio`` caps inflated/compressed once the output passes
    ``ratio_floor`` (a file reader passes it: real telemetry inflates 5-30x, a bomb ~1000x).
    ``None`` turns a cap off."""

    max_bytes: int | None = None
    max_ratio: float | None = None
    ratio_floor: int = 16 * 1024 * 1024

    def __post_init__(self) -> None:
        if self.max_bytes is not None and self.max_bytes < 0:
            raise ValueError("max_bytes must be >= 0")
        if self.max_ratio is not None and self.max_ratio < 1:
            raise ValueError("max_ratio must be >= 1")

    def check(self, inflated: int, consumed: int, source: str) -> None:
        """Raise :class:`InflationLimitError` once ``inflated`` bytes are over a limit."""
        if self.max_bytes is not None and inflated > self.max_bytes:
            raise InflationLimitError(
                f"compressed input inflates past the {self.max_bytes}-byte limit",
                source=source, limit=self.max_bytes,
            )
        if (self.max_ratio is not None and inflated > self.ratio_floor
                and inflated > self.max_ratio * max(consumed, 1)):
            raise InflationLimitError(
                f"compressed input inflates more than {self.max_ratio:g}x "
                f"({consumed} bytes gave {inflated}): a decompression bomb?",
                source=source, limit=int(self.max_ratio * max(consumed, 1)),
            )


UNLIMITED: Final = Inflation()


def _nonempty(chunks: Iterable[bytes]) -> Iterator[bytes]:
    for chunk in chunks:
        if chunk:
            yield bytes(chunk)


def peek(chunks: Iterable[bytes], size: int) -> tuple[bytes, Iterator[bytes]]:
    """The first ``size`` bytes (fewer at end of input) and an iterator replaying everything."""
    it = _nonempty(chunks)
    taken: list[bytes] = []
    have = 0
    for chunk in it:
        taken.append(chunk)
        have += len(chunk)
        if have >= size:
            break
    head = b"".join(taken)

    def replay() -> Iterator[bytes]:
        if head:
            yield head
        yield from it

    return head[:size], replay()


def maybe_gunzip(
    chunks: Iterable[bytes], source: str, limits: Inflation = UNLIMITED
) -> Iterator[bytes]:
    """Pass plain input through; decompress input that starts with the gzip magic."""
    head, stream = peek(chunks, 2)
    if head.startswith(GZIP_MAGIC):
        return gunzip(stream, source, limits)
    return stream


def gunzip(
    chunks: Iterable[bytes], source: str, limits: Inflation = UNLIMITED
) -> Iterator[bytes]:
    """Decompress gzip incrementally; concatenated members (``cat a.gz b.gz``) are read in turn.

    Each inflate call yields at most :data:`STEP` bytes and the running total is checked
    against ``limits`` before the next, so memory never follows the compression ratio.
    """
    inflater = zlib.decompressobj(wbits=31)
    pending = False  # inside a member that has not reached its end yet
    before = inflated = 0  # compressed bytes of the chunks before this one; bytes inflated
    for chunk in chunks:
        data, more = chunk, bool(chunk)
        while more:
            pending = True
            try:
                out = inflater.decompress(data, STEP)
            except zlib.error as exc:
                raise DecodeError(f"corrupt gzip data: {exc}", source=source) from exc
            if out:
                inflated += len(out)
                left = len(inflater.unused_data if inflater.eof else inflater.unconsumed_tail)
                limits.check(inflated, before + len(chunk) - left, source)
                yield out
            if inflater.eof:
                pending = False
                data = inflater.unused_data
                inflater = zlib.decompressobj(wbits=31)
                more = bool(data)
            else:
                # a full step may leave output inside zlib even when no input is left over
                data = inflater.unconsumed_tail
                more = bool(data) or len(out) == STEP
        before += len(chunk)
    if pending:
        raise DecodeError("gzip stream is truncated", source=source)


def iter_lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Lines without their line ending; the last line may lack one."""
    pending: list[bytes] = []
    for chunk in chunks:
        if b"\n" not in chunk:
            pending.append(chunk)
            continue
        if pending:
            pending.append(chunk)
            chunk = b"".join(pending)
            pending = []
        lines = chunk.split(b"\n")
        tail = lines.pop()
        if tail:
            pending.append(tail)
        for line in lines:
            yield line[:-1] if line.endswith(b"\r") else line
    if pending:
        last = b"".join(pending)
        yield last[:-1] if last.endswith(b"\r") else last


def first_line(chunks: Iterable[bytes]) -> tuple[bytes, Iterator[bytes]]:
    """The first line (without its ending) and an iterator replaying the whole input."""
    it = _nonempty(chunks)
    taken: list[bytes] = []
    for chunk in it:
        taken.append(chunk)
        if b"\n" in chunk:
            break
    head = b"".join(taken)
    line = head.split(b"\n", 1)[0]

    def replay() -> Iterator[bytes]:
        if head:
            yield head
        yield from it

    return (line[:-1] if line.endswith(b"\r") else line), replay()
