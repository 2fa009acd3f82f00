"""Complete traces in, counted exactly once, merged into their environments' journeys.

The path every runtime's traffic takes once its traces are complete (API ingest after its
spans stopped arriving, the stream's writer at the end of a session window):

1. The core's catalog classifies them (``TraceBatch``): per structural key, mergeable
   statistics; traces whose root never arrived are fragments, counted apart, never journeys.
2. The trace ledger claims their ids; traces counted before (a resent upload, a replay after a
   restore) are left out (the rare batch that has some is classified again without them).
3. Keys are filed under their entry service's environment (a new service joins the team the
   caller names; a known one keeps its team) and merged there (``merge.merge_keys``).

Never commits: the ledger and the statistics commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from slo_scout.control.audit import ingest as audit
from slo_scout.control.catalog import repository as catalog_repo
from slo_scout.control.catalog.service import ensure_environment
from slo_scout.control.journeys import keys
from slo_scout.control.journeys.convert import minute_to_datetime
from slo_scout.control.journeys.fragments import record_fragments
from slo_scout.control.journeys.merge import merge_keys
from slo_scout.core.journeys import Journey, JourneyCatalog, Trace
from slo_scout.core.journeys.fragments import FragmentStats
from slo_scout.core.journeys.keystats import KeyStats


class MissingTeam(Exception):
    """Services seen for the first time, and no team named for them."""

    def __init__(self, services: list[str]) -> None:
        super().__init__(", ".join(services))
        self.services = services


@dataclass
class Recorded:
    traces: int = 0  # counted now
    spans: int = 0
    duplicates: int = 0  # counted before (ledger): not counted again
    journeys: int = 0  # journeys the recorded traffic belongs to
    new_journeys: list[Journey] = field(default_factory=list)
    minute_rows: int = 0
    services: list[str] = field(default_factory=list)
    fragments: list[FragmentStats] = field(default_factory=list)
    # older than the retention: not counted (the next retention pass would drop them)
    refused: list[tuple[str, datetime]] = field(default_factory=list)  # (trace id, minute)


_Entry = tuple[str, str | None, datetime]  # a ledger entry: trace id, journey key, minute


class TraceBatch:
    """Complete traces classified as they arrive: the catalog's per-key statistics and the
    ledger entries to claim. The traces themselves are not kept (a writer holding hundreds of
    call trees spent a fifth of its time in Python's garbage collector)."""

    def __init__(self) -> None:
        self.catalog = JourneyCatalog()
        self.entries: list[_Entry] = []

    def add(self, trace: Trace) -> None:
        key = self.catalog.add(trace)
        minute = minute_to_datetime(trace.root.start_ns // 1_000_000_000)
        self.entries.append((trace.trace_id, key, minute))

    def __len__(self) -> int:
        return len(self.entries)


# The complete traces of these ids again, for the rare batch of which some were counted before.
TracesOf = Callable[[set[str]], Iterable[Trace]]


async def record_traces(
    session: AsyncSession, traces: Sequence[Trace], *, environment: str, team: str | None,
    now: datetime, actor: str | None = None, not_before: datetime | None = None,
) -> Recorded:
    """Counts ``traces`` (complete) in the journeys of ``environment``."""
    batch = TraceBatch()
    for trace in traces:
        batch.add(trace)
    return await record_batch(
        session, batch, lambda ids: [t for t in traces if t.trace_id in ids],
        environment=environment, team=team, now=now, actor=actor, not_before=not_before)


async def record_batch(
    session: AsyncSession, batch: TraceBatch, traces_of: TracesOf, *, environment: str,
    team: str | None, now: datetime, actor: str | None = None,
    not_before: datetime | None = None,
) -> Recorded:
    """Counts a classified batch; a trace counted before (by id, whatever path it came by)
    is not counted again, nor one whose minute is before ``not_before`` (the retention's
    cutoff: its statistics would be dropped by the next retention pass). ``batch`` is left
    unchanged, so a failed transaction can be retried. Audited per team
    (``control.audit.ingest``); ``actor`` is whoever uploaded it, None for the system's own
    writers."""
    refused = ([(t, minute) for t, _, minute in batch.entries if minute < not_before]
               if not_before is not None else [])
    old = {t for t, _ in refused}
    await keys.lock_ledger(session, environment)
    claimed = await keys.claim(
        session, [e for e in batch.entries if e[0] not in old] if old else batch.entries, now)
    catalog = batch.catalog
    if len(claimed) < len(batch.entries):  # some counted before or refused: classify the rest
        catalog = JourneyCatalog()
        for trace in _once(traces_of(claimed)):
            catalog.add(trace)
    recorded = Recorded(traces=len(claimed), spans=catalog.spans,
                        duplicates=len({t for t, _, _ in batch.entries} - claimed - old),
                        fragments=catalog.fragments(), refused=refused)
    by_service: dict[str, list[KeyStats]] = {}
    for stats in catalog.key_stats():
        by_service.setdefault(stats.entry.service, []).append(stats)
    teams = await teams_of(session, sorted(by_service), team)
    before = await audit.existing(session, teams, environment)
    for service, deltas in sorted(by_service.items()):
        _, _, env = await ensure_environment(
            session, team=teams[service], service=service, environment=environment, now=now)
        merged = await merge_keys(session, env.id, deltas, now)
        mine = {merged.journey_of_key[stats.key_id] for stats in deltas}
        recorded.journeys += sum(1 for j in merged.journeys if j.id in mine)
        recorded.new_journeys.extend(merged.new_journeys)
        recorded.minute_rows += merged.minute_rows
    recorded.services = sorted(by_service)
    await record_fragments(session, recorded.fragments, environment=environment, team=team,
                           now=now)
    await audit.record_batch(
        session, actor=actor, environment=environment, teams=teams, before=before,
        traces={s: sum(d.requests for d in ds) for s, ds in by_service.items()},
        new_journeys=recorded.new_journeys, now=now)
    return recorded


def _once(traces: Iterable[Trace]) -> Iterator[Trace]:
    seen: set[str] = set()
    for trace in traces:
        if trace.trace_id not in seen:
            seen.add(trace.trace_id)
            yield trace


async def teams_of(session: AsyncSession, services: list[str], team: str | None) -> dict[str, str]:
    """entry service -> its team (known services keep theirs); raises when one has none."""
    teams: dict[str, str] = {}
    missing = []
    for name in services:
        found = await catalog_repo.get_service(session, name)
        if found is not None:
            teams[name] = (await catalog_repo.team_of_service(session, found.id)).name
        elif team is not None:
            teams[name] = team
        else:
            missing.append(name)
    if missing:
        raise MissingTeam(missing)
    return teams
