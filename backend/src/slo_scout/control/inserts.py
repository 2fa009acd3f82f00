"""INSERT ... ON CONFLICT DO NOTHING, on PostgreSQL and SQLite alike: a row, unless a unique key
of it is taken.

Two requests racing for one key (an SLO's name, a bundle's version) both pass a look-up made
first; the second INSERT then violates the unique constraint. Catching that error would leave
a PostgreSQL transaction aborted, so the loser could not even read who won; DO NOTHING leaves
it usable, and the service answers a Conflict (409), never a 500.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.db.dialect import insert_for
from slo_scout.db.models import Base


async def insert_unless_taken(
    session: AsyncSession, model: type[Base], values: Mapping[str, Any], key: Sequence[str]
) -> int | None:
    """The new row's id, or None when a row with the same ``key`` columns exists (committed by
    another transaction, which this INSERT waits for when it is still running)."""
    insert = insert_for(session)
    table = cast(Table, model.__table__)
    new_id: int | None = await session.scalar(
        insert(table).values(**values)
        .on_conflict_do_nothing(index_elements=list(key))
        .returning(table.c.id)
    )
    return new_id


def column_values(row: Base) -> dict[str, Any]:
    """The column values of a row not yet stored: its generated id, and columns left unset that
    have a default, left out (the INSERT applies the default)."""
    values = {}
    for column in row.__table__.columns:
        value = getattr(row, column.key)
        defaulted = column.default is not None or column.server_default is not None
        if column.key != "id" and not (value is None and defaulted):
            values[column.key] = value
    return values
