"""SQL for artifact bundles and their files."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.db.models import ArtifactBundle, ArtifactFile


async def get(session: AsyncSession, bundle_id: int) -> ArtifactBundle | None:
    return await session.get(ArtifactBundle, bundle_id)


async def next_version(session: AsyncSession, environment_id: int) -> int:
    current = await session.scalar(
        select(func.max(ArtifactBundle.version)).where(
            ArtifactBundle.environment_id == environment_id)
    )
    return int(current or 0) + 1


async def add(session: AsyncSession, bundle: ArtifactBundle, files: dict[str, str],
              digests: dict[str, str]) -> ArtifactBundle:
    session.add(bundle)
    await session.flush()
    session.add_all(ArtifactFile(bundle_id=bundle.id, path=path, sha256=digests[path],
                                 content=text) for path, text in files.items())
    await session.flush()
    return bundle


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
