"""Keys that stay in the subtask that read their record, so the journey job needs no shuffle.

A Kafka partition is a shard (``core.telemetry.wire``): every fragment of a trace is on one
partition, so the subtask that reads the partition already holds everything the trace's session
needs. A ``keyBy`` would send each record through Flink's network stack anyway (serialised,
buffered and read back: about 1.4 s per 200,000 traces of ``bench.ingest``, measured with an
operator that does nothing). The job instead *reinterprets* the source's stream as keyed
(``DataStreamUtils.reinterpretAsKeyedStream``), which Flink allows when every key's key group
belongs to the subtask the record is already in. :class:`LocalKeys` makes that true by
construction: a record's key is its shard (or trace id) with a suffix, the first one whose key
group Flink assigns to this subtask.

After a rescale or a reassignment of partitions a shard gets another key. The state and timers of
the old key still live (Flink moves them by key group) and close and write its traces; a trace
whose fragments straddle the change is two sessions, counted once by the ledger, as during an
upgrade (docs/streaming.md).

The hash below is Flink's own (``Row.hashCode`` of the one-field key row, ``MathUtils.murmurHash``,
``KeyGroupRangeAssignment``); ``tests/streaming/test_key_groups.py`` checks it against the JVM.
"""

from __future__ import annotations

_MASK = 0xFFFFFFFF
# Row.hashCode of a one-field row: 31 * (31 * kind + 1) + ... folds to the field's hash plus 62.
_ROW_OF_ONE = 62
_MAX_SUFFIX = 1 << 20


def _int32(value: int) -> int:
    value &= _MASK
    return value - (1 << 32) if value & 0x80000000 else value


def _rotl(value: int, bits: int) -> int:
    return ((value << bits) | (value >> (32 - bits))) & _MASK


def string_hash(text: str) -> int:
    """Java's ``String.hashCode`` (UTF-16 code units)."""
    h = 0
    data = text.encode("utf-16-le")
    for i in range(0, len(data), 2):
        h = (31 * h + (data[i] | data[i + 1] << 8)) & _MASK
    return _int32(h)


def murmur_hash(code: int) -> int:
    """Flink's ``MathUtils.murmurHash``: a non-negative int."""
    code = (code * 0xCC9E2D51) & _MASK
    code = _rotl(code, 15)
    code = (code * 0x1B873593) & _MASK
    code = _rotl(code, 13)
    code = (code * 5 + 0xE6546B64) & _MASK
    code ^= 4
    code ^= code >> 16
    code = (code * 0x85EBCA6B) & _MASK
    code ^= code >> 13
    code = (code * 0xC2B2AE35) & _MASK
    code ^= code >> 16
    signed = _int32(code)
    if signed >= 0:
        return signed
    return -signed if signed != -(1 << 31) else 0


def key_group(key: str, max_parallelism: int) -> int:
    """The key group of the key row ``Row.of(key)``."""
    return murmur_hash(_int32(string_hash(key) + _ROW_OF_ONE)) % max_parallelism


def operator_index(group: int, max_parallelism: int, parallelism: int) -> int:
    return group * parallelism // max_parallelism


class LocalKeys:
    """Keys of one subtask: ``key(base)`` is ``base#n`` for the least ``n`` whose key group
    belongs to this subtask. Bundle shards are few and remembered; trace ids are not."""

    def __init__(self, index: int, parallelism: int, max_parallelism: int) -> None:
        self.index, self.parallelism, self.max_parallelism = index, parallelism, max_parallelism
        self._known: dict[str, str] = {}

    def key(self, base: str, *, remember: bool = True) -> str:
        known = self._known.get(base)
        if known is not None:
            return known
        for n in range(_MAX_SUFFIX):
            candidate = f"{base}#{n}"
            group = key_group(candidate, self.max_parallelism)
            if operator_index(group, self.max_parallelism, self.parallelism) == self.index:
                if remember:
                    self._known[base] = candidate
                return candidate
        raise RuntimeError(f"no key for {base!r} falls in subtask {self.index}")
