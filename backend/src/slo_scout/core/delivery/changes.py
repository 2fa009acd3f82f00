"""Which planned files differ from what a branch holds, compared by git blob id (no download)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

TRAILER = "SLO-Scout-Delivery"


@dataclass(frozen=True, slots=True)
class Change:
    path: str
    text: str
    exists: bool  # an update of a file the branch holds (else it is created)


def blob_id(text: str) -> str:
    """Git's object id of a blob with this content (SHA-1 of ``blob <size>\\0<bytes>``)."""
    data = text.encode()
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def changes(planned: Mapping[str, str], held: Mapping[str, str]) -> list[Change]:
    """``held``: path -> blob id of the files the branch has now (any subset of paths)."""
    return [Change(path, text, path in held) for path, text in sorted(planned.items())
            if held.get(path) != blob_id(text)]


def commit_message(subject: str, target_values: Mapping[str, str]) -> str:
    """The commit's message, with the trailer that marks a commit as a delivery's own."""
    key = "{team}/{service}/{environment}".format(**target_values)
    return f"{subject}\n\n{TRAILER}: {key}\n"


def is_delivery_commit(message: str) -> bool:
    return any(line.startswith(f"{TRAILER}:") for line in message.splitlines())
