"""Retention: what the worker's pass drops, older than ``stats_retention_days``.

The trace ledger is pruned in a transaction of its own: on PostgreSQL dropping or creating a
partition locks the whole table, so that transaction stays short. It creates this week's and
next week's partitions ahead (live traffic then never waits on a CREATE), drops the weeks
wholly before the cutoff and deletes the boundary week's older rows. Never commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.journeys import keys

AHEAD = timedelta(days=7)  # the ledger partitions created ahead: this week's and the next


async def prune_ledger(session: AsyncSession, *, cutoff: datetime, now: datetime) -> int:
    """Drops the ledger's entries before ``cutoff``; returns the partitions (PostgreSQL) or
    rows (SQLite) dropped."""
    await keys.ensure_ledger_partitions(session, [now, now + AHEAD])
    return await keys.drop_ledger_before(session, cutoff)
