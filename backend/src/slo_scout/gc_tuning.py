"""Cyclic-GC settings for long decode-and-discover work (``analyze``, ``python -m bench``, the
Flink journey job's operator).

Kept apart from the runtimes so each can use the same settings without importing another.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# Generation-0 threshold during discovery. Decoding allocates a few objects per span and most
# live until their trace closes, so the default (700) runs a young collection every couple of
# hundred spans and promotes everything, and old collections then re-scan the open traces.
# A large young generation lets per-trace temporaries die before any scan; python -m bench
# measures the effect (about 15% of discovery's time on the simulated shop).
GC_YOUNG_THRESHOLD = 50_000


def tune() -> tuple[int, int, int]:
    """Applies the settings below until :func:`restore`; returns what they replace."""
    previous = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 50, 1000)
    return previous


def restore(previous: tuple[int, int, int]) -> None:
    gc.set_threshold(*previous)
    gc.unfreeze()


@contextmanager
def batch_gc() -> Iterator[None]:
    """Cyclic GC tuned for one long decode-and-discover pass; the settings are restored after.

    Objects alive before the pass (modules, the CLI) are frozen out of every scan. Cycles are
    still collected: the young generation is large, not switched off.
    """
    previous = tune()
    try:
        yield
    finally:
        restore(previous)
