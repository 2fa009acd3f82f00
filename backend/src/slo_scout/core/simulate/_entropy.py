"""A seeded, reproducible random source for the simulator.

The core may not touch a process-wide random source, so the simulator draws from this one: the
stream is SHAKE-256 of (seed, block counter), cut into 64-bit words. The same seed gives the same
words on every machine and Python version, which is what makes simulated files byte-identical on
rerun. Blocks of 1,024 words keep the per-draw cost to an index and a shift.
"""

from __future__ import annotations

import hashlib
import math
import struct
from collections.abc import Sequence

_WORDS_PER_BLOCK = 1024
_TWO_POW_53 = float(1 << 53)
_BLOCK = struct.Struct(f"<{_WORDS_PER_BLOCK}Q")  # little-endian everywhere, not native


class SeededRandom:
    """Deterministic draws from a seed; not for cryptography."""

    __slots__ = ("_block", "_counter", "_index", "_seed", "_spare")

    def __init__(self, seed: int | str) -> None:
        self._seed = str(seed).encode()
        self._counter = 0
        self._block: list[int] = []
        self._index = 0
        self._spare: float | None = None
        self._refill()

    def _refill(self) -> None:
        digest = hashlib.shake_256(self._seed + b"/" + str(self._counter).encode()).digest(
            8 * _WORDS_PER_BLOCK
        )
        self._counter += 1
        self._block = list(_BLOCK.unpack(digest))
        self._index = 0

    def bits64(self) -> int:
        if self._index == _WORDS_PER_BLOCK:
            self._refill()
        word = self._block[self._index]
        self._index += 1
        return int(word)

    def random(self) -> float:
        """Uniform in [0, 1)."""
        return (self.bits64() >> 11) / _TWO_POW_53

    def randrange(self, n: int) -> int:
        # Multiply-shift: bias is below 2**-40 for the small n the simulator uses.
        return (self.bits64() >> 32) * n >> 32

    def between(self, low: int, high: int) -> int:
        """Uniform integer in [low, high]."""
        return low + self.randrange(high - low + 1)

    def chance(self, p: float) -> bool:
        return p > 0.0 and self.random() < p

    def gauss(self) -> float:
        """Standard normal; Box-Muller gives two per pair of uniforms, the second is kept."""
        spare = self._spare
        if spare is not None:
            self._spare = None
            return spare
        u1 = 1.0 - self.random()  # (0, 1]: log stays finite
        u2 = 2.0 * math.pi * self.random()
        radius = math.sqrt(-2.0 * math.log(u1))
        self._spare = radius * math.sin(u2)
        return radius * math.cos(u2)

    def lognormal(self, median: float, sigma: float) -> float:
        return median * math.exp(sigma * self.gauss())

    def exponential(self, rate: float) -> float:
        return -math.log(1.0 - self.random()) / rate

    def weighted_index(self, cumulative: Sequence[float]) -> int:
        """Index drawn with the weights whose running sums ``cumulative`` holds."""
        x = self.random() * cumulative[-1]
        for i, bound in enumerate(cumulative):
            if x < bound:
                return i
        return len(cumulative) - 1

    def span_id(self) -> bytes:
        word = self.bits64() or 1  # an all-zero id means "no span" in OTLP
        return word.to_bytes(8, "big")

    def trace_id(self) -> bytes:
        high = self.bits64()
        low = self.bits64() or 1
        return high.to_bytes(8, "big") + low.to_bytes(8, "big")

    def token(self, alphabet: str, length: int) -> str:
        return "".join(alphabet[self.randrange(len(alphabet))] for _ in range(length))
