"""Authenticated API keys remembered for a few seconds, so a request costs no key lookup.

Keyed by the SHA-256 of the whole key (the value stored in the database, never the key itself),
so a hit proves the caller sent the very key that was verified; a key that only shares a prefix
misses. Entries live ``ttl_s`` seconds: a key revoked or a role changed by another process takes
effect within that time; in this process, issuing or revoking a key clears the cache at once.
Only successes are cached: an unknown or revoked key is checked against the database every time.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from slo_scout.control.auth.principal import Principal


class PrincipalCache:
    def __init__(
        self, ttl_s: float, *, max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s = ttl_s
        self._max = max_entries
        self._clock = clock
        self._entries: dict[str, tuple[float, Principal]] = {}
        # bumped by clear(): a lookup that began before a clear must not cache what it read
        self.generation = 0

    def get(self, key_hash: str) -> Principal | None:
        found = self._entries.get(key_hash)
        if found is None:
            return None
        expires, principal = found
        if self._clock() >= expires:
            del self._entries[key_hash]
            return None
        return principal

    def put(self, key_hash: str, principal: Principal, generation: int) -> None:
        """Remembers ``principal``, read from the database after ``generation`` was current."""
        if self.ttl_s <= 0 or generation != self.generation:
            return
        now = self._clock()
        if len(self._entries) >= self._max:
            # many distinct keys: drop the expired ones, and everything if that is not enough
            self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
            if len(self._entries) >= self._max:
                self._entries.clear()
        self._entries[key_hash] = (now + self.ttl_s, principal)

    def clear(self) -> None:
        self._entries.clear()
        self.generation += 1
