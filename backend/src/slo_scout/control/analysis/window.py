"""An analysis' window: ``lookback`` long, ending where the request said or, by default, at the
end of the environment's newest stored minute (recorded data is analysed where it lies, not at
the wall clock). A window without requests is an error that names the window and where the
environment's data is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.journeys import repository as journeys_repo
from slo_scout.core.errors import InsufficientDataError

MINUTE = timedelta(minutes=1)


class NoRequestsInWindow(InsufficientDataError):
    """The analysis window holds no stored request."""

    hint = "name an end within the stored data, or leave it out"


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    stored: tuple[datetime, datetime] | None  # the environment's oldest and newest minute

    def describe(self) -> str:
        return f"between {self.start.isoformat()} and {self.end.isoformat()}"

    def empty(self) -> NoRequestsInWindow:
        """The error for a window in which no request was found."""
        if self.stored is None:
            return NoRequestsInWindow(
                f"no requests {self.describe()}: the environment has no stored requests yet "
                "(ingest traces first: POST /api/v1/ingest/traces, or the stream)")
        first, last = self.stored
        return NoRequestsInWindow(
            f"no requests {self.describe()}: the environment's stored requests lie between "
            f"{first.isoformat()} and {(last + MINUTE).isoformat()}; name an end within them, "
            "or leave end out to end at the newest stored minute")


async def window_of(
    session: AsyncSession, environment_id: int, *, lookback_s: int, end: datetime | None,
) -> Window:
    stored = await journeys_repo.minutes_extent(session, environment_id)
    if end is None:
        if stored is None:
            raise NoRequestsInWindow(
                "no requests to analyse: the window ends at the environment's newest stored "
                "minute and it has none yet (ingest traces first: POST /api/v1/ingest/traces, "
                "or the stream)")
        end = stored[1] + MINUTE
    return Window(end - timedelta(seconds=lookback_s), end, stored)
