"""Every failure the core reports, with no transport codes.

Runtimes map these to their own answers (CLI exit codes, problem+json, OTLP partial success,
dead-letter topics). Each error says *where* (file, record, field) so a user can fix the input.
"""

from __future__ import annotations


class SloScoutError(Exception):
    """Base class of all core errors."""

    hint = "check the input"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DecodeError(SloScoutError):
    """Telemetry that cannot be read: names the source, the record and the field."""

    hint = "fix or skip the record (--skip-invalid)"

    def __init__(
        self,
        message: str,
        *,
        source: str = "<input>",
        record: str | int | None = None,
        field: str | None = None,
    ) -> None:
        self.source = source
        self.record = record
        self.field = field
        where = source
        if record is not None:
            where += f", record {record}"
        if field is not None:
            where += f", field '{field}'"
        super().__init__(f"{where}: {message}")
        self.reason = message


class UnknownFormatError(DecodeError):
    """The input's format could not be detected."""

    hint = "name the format with --format"


class SpecError(SloScoutError):
    """An SLO spec (Sloth, OpenSLO, Pyrra) that is invalid: names file, document and field."""

    hint = "fix the spec"

    def __init__(
        self,
        message: str,
        *,
        source: str = "<input>",
        document: int | None = None,
        field: str | None = None,
    ) -> None:
        self.source = source
        self.document = document
        self.field = field
        where = source
        if document is not None:
            where += f", document {document}"
        if field is not None:
            where += f", field '{field}'"
        super().__init__(f"{where}: {message}")
        self.reason = message


class InsufficientDataError(SloScoutError):
    """Too few events to recommend anything with confidence."""

    hint = "collect more traffic or widen the lookback"


class InflationLimitError(SloScoutError):
    """Compressed input that inflates past the caller's limit: a decompression bomb, or an
    input larger than the caller accepts. Decoding stopped there; nothing of it was kept."""

    hint = "send the input in smaller parts, or raise the inflation limit"

    def __init__(self, message: str, *, source: str = "<input>", limit: int) -> None:
        self.source = source
        self.limit = limit
        super().__init__(f"{source}: {message}")
        self.reason = message
