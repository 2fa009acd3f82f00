"""What a caller saw before it wrote: the precondition of a review or an edit.

A reviewer approves what they read, not whatever the row holds when the request lands: each
review and edit names the version it was made on, and the write is one conditional UPDATE that
matches only while the row still is that version. Of two writes made on the same version,
exactly one matches; the other is a Conflict carrying what the row is now.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Seen:
    """The version the caller read and, when it sent the whole state it read (an HTTP ETag),
    the status too: an approval changes the status, not the version."""

    version: int
    status: str | None = None

    def holds(self, version: int, status: str) -> bool:
        return self.version == version and self.status in (None, status)

    def describe(self) -> str:
        return f"version {self.version}" + (f" ({self.status})" if self.status else "")
