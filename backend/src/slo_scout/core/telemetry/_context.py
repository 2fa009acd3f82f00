"""How a decoder reports bad records: raise at once, or count and go on (``skip_invalid``).

Every decoder gets one :class:`Context`. A decoder catches a record's :class:`DecodeError` at the
smallest unit it can skip (a span, a JSON line, a framed message, a CSV row) and hands it to
:meth:`Context.bad`, which re-raises it unless the caller asked to skip invalid records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from slo_scout.core.errors import DecodeError


@dataclass
class DecodeReport:
    """What one decode saw: spans produced, bad records skipped, and the first problems."""

    MAX_PROBLEMS: ClassVar[int] = 100

    spans: int = 0
    bad_records: int = 0
    problems: list[DecodeError] = field(default_factory=list)

    def add_problem(self, error: DecodeError) -> None:
        # Every bad record is counted; only the first ones are kept so a file of garbage
        # cannot make the report grow with the input.
        self.bad_records += 1
        if len(self.problems) < self.MAX_PROBLEMS:
            self.problems.append(error)


@dataclass(slots=True)
class Context:
    source: str
    skip_invalid: bool
    report: DecodeReport

    def error(
        self, message: str, *, record: str | int | None = None, field: str | None = None
    ) -> DecodeError:
        return DecodeError(message, source=self.source, record=record, field=field)

    def bad(self, error: DecodeError) -> None:
        """Record a bad record, or raise it when the caller did not ask to skip."""
        if not self.skip_invalid:
            raise error
        self.report.add_problem(error)
