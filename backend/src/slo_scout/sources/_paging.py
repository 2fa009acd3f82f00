"""Search windows split into pages, so that a limit larger than one answer holds is reached.

Trace searches (Tempo, Jaeger) answer at most ``page`` hits per request. A window whose answer
is full may hide more: it is split in halves, newest half first, down to a minimum length; a
window whose answer is not full holds no more. A window of the shortest length (the APIs take
whole seconds) still full is asked again for more at once. Hits are deduplicated by id across
windows (a trace may start in one window and be matched in the next).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Hit = TypeVar("Hit")
# (start_s, end_s, limit) -> (id, hit) pairs
Search = Callable[[int, int, int], Awaitable[Sequence[tuple[str, Hit]]]]
MIN_WINDOW_S = 1


@dataclass(slots=True)
class Paged(Generic[Hit]):
    hits: dict[str, Hit] = field(default_factory=dict)
    pages: int = 0
    # windows of MIN_WINDOW_S still full: hits there may be missing
    saturated: list[tuple[int, int]] = field(default_factory=list)


async def search_pages(search: Search[Hit], start_s: int, end_s: int, *, limit: int,
                       page: int) -> Paged[Hit]:
    """Up to ``limit`` distinct hits in ``[start_s, end_s]``, newest windows first."""
    found: Paged[Hit] = Paged()
    pending = [(start_s, end_s)]
    while pending and len(found.hits) < limit:
        lo, hi = pending.pop()
        ask = page
        answer = await search(lo, hi, ask)
        found.pages += 1
        needed = limit - len(found.hits)
        fresh = sum(1 for key, _hit in answer if key not in found.hits)
        if len(answer) >= ask and hi - lo > MIN_WINDOW_S and fresh < needed:
            mid = (lo + hi) // 2
            pending.append((lo, mid))
            pending.append((mid, hi))  # popped first: newest half first
            continue
        # A shortest window still full: ask it for more at once, up to what is still needed.
        while len(answer) >= ask and fresh < needed and ask < needed:
            ask = min(needed, ask * 4)
            answer = await search(lo, hi, ask)
            found.pages += 1
            fresh = sum(1 for key, _hit in answer if key not in found.hits)
        if len(answer) >= ask and fresh < needed:
            found.saturated.append((lo, hi))
        for key, hit in answer:
            if len(found.hits) >= limit:
                break
            found.hits.setdefault(key, hit)
    return found
