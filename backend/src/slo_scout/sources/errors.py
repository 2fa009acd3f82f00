"""The sources' one error: which source, where (redacted), and what status it answered."""

from __future__ import annotations


class SourceError(Exception):
    """A source could not answer after its retries, or answered something unusable.

    The message names the source, its redacted URL and path, and the HTTP status (or the
    transport error's kind), never the upstream's body: a proxy that echoes its request would
    hand out the credentials."""

    def __init__(self, source: str, where: str, detail: str, *, status: int | None = None) -> None:
        super().__init__(f"{source} at {where}: {detail}")
        self.source = source
        self.where = where
        self.status = status
