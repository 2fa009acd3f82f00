"""Requests grouped into journeys and variants, with per-journey statistics.

Journey identity (the rule, with its thresholds; docs/journeys.md explains the evidence):

1. **A named entry is a journey.** When the entry span names the request (an ``http.route``,
   an RPC method, a templated path such as ``ts-travel-service /api/v1/travelservice/trips/left``),
   the application itself says which request kind it served. Every downstream shape seen behind
   that entry is a *variant* of the journey: an early validation failure that stops after one call,
   a cache hit, a branch to an alternate backend (TrainTicket's ``inside_payment`` goes to
   ``ts-order-service`` or ``ts-order-other-service`` by train type: two disjoint call sets, one
   request kind).
2. **A generic entry is split by the work it causes.** When the entry says nothing (every request
   enters through one ``frontend HTTP POST`` or ``/api`` that fans out), the journey key is the
   entry plus its *direct calls*: the set of ``(service, operation)`` the entry's service calls on
   other services. Different direct calls mean different downstream work, however much the sets
   overlap (a product page and a home page both call currency and cart; one calls
   ``GetProduct``, the other ``ListProducts``: two journeys).
3. **Variants inside a journey**: anything deeper than the direct calls (a cache hit that skips
   the database below ``cart``, an optional fraud check below ``payment``) and repetition
   (a retried call: the fingerprint marks 1 call and 2+ calls differently) change the
   fingerprint, never the journey.
4. **Optional direct steps** (generic entries only). A request kind is identified by its *base*:
   the direct calls every request of the kind makes. An optional step (recommendations on a
   product page, ads on a home page, a loyalty call after checkout) shows as a key K = B + A
   next to an observed key B. K folds into B when all of these hold:

   a. **B is observed and not empty**, and B ⊂ K. A fold never invents a base; ``{}`` (a
      request that calls nothing) never absorbs anything.
   b. **No new operation of a service B already uses**: no call in A = K − B is to a service
      that B calls. Choosing another operation of the same service is different work
      (``cart GetCart`` vs ``cart AddItem``; ``catalog GetProduct`` vs ``catalog ListProducts``).
   c. **The shared calls are made the same way**: each call of B is usually repeated (in more
      than half of the requests) in K exactly when it is in B. An optional step leaves the rest
      of the request alone; a recommendations request that fetches four products is not a
      product page that fetches one.
   d. **The addition is small**: ``|A| ≤ |B| / 2``, i.e. the base is at least **two thirds**
      of K (:data:`MIN_BASE_SHARE`): two shared calls carry one optional step, four carry two.
      A one-call base never absorbs anything (one call is what many request kinds begin with;
      in practice a front end that makes one call is looked through, so such a base is a
      different entry, see ``entry.py``), and a bulk of new work on a small base (add to cart
      ``{GetProduct, AddItem}`` vs a checkout that also charges, ships and mails) stays apart.
      An optional step may call further (recommendations that read the catalog themselves).

   Among several eligible B the largest is taken (ties: the lowest id); folds chain
   transitively (every link is an observed key meeting the rule). The decision reads only the
   set of keys and their merged statistics, so it is independent of arrival order and of how
   catalogs were split and merged.

Ids: a key's id is the first 12 hex digits of the SHA-1 of its canonical text (entry, plus the
sorted direct calls for a generic entry); the key's full SHA-1 is the journey ``fingerprint``.
:meth:`JourneyCatalog.add` returns the key id, which never changes; a folded key's journey is
reported under its base's id (:meth:`JourneyCatalog.resolve`).

A request failed when its entry span is an error (OTLP status, HTTP 5xx, gRPC server codes, the
``error`` tag: decided by the decoder). Latency is the entry span's duration, in seconds, in a
DDSketch with 1% relative accuracy. Everything here merges exactly, so workers can each keep a
catalog and :meth:`JourneyCatalog.merge` them into what one pass would have produced.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Final

from slo_scout.core.journeys.critical_path import critical_path
from slo_scout.core.journeys.entry import find_entry, is_generic_entry
from slo_scout.core.journeys.fingerprint import (
    Shape,
    canonical_shape,
    direct_calls,
    shape_hash,
)
from slo_scout.core.journeys.fragments import FragmentStats, fragment_key
from slo_scout.core.journeys.keystats import KeyStats
from slo_scout.core.journeys.model import Entry, Journey, Trace, TraceNode
from slo_scout.core.journeys.naming import distinctive_calls, humanize, journey_name
from slo_scout.core.journeys.templating import template_operation

MIN_BASE_SHARE: Final = (2, 3)  # |B| / |K| >= 2/3, compared in integers
_PPB: Final = 1_000_000_000

_Call = tuple[str, str]
_Key = tuple[Entry, frozenset[_Call]]


def _key_parts(trace: Trace) -> tuple[TraceNode, Entry, frozenset[_Call]]:
    """The entry node, entry and direct calls (empty for a named entry) of ``trace``'s key."""
    node, entry = find_entry(trace)
    if not is_generic_entry(entry):
        return node, entry, frozenset()
    return node, entry, frozenset(direct_calls(canonical_shape(node)))


