"""Byte plumbing shared by the decoders: gzip, peeking at the head, lines, whole bodies.

Everything works on iterators of ``bytes`` chunks so a caller can feed a file read in blocks
or one HTTP body, and memory stays bounded by the largest record, not by the input.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

from slo_scout.core.errors import DecodeError

GZIP_MAGIC = b"\x1f\x8b"


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


def maybe_gunzip(chunks: Iterable[bytes], source: str) -> Iterator[bytes]:
    """Pass plain input through; decompress input that starts with the gzip magic."""
    head, stream = peek(chunks, 2)
    if head.startswith(GZIP_MAGIC):
        return gunzip(stream, source)
    return stream


def gunzip(chunks: Iterable[bytes], source: str) -> Iterator[bytes]:
    """Decompress gzip incrementally; concatenated members (``cat a.gz b.gz``) are read in turn."""
    inflater = zlib.decompressobj(wbits=31)
    pending = False  # inside a member that has not reached its end yet
    for chunk in chunks:
        data = chunk
        while data:
            pending = True
            try:
                out = inflater.decompress(data)
            except zlib.error as exc:
                raise DecodeError(f"corrupt gzip data: {exc}", source=source) from exc
            if out:
                yield out
            if not inflater.eof:
                break
            pending = False
            data = inflater.unused_data
            inflater = zlib.decompressobj(wbits=31)
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
