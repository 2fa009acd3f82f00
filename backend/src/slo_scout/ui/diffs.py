"""Side-by-side rows of a file's change: what a reviewer reads before approving a bundle.

Pure: two texts in, rows out. Unchanged runs longer than twice the context collapse to one
"n unchanged lines" row, as a code review tool shows them.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

CONTEXT = 3


@dataclass(frozen=True, slots=True)
class Row:
    kind: str  # "same", "changed", "removed", "added" or "skip"
    old_no: int | None
    old: str
    new_no: int | None
    new: str


def side_by_side(before: str, after: str, context: int = CONTEXT) -> list[Row]:
    old, new = before.splitlines(), after.splitlines()
    rows: list[Row] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(_same(old, i1, i2, j1, context, first=i1 == 0, last=i2 == len(old)))
            continue
        for k in range(max(i2 - i1, j2 - j1)):
            i, j = i1 + k, j1 + k
            has_old, has_new = i < i2, j < j2
            kind = "changed" if has_old and has_new else "removed" if has_old else "added"
            rows.append(Row(kind, i + 1 if has_old else None, old[i] if has_old else "",
                            j + 1 if has_new else None, new[j] if has_new else ""))
    return rows


def _same(old: list[str], i1: int, i2: int, j1: int, context: int, *, first: bool,
          last: bool) -> list[Row]:
    keep_head = 0 if first else context
    keep_tail = 0 if last else context
    n = i2 - i1
    if n <= keep_head + keep_tail + 1:
        return [Row("same", i1 + k + 1, old[i1 + k], j1 + k + 1, old[i1 + k]) for k in range(n)]
    head = [Row("same", i1 + k + 1, old[i1 + k], j1 + k + 1, old[i1 + k])
            for k in range(keep_head)]
    tail = [Row("same", i1 + k + 1, old[i1 + k], j1 + k + 1, old[i1 + k])
            for k in range(n - keep_tail, n)]
    skipped = n - keep_head - keep_tail
    return [*head, Row("skip", None, f"{skipped} unchanged lines", None, ""), *tail]