def key_text(entry: Entry, direct: frozenset[_Call]) -> str:
    text = f"{entry.protocol}|{entry.service}|{entry.method or ''}|{entry.operation}"
    if direct or is_generic_entry(entry):
        text += "|" + ",".join(f"{service} {op}" for service, op in sorted(direct))
    return text


class JourneyCatalog:
    """Accumulates traces into journey keys; :meth:`journeys` folds and names them."""

    def __init__(self) -> None:
        self._keys: dict[_Key, KeyStats] = {}
        self._fragments: dict[tuple[str, str], FragmentStats] = {}
        self.traces = 0
        self.spans = 0
        self.incomplete_traces = 0
        self.problems: Counter[str] = Counter()
        self._parent: dict[str, str] | None = None  # rule 4's folds, until the next change

    def add(self, trace: Trace) -> str | None:
        """Account ``trace`` to its journey key; returns the key's stable id.

        A fragment (its root never arrived, see ``fragments.py``) is counted apart and has no
        key: ``None``.
        """
        self.traces += 1
        self.spans += trace.span_count
        if trace.incomplete:
            self.incomplete_traces += 1
        if trace.problems:
            self.problems.update({problem.split(":", 1)[0] for problem in trace.problems})
        if trace.fragment:
            where = fragment_key(trace)
            fragment = self._fragments.get(where)
            if fragment is None:
                fragment = self._fragments[where] = FragmentStats(*where)
            fragment.record(trace)
            return None
        self._parent = None
        node, entry = find_entry(trace)
        shape = canonical_shape(node)
        generic = is_generic_entry(entry)
        calls = direct_calls(shape) if generic else {}
        key: _Key = (entry, frozenset(calls))
        stats = self._keys.get(key)
        if stats is None:
            full = hashlib.sha1(key_text(entry, key[1]).encode()).hexdigest()
            stats = KeyStats(
                key_id=full[:12], fingerprint=full, entry=entry, generic=generic, direct=key[1]
            )
            self._keys[key] = stats
        shares = _critical_shares(trace)
        stats.record(trace, node, shape, shape_hash(shape), shares)
        return stats.key_id

    def key_of(self, trace: Trace) -> str:
        """The key id :meth:`add` would return for ``trace``, recording nothing.

        A named entry's key needs no canonical shape; a generic one's needs the direct calls.
        """
        _, entry, direct = _key_parts(trace)
        stats = self._keys.get((entry, direct))
        if stats is not None:
            return stats.key_id
        return hashlib.sha1(key_text(entry, direct).encode()).hexdigest()[:12]

    def merge(self, other: JourneyCatalog) -> None:
        """Fold ``other``'s traffic into this catalog (``other`` is left unchanged)."""
        self._parent = None
        self.traces += other.traces
        self.spans += other.spans
        self.incomplete_traces += other.incomplete_traces
        self.problems.update(other.problems)
        for theirs in other._keys.values():
            self.add_key(theirs)
        for where, fragment in other._fragments.items():
            mine_fragment = self._fragments.get(where)
            if mine_fragment is None:
                mine_fragment = self._fragments[where] = FragmentStats(*where)
            mine_fragment.merge(fragment)

    def add_key(self, theirs: KeyStats) -> None:
        """Merge one key's accumulated statistics (a copy; ``theirs`` is left unchanged).

        How the stored runtimes rebuild an environment's catalog from its per-key rows: the
        folding and naming that :meth:`journeys` then does are the same as for one pass.
        """
        self._parent = None
        key: _Key = (theirs.entry, theirs.direct)
        mine = self._keys.get(key)
        if mine is None:
            self._keys[key] = theirs.copy()
        else:
            mine.merge(theirs)

    def key_stats(self) -> list[KeyStats]:
        """Every key's accumulator (owned by the catalog: copy before changing), by id."""
        return sorted(self._keys.values(), key=lambda stats: stats.key_id)

    def fragments(self) -> list[FragmentStats]:
        """Fragments by where they start, most traces first."""
        return sorted(self._fragments.values(), key=lambda f: (-f.traces, f.label))

    def _bases(self) -> dict[str, str]:
        """Key id -> id of the key it folds into (rule 4), for generic entries only."""
        if self._parent is None:
            by_entry: dict[Entry, list[KeyStats]] = {}
            for stats in self._keys.values():
                if stats.generic:
                    by_entry.setdefault(stats.entry, []).append(stats)
            self._parent = {}
            for members in by_entry.values():
                self._parent.update(fold_optional_steps(members))
        return self._parent

    def resolve(self, key_id: str) -> str:
        """The id of the journey a key belongs to (its own id unless it was folded)."""
        parent = self._bases()
        while key_id in parent:
            key_id = parent[key_id]
        return key_id

    def journeys(self) -> list[Journey]:
        """All journeys, most requests first (then by name)."""
        parent = self._bases()
        groups: dict[str, list[KeyStats]] = {}
        for stats in self._keys.values():
            root = stats.key_id
            while root in parent:
                root = parent[root]
            groups.setdefault(root, []).append(stats)
        base_of = {stats.key_id: stats for stats in self._keys.values()}
        seen = [stats for stats in self._keys.values() if stats.requests]
        window_ns = (
            max(s.last_ns for s in seen) - min(s.first_ns for s in seen) if seen else 0
        )
        families = _generic_families(groups)
        journeys: list[Journey] = []
        for root_id, members in groups.items():
            base = base_of[root_id]
            members.sort(key=lambda s: s.key_id != root_id)
            combined = members[0].copy() if len(members) > 1 else members[0]
            for extra in members[1:]:
                combined.merge(extra)
            callees = combined.direct_services()
            if base.generic:
                family = families[base.entry]
                siblings = [calls for key, calls in family.items() if key != root_id]
                picked = distinctive_calls(family[root_id], siblings)
                purpose = " + ".join(humanize(op) for _, op in picked) or "no downstream calls"
            else:
                purpose = humanize(base.entry.operation)
            name = journey_name(base.entry, purpose, callees)
            journeys.append(combined.to_journey(root_id, base.fingerprint, name, window_ns))
        journeys.sort(key=lambda j: (-j.requests, j.name, j.id))
        return journeys


