"""SQL for artifact bundles and their files."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.inserts import column_values, insert_unless_taken
from slo_scout.control.preconditions import Seen
from slo_scout.db.models import ArtifactBundle, ArtifactFile


async def get(session: AsyncSession, bundle_id: int) -> ArtifactBundle | None:
    return await session.get(ArtifactBundle, bundle_id)


async def next_version(session: AsyncSession, environment_id: int) -> int:
    current = await session.scalar(
        select(func.max(ArtifactBundle.version)).where(
            ArtifactBundle.environment_id == environment_id)
    )
    return int(current or 0) + 1


async def latest(session: AsyncSession, environment_id: int) -> ArtifactBundle | None:
    return await session.scalar(
        select(ArtifactBundle).where(ArtifactBundle.environment_id == environment_id)
        .order_by(ArtifactBundle.version.desc()).limit(1)
    )


async def add(session: AsyncSession, bundle: ArtifactBundle, files: dict[str, str],
              digests: dict[str, str]) -> ArtifactBundle | None:
    """Stores ``bundle`` (not yet in the session) and its files; None when its environment has
    a bundle of that version already: another render took the version since it was read."""
    bundle_id = await insert_unless_taken(session, ArtifactBundle, column_values(bundle),
                                          ("environment_id", "version"))
    if bundle_id is None:
        return None
    session.add_all(ArtifactFile(bundle_id=bundle_id, path=path, sha256=digests[path],
                                 content=text) for path, text in files.items())
    await session.flush()
    return await session.get(ArtifactBundle, bundle_id)


async def set_approved(session: AsyncSession, bundle_id: int, seen: Seen, approver: str,
                       now: datetime) -> bool:
    """Approves a proposed bundle in one conditional UPDATE, only while it is still the version
    (and status) the reviewer saw and proposed. False: another approval came first."""
    statement = update(ArtifactBundle).where(
        ArtifactBundle.id == bundle_id, ArtifactBundle.version == seen.version,
        ArtifactBundle.status == "proposed")
    if seen.status is not None:
        statement = statement.where(ArtifactBundle.status == seen.status)
    result = await session.execute(
        statement.values(status="approved", approved_by=approver, approved_at=now)
        .execution_options(synchronize_session=False))
    return cast(CursorResult[Any], result).rowcount == 1


async def files(session: AsyncSession, bundle_id: int) -> list[ArtifactFile]:
    rows = await session.scalars(
        select(ArtifactFile).where(ArtifactFile.bundle_id == bundle_id).order_by(ArtifactFile.path)
    )
    return list(rows)


async def file(session: AsyncSession, bundle_id: int, path: str) -> ArtifactFile | None:
    return await session.get(ArtifactFile, (bundle_id, path))


async def last_approved_before(session: AsyncSession, environment_id: int, version: int
                               ) -> ArtifactBundle | None:
    return await session.scalar(
        select(ArtifactBundle)
        .where(ArtifactBundle.environment_id == environment_id,
               ArtifactBundle.status == "approved", ArtifactBundle.version < version)
        .order_by(ArtifactBundle.version.desc())
        .limit(1)
    )


async def list_bundles(session: AsyncSession, environment_ids: Sequence[int], limit: int,
                       offset: int) -> tuple[list[ArtifactBundle], int]:
    query = select(ArtifactBundle).where(ArtifactBundle.environment_id.in_(environment_ids))
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(ArtifactBundle.id.desc()).limit(limit).offset(offset))
    return list(rows), int(total or 0)
