"""SQL for SLOs and their revisions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Update, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.inserts import column_values, insert_unless_taken
from slo_scout.control.preconditions import Seen
from slo_scout.db.models import Slo, SloRevision


async def get(session: AsyncSession, slo_id: int) -> Slo | None:
    return await session.get(Slo, slo_id)


async def current(session: AsyncSession, slo_id: int) -> Slo | None:
    """The row as the database holds it now, not as this session first loaded it."""
    return await session.scalar(
        select(Slo).where(Slo.id == slo_id).execution_options(populate_existing=True)
    )


async def _matched(session: AsyncSession, statement: Update) -> bool:
    # synchronize_session=False: the caller refreshes the one row it changed
    result = await session.execute(statement.execution_options(synchronize_session=False))
    return cast(CursorResult[Any], result).rowcount == 1


def _where_seen(statement: Update, slo_id: int, seen: Seen) -> Update:
    statement = statement.where(Slo.id == slo_id, Slo.version == seen.version)
    return statement if seen.status is None else statement.where(Slo.status == seen.status)


async def set_verdict(session: AsyncSession, slo_id: int, seen: Seen, status: str,
                      now: datetime) -> bool:
    """Approves or rejects a proposed SLO in one conditional UPDATE, only while it still is the
    version the reviewer saw and proposed. False: another review or an edit came first."""
    return await _matched(session, _where_seen(update(Slo), slo_id, seen)
                          .where(Slo.status == "proposed")
                          .values(status=status, updated_at=now))


class NameTaken(Exception):
    """A rename met the environment's unique SLO name: another request took it first."""


async def propose_edit(session: AsyncSession, slo_id: int, seen: Seen,
                       changes: Mapping[str, Any], actor: str, now: datetime) -> bool:
    """Writes an edit as the next version, proposed for review again, in one conditional UPDATE,
    only while the SLO still is the version the editor saw. False: another write came first.

    Two renames to one free name both pass the service's look-up; the unique (environment,
    name) key, the table's only one, stops the second UPDATE. It raises :class:`NameTaken`; the
    transaction is left to be rolled back (PostgreSQL has aborted it)."""
    try:
        return await _matched(session, _where_seen(update(Slo), slo_id, seen).values(
            **changes, status="proposed", version=Slo.version + 1, last_changed_by=actor,
            updated_at=now))
    except IntegrityError as exc:
        raise NameTaken from exc


async def by_name(session: AsyncSession, environment_id: int, name: str) -> Slo | None:
    return await session.scalar(
        select(Slo).where(Slo.environment_id == environment_id, Slo.name == name)
    )


async def add(session: AsyncSession, slo: Slo) -> Slo | None:
    """Stores ``slo`` (not yet in the session); None when its environment has an SLO of that
    name already (created by a request racing this one, after its look-up by name)."""
    slo_id = await insert_unless_taken(session, Slo, column_values(slo),
                                       ("environment_id", "name"))
    return None if slo_id is None else await session.get(Slo, slo_id)


async def add_revision(session: AsyncSession, revision: SloRevision) -> None:
    session.add(revision)
    await session.flush()


async def revisions(session: AsyncSession, slo_id: int) -> list[SloRevision]:
    rows = await session.scalars(
        select(SloRevision).where(SloRevision.slo_id == slo_id).order_by(SloRevision.id)
    )
    return list(rows)


async def list_slos(
    session: AsyncSession, *, environment_ids: Sequence[int], status: str | None, limit: int,
    offset: int,
) -> tuple[list[Slo], int]:
    query = select(Slo).where(Slo.environment_id.in_(environment_ids))
    if status is not None:
        query = query.where(Slo.status == status)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.order_by(Slo.id).limit(limit).offset(offset))
    return list(rows), int(total or 0)


async def of_environment(session: AsyncSession, environment_id: int, status: str) -> list[Slo]:
    rows = await session.scalars(
        select(Slo)
        .where(Slo.environment_id == environment_id, Slo.status == status)
        .order_by(Slo.name)
    )
    return list(rows)