def _services(calls: frozenset[_Call]) -> set[str]:
    return {service for service, _ in calls}


def _usually_repeated(stats: KeyStats) -> frozenset[_Call]:
    """Direct calls made 2+ times in more than half of the key's requests."""
    counts: Counter[_Call] = Counter()
    for variant in stats.variants.values():
        counts.update({call: variant.requests for call in repeated_direct_calls(variant.shape)})
    return frozenset(call for call, requests in counts.items() if 2 * requests > stats.requests)


def fold_optional_steps(members: list[KeyStats]) -> dict[str, str]:
    """Rule 4 over the keys of one generic entry: key id -> id of the base it folds into."""
    repeated = {stats.key_id: _usually_repeated(stats) for stats in members}
    share_num, share_den = MIN_BASE_SHARE
    parent: dict[str, str] = {}
    for stats in members:
        direct = stats.direct
        best: tuple[int, str] | None = None
        for base in members:
            shared = base.direct
            if not shared or not shared < direct:
                continue
            added = direct - shared
            if _services(added) & _services(shared):
                continue
            if repeated[stats.key_id] & shared != repeated[base.key_id]:
                continue
            if share_den * len(shared) < share_num * len(direct):
                continue
            candidate = (-len(shared), base.key_id)
            if best is None or candidate < best:
                best = candidate
        if best is not None:
            parent[stats.key_id] = best[1]
    return parent


def _generic_families(
    groups: dict[str, list[KeyStats]],
) -> dict[Entry, dict[str, frozenset[_Call]]]:
    """Per generic entry: each of its journeys (by id) and the direct calls its keys make."""
    families: dict[Entry, dict[str, frozenset[_Call]]] = {}
    for root_id, members in groups.items():
        if members[0].generic:
            calls = frozenset(call for member in members for call in member.direct)
            families.setdefault(members[0].entry, {})[root_id] = calls
    return families


def repeated_direct_calls(shape: Shape) -> set[_Call]:
    """Direct calls (as in :func:`direct_calls`) the entry's service makes 2+ times."""
    service = shape[0]
    seen: Counter[_Call] = Counter()
    stack = list(shape[3])
    while stack:
        node = stack.pop()
        if node[0] == service:
            stack.extend(node[3])
            continue
        seen[(node[0], node[1])] += 2 if node[2] else 1
    return {call for call, times in seen.items() if times >= 2}


def _critical_shares(trace: Trace) -> dict[_Call, int]:
    """Each step's share of this trace's critical path, in parts per billion."""
    self_time: dict[_Call, int] = {}
    total = 0
    for node, nanos in critical_path(trace):
        step = (node.span.service, template_operation(node.span.name))
        self_time[step] = self_time.get(step, 0) + nanos
        total += nanos
    if total <= 0:
        return {}
    return {step: nanos * _PPB // total for step, nanos in self_time.items()}
