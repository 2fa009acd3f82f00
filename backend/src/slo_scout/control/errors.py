"""What the control layer refuses, as domain exceptions.

Services raise these and never know who called them; each runtime maps them to its own words
(the API to problem+json in ``api/problems.py``, a command to its exit code). The message is
safe to show the caller and says what to fix.
"""

from __future__ import annotations


class ControlError(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(ControlError):
    """``what`` names the missing thing, for example ``service 'checkout'``."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} does not exist")
        self.what = what


class Forbidden(ControlError):
    """The caller's role does not allow it."""


class Conflict(ControlError):
    """It conflicts with the current state (a name taken, a review already made).

    ``current_version`` and ``current_status``, when given, are what the thing is now: the
    caller re-reads it and decides again (its review or edit was of another version).
    """

    def __init__(self, detail: str, *, current_version: int | None = None,
                 current_status: str | None = None) -> None:
        super().__init__(detail)
        self.current_version = current_version
        self.current_status = current_status


class InvalidField(ControlError):
    """One field of the request is wrong in a way only the stored state can tell."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NothingToRender(ControlError):
    """An environment has no approved SLO that would make a bundle an SLO tool can load."""


class UpstreamFailed(ControlError):
    """A system the control plane called (a git remote, GitHub, GitLab) failed or refused; the
    detail names it and never carries a credential."""
