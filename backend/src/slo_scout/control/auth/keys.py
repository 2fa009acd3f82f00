"""API keys: ``ssk_<prefix>_<secret>``; only a SHA-256 of the whole key is stored.

The key has 256 bits of randomness, so a plain SHA-256 (not a slow password hash) is enough to
make a stolen table useless, and lets every request verify in microseconds. The prefix finds the
row; the comparison of hashes is constant-time (``service.principal_for_key``).
"""

from __future__ import annotations

import hashlib
import secrets

KEY_SCHEME = "ssk"


def new_key() -> tuple[str, str, str]:
    """Returns (key shown once, prefix, hash to store)."""
    prefix = secrets.token_hex(6)
    key = f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    return key, prefix, hash_key(key)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def prefix_of(key: str) -> str | None:
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_SCHEME or not parts[1]:
        return None
    return parts[1]
