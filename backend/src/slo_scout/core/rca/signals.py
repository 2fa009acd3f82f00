"""The signals, each a list of :class:`Evidence` scored as a surprise against the baseline.

Every signal compares the incident window with a baseline of the same system and asks one
question with a tail probability, so no signal needs a threshold tuned to a system. Where a
service's finding is the strongest of m tests (its operations, templates or directions), the
surprise is less ``log10 m`` (Bonferroni): more tests are more chances to look surprising.

- :func:`error_origins`: where errors start in the call tree. A span fails when it carries an
  error status or an error log line names it; the deepest failing spans (no failing span below
  them) are the origins. Count per service against the baseline's origin rate (Poisson).
- :func:`latency_shifts`: per service and operation, the share of traces whose exclusive time
  (duration minus the time children cover) exceeds the baseline's median (or p75, p90, p95;
  binomial against the baseline's own share above it, the strongest of the four). Exclusive
  time keeps a slow callee from making every caller look slow. One sample per trace (its
  slowest such span): a request's spans are not independent draws.
  :func:`slo_scout.core.rca.analysis.investigate` keeps these only for services whose
  critical-path time moved too (off the critical path, no SLO burns of it).
  A caller-side span with a remote server child (:func:`wire_spans`) is no sample: its time
  outside the child is the wire's, scored by ``network``.
- :func:`critical_path_shifts`: per service, the same test on its time on each trace's critical
  path (the wire's segments left out): a service that newly holds up requests.
- :func:`network_shifts`: the wire time of calls (a caller-side span less its one remote
  server span). Each edge (caller -> callee) goes to the end whose pod is late, by how far in
  time the caller's own inbound edges moved; a service's finding is the same test on the calls
  of the edges it holds, pooled.
- :func:`template_shifts`: per service, operation and log template, the share of the traces
  running that operation whose span wrote the template, against the baseline's share
  (binomial, both tails): new templates, surges, and templates that stopped (a method that now
  returns early). The recent past joins the baseline for ordinary templates, which are counted
  in the traces where the service did not fail (a service failing more or less often takes
  another path); error templates count only when they rise.
- :func:`calls_stopped`: per service, operation and the calls it makes (its spans' direct
  children, by name), the share of the traces running the operation in which it made the call,
  against the baseline's share (binomial lower tail): an operation that returns early (an
  exception, a wrong value) stops making the calls after that point, with or without a status
  on any span. One sample per trace; the caller, whose behaviour changed, is the suspect.
- :func:`metric_shifts`: per service and metric, the robust z-score of the incident's highest
  value against the baseline band, as a surprise by Cantelli's bound (any distribution), less
  ``log10`` of the samples looked at. Each kind of metric (cpu, memory, network, latency) is its
  own signal (``metric_cpu``...), since a CPU hog moves one of them, not all.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Final

from slo_scout.core.journeys.assembly import assemble
from slo_scout.core.journeys.critical_path import critical_path
from slo_scout.core.rca.model import Evidence, FaultKind, LogRecord, MetricSample
from slo_scout.core.rca.stats import (
    binomial_lower,
    binomial_upper,
    cantelli_upper,
    median,
    poisson_upper,
    quantile,
    robust_z,
)
from slo_scout.core.telemetry.model import Span

# A slower step or a delay on the wire moves the whole distribution of times: it shows above
# the baseline's median where the baseline's own tail reaches further than the shift, above
# its p95 where it does not. The times tests take the strongest of these thresholds, less
# log10 of how many (a sup over thresholds, as in higher criticism): a small shift in many
# requests is strong above the median, a large one in the same requests above the p90.
_SHIFT_QUANTILES: Final = (0.5, 0.75, 0.9, 0.95)


def _failing_ids(spans: Sequence[Span], logs: Iterable[LogRecord]) -> set[str]:
    failing = {s.span_id for s in spans if s.error}
    failing.update(r.span_id for r in logs if r.error and r.span_id)
    return failing


def origin_counts(
    spans: Sequence[Span], logs: Sequence[LogRecord]
) -> tuple[Counter[str], dict[str, Counter[str]]]:
    """Per service: how many deepest failing spans it holds, and per operation of those."""
    failing = _failing_ids(spans, logs)
    by_id = {s.span_id: s for s in spans}
    has_failing_below: set[str] = set()
    for span_id in failing:
        span = by_id.get(span_id)
        seen = 0
        while span is not None and span.parent_id and seen < 1000:
            if span.parent_id in has_failing_below:
                break
            has_failing_below.add(span.parent_id)
            span = by_id.get(span.parent_id)
            seen += 1
    per_service: Counter[str] = Counter()
    per_op: dict[str, Counter[str]] = defaultdict(Counter)
    for span_id in failing - has_failing_below:
        span = by_id.get(span_id)
        if span is not None:
            per_service[span.service] += 1
            per_op[span.service][span.name] += 1
    # An error line that names no known span still says its service failed.
    for record in logs:
        if record.error and (not record.span_id or record.span_id not in by_id):
            per_service[record.service] += 1
    return per_service, per_op


def _spans_per_service(spans: Iterable[Span]) -> Counter[str]:
    return Counter(s.service for s in spans)


def error_origins(
    incident_spans: Sequence[Span],
    incident_logs: Sequence[LogRecord],
    baseline_spans: Sequence[Span],
    baseline_logs: Sequence[LogRecord],
) -> list[Evidence]:
    now, now_ops = origin_counts(incident_spans, incident_logs)
    before, _ = origin_counts(baseline_spans, baseline_logs)
    exposure_now = _spans_per_service(incident_spans)
    exposure_before = _spans_per_service(baseline_spans)
    found = []
    for service, count in now.items():
        # Half an origin of prior: a service never seen failing is not infinitely surprising.
        rate = (before[service] + 0.5) / (exposure_before[service] + 1)
        expected = rate * max(exposure_now[service], 1)
        surprise = poisson_upper(count, expected)
        if surprise <= 0:
            continue
        op = now_ops[service].most_common(1)[0][0] if now_ops[service] else None
        found.append(Evidence(
            "error_origin", service, op, "code", surprise,
            f"{count} deepest failing spans or error lines (expected {expected:.1f} "
            f"from the baseline's {before[service]} in {exposure_before[service]} spans)",
        ))
    return found


def exclusive_times(spans: Sequence[Span]) -> list[tuple[Span, int]]:
    """Each span with its duration less the time its children cover (their union)."""
    children: dict[tuple[str, str], list[Span]] = defaultdict(list)
    for span in spans:
        if span.parent_id:
            children[(span.trace_id, span.parent_id)].append(span)
    out = []
    for span in spans:
        start, end = span.start_ns, span.end_ns
        covered = 0
        cursor = start
        kids = children.get((span.trace_id, span.span_id), ())
        for child in sorted(kids, key=lambda c: c.start_ns):
            lo, hi = max(child.start_ns, cursor), min(child.end_ns, end)
            if hi > lo:
                covered += hi - lo
                cursor = hi
        out.append((span, max(0, end - start - covered)))
    return out


def _tail_test(
    now: dict[tuple[str, str | None], list[float]],
    before: dict[tuple[str, str | None], list[float]],
    signal: str,
    what: str,
) -> list[Evidence]:
    """Per key, the share of ``now`` above a quantile of the baseline against the baseline's
    own share above it (binomial upper tail): the strongest over ``_SHIFT_QUANTILES``, less
    ``log10`` of how many, and less ``log10`` of the service's keys."""
    found = []
    # the strongest of a service's m operations (or directions): discount the m chances
    tests = Counter(service for service, _ in now if before.get((service, _)))
    for key, values in now.items():
        base = sorted(before.get(key, ()))
        if not base:
            continue
        best: tuple[float, float, float, int, float] | None = None
        for q in _SHIFT_QUANTILES:
            limit = quantile(base, q)
            above_before = sum(1 for v in base if v > limit)
            p = (above_before + 1) / (len(base) + 2)
            above = sum(1 for v in values if v > limit)
            surprise = binomial_upper(above, len(values), p)
            if best is None or surprise > best[0]:
                best = (surprise, limit, p, above, q)
        assert best is not None
        surprise, limit, p, above, q = best
        service, op = key
        surprise -= math.log10(tests[service] * len(_SHIFT_QUANTILES))
        if surprise <= 0:
            continue
        median_now = sorted(values)[len(values) // 2]
        found.append(Evidence(
            signal, service, op, "latency", surprise,
            f"{above} of {len(values)} {what} above the baseline p{round(100 * q)} "
            f"{limit / 1e6:.1f} ms (expected {p * len(values):.1f}); "
            f"median now {median_now / 1e6:.1f} ms, "
            f"before {base[len(base) // 2] / 1e6:.1f} ms",
        ))
    return found


def latency_shifts(
    incident_spans: Sequence[Span], baseline_spans: Sequence[Span]
) -> list[Evidence]:
    def samples(spans: Sequence[Span]) -> dict[tuple[str, str | None], list[float]]:
        # One sample per trace (its slowest such span): spans of one request are not
        # independent draws, and counting each would overstate the evidence.
        worst: dict[tuple[str, str, str], float] = {}
        wire = wire_spans(spans)
        for span, exclusive in exclusive_times(spans):
            if (span.trace_id, span.span_id) in wire:
                continue  # its time outside the callee is the wire's (``network``), not its own
            key = (span.trace_id, span.service, span.name)
            worst[key] = max(worst.get(key, 0.0), float(exclusive))
        out: dict[tuple[str, str | None], list[float]] = defaultdict(list)
        for (_trace, service, name), value in worst.items():
            out[(service, name)].append(value)
        return out

    return _tail_test(samples(incident_spans), samples(baseline_spans), "latency",
                      "spans' exclusive times")


# Kinds of span whose time outside their one remote child is wire time: a client span, or one
# of unknown kind (span tables without a kind column). A server span's is its own work.
_CALLER_KINDS: Final = frozenset({"client", "unspecified"})


def remote_calls(spans: Sequence[Span]) -> list[tuple[Span, Span]]:
    """(caller-side span, the callee's server span) of every call seen from both ends.

    The caller-side span is a client span (or one of unknown kind) with one child, in another
    service; its duration less that child's is the time on the wire, both ways.
    """
    children: dict[tuple[str, str], list[Span]] = defaultdict(list)
    for span in spans:
        if span.parent_id:
            children[(span.trace_id, span.parent_id)].append(span)
    out = []
    for span in spans:
        if span.kind not in _CALLER_KINDS:
            continue
        kids = children.get((span.trace_id, span.span_id), [])
        if len(kids) == 1 and kids[0].service != span.service:
            out.append((span, kids[0]))
    return out


def wire_spans(spans: Sequence[Span]) -> set[tuple[str, str]]:
    """(trace, span id) of the caller-side spans of :func:`remote_calls`.

    Their time outside the callee is the network's, scored by :func:`network_shifts`; counted as
    the caller's own time (exclusive time, critical path), a delay on the wire into a service
    would make its caller look slow. A client span without a remote server child (a database,
    an uninstrumented callee) keeps its time: that is the callee's work seen from the caller.
    """
    return {(span.trace_id, span.span_id) for span, _ in remote_calls(spans)}


def edge_wire_times(spans: Sequence[Span]) -> dict[tuple[str, str], list[float]]:
    """Per edge (caller service, callee service), each trace's largest wire time on it."""
    worst: dict[tuple[str, str, str], float] = {}
    for span, server in remote_calls(spans):
        key = (span.trace_id, span.service, server.service)
        worst[key] = max(worst.get(key, 0.0), float(max(0, span.duration_ns - server.duration_ns)))
    out: dict[tuple[str, str], list[float]] = defaultdict(list)
    for (_trace, caller, callee), value in worst.items():
        out[(caller, callee)].append(value)
    return out


def network_shifts(
    incident_spans: Sequence[Span], baseline_spans: Sequence[Span]
) -> tuple[list[Evidence], set[str]]:
    """Services whose calls' wire times moved, and the services tested.

    A delay at one pod moves every edge (caller -> callee) it touches by about the delay,
    whichever way it is applied: on its ingress (the requests into it, the responses it waits
    for) or, as ChaosMesh's NetworkChaos does, on its egress (its responses, and its own
    requests too). So each edge with calls in both windows is first given to the end that
    explains it: to the caller when the caller's own inbound edges moved by at least half as
    much in time (its pod is late, both ways), else to the callee. A service's finding pools
    the calls of the edges it holds (those into it that are its own, and those it sends late):
    the share of them whose wire time is above its edge's baseline median (or p75, p90, p95),
    against the baseline's own share (binomial upper tail, the strongest, as ``_tail_test``).
    Pooled, a service whose every edge moved by a few milliseconds stands out however its calls
    spread over edges; one moved edge among many quiet ones is diluted by them.
    """
    now, before = edge_wire_times(incident_spans), edge_wire_times(baseline_spans)
    edges = sorted(edge for edge in now if before.get(edge))
    # How far each edge moved, in time: a delay moves every edge it touches by about itself,
    # however many calls each edge carried.
    shift = {edge: median(now[edge]) - median(before[edge]) for edge in edges}
    inbound: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for edge in edges:
        inbound[edge[1]].append(edge)

    def moved_into(service: str) -> float:
        into = inbound.get(service, ())
        return median([shift[e] for e in into]) if into else 0.0

    held: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for edge in edges:
        caller, callee = edge
        if shift[edge] > 0 and moved_into(caller) >= shift[edge] / 2:
            held[caller].append(edge)
        else:
            held[callee].append(edge)
    # Per edge and quantile: (calls above the baseline's quantile, calls, expected share).
    counts: dict[tuple[tuple[str, str], float], tuple[int, int, float]] = {}
    for edge in edges:
        base = sorted(before[edge])
        for q in _SHIFT_QUANTILES:
            limit = quantile(base, q)
            p = (sum(1 for v in base if v > limit) + 1) / (len(base) + 2)
            counts[(edge, q)] = (sum(1 for v in now[edge] if v > limit), len(now[edge]), p)
    chances = math.log10(len(_SHIFT_QUANTILES))
    found = []
    for service, mine in sorted(held.items()):
        best = (0.0, 0.0, 0, 0, 0.0)
        for q in _SHIFT_QUANTILES:
            above = sum(counts[(e, q)][0] for e in mine)
            calls = sum(counts[(e, q)][1] for e in mine)
            expected = sum(counts[(e, q)][1] * counts[(e, q)][2] for e in mine)
            surprise = binomial_upper(above, calls, expected / calls) - chances
            if surprise > best[0]:
                best = (surprise, q, above, calls, expected)
        surprise, q, above, calls, expected = best
        if surprise <= 0:
            continue
        top = max(mine, key=lambda e: (shift[e], e))
        found.append(Evidence(
            "network", service, None, "network", surprise,
            f"{above} of {calls} traces' wire times above their edge's baseline "
            f"p{round(100 * q)} (expected {expected:.1f}) on the {len(mine)} edges into it or "
            f"sent late by it; most on {top[0]} -> {top[1]}: median "
            f"{median(now[top]) / 1e6:.1f} ms, before {median(before[top]) / 1e6:.1f} ms",
        ))
    return found, set(inbound)


def _by_trace(spans: Iterable[Span]) -> dict[str, list[Span]]:
    traces: dict[str, list[Span]] = defaultdict(list)
    for span in spans:
        traces[span.trace_id].append(span)
    return traces


def critical_path_times(spans: Sequence[Span]) -> dict[tuple[str, str | None], list[float]]:
    """Per service: its nanoseconds on the critical path of each trace it appears in."""
    out: dict[tuple[str, str | None], list[float]] = defaultdict(list)
    for trace_id, members in _by_trace(spans).items():
        per_service: Counter[str] = Counter()
        wire = wire_spans(members)
        for node, ns in critical_path(assemble(trace_id, members)):
            # A caller-side span's own segments on the path are the wire's, not the caller's.
            if (trace_id, node.span.span_id) not in wire:
                per_service[node.span.service] += ns
        for service in {s.service for s in members}:
            out[(service, None)].append(float(per_service[service]))
    return out


def critical_path_shifts(
    incident_spans: Sequence[Span], baseline_spans: Sequence[Span]
) -> list[Evidence]:
    return _tail_test(critical_path_times(incident_spans), critical_path_times(baseline_spans),
                      "critical_path", "traces' critical-path times")


def _template_counts(
    logs: Sequence[LogRecord], spans: Sequence[Span],
    failing: frozenset[tuple[str, str]] = frozenset(),
) -> tuple[Counter[tuple[str, str | None, str]], Counter[tuple[str, str | None]]]:
    """Occurrences per (service, operation, template), and the exposure per (service, operation).

    A line linked to a known span is judged against the traces that ran that operation, and
    counts once per trace: the spans of one request repeat each other (one train type, one
    user), so counting spans would overstate the evidence. A template is new only where the
    operation ran in the baseline without it, so a change of workload (operations the baseline
    never saw) is no evidence. Lines linked to no span count per line against the service's
    unlinked lines. ``failing`` (trace, service) pairs are left out, lines and exposure alike.
    """
    by_id = {s.span_id: s for s in spans}
    exposure: Counter[tuple[str, str | None]] = Counter(
        {key: len(ids) for key, ids in _traces_per_operation(spans, failing).items()}
    )
    seen: set[tuple[str, str, str | None, str]] = set()
    counts: Counter[tuple[str, str | None, str]] = Counter()
    for record in logs:
        if record.trace_id and (record.trace_id, record.service) in failing:
            continue
        span = by_id.get(record.span_id) if record.span_id else None
        if span is None:
            counts[(record.service, None, record.template)] += 1
            exposure[(record.service, None)] += 1
            continue
        key = (span.trace_id, span.service, span.name, record.template)
        if key not in seen:
            seen.add(key)
            counts[(span.service, span.name, record.template)] += 1
    return counts, exposure


def _traces_per_operation(
    spans: Iterable[Span], failing: frozenset[tuple[str, str]] = frozenset()
) -> dict[tuple[str, str | None], set[str]]:
    out: dict[tuple[str, str | None], set[str]] = defaultdict(set)
    for span in spans:
        if (span.trace_id, span.service) not in failing:
            out[(span.service, span.name)].add(span.trace_id)
    return out


def _failing(spans: Iterable[Span], logs: Iterable[LogRecord]) -> frozenset[tuple[str, str]]:
    """(trace, service) pairs in which the service failed: a span of its with an error status,
    or an error line of its."""
    failed = {(s.trace_id, s.service) for s in spans if s.error}
    failed.update((r.trace_id, r.service) for r in logs if r.error and r.trace_id)
    return frozenset(failed)


def template_shifts(
    incident_logs: Sequence[LogRecord],
    incident_spans: Sequence[Span],
    baseline_logs: Sequence[LogRecord],
    baseline_spans: Sequence[Span],
    recent_logs: Sequence[LogRecord] = (),
    recent_spans: Sequence[Span] = (),
) -> list[Evidence]:
    """New, surged and stopped templates per service and operation (see the module's doc).

    ``recent_*`` (just before the burn, not known to be fault-free) join the baseline for
    ordinary templates, whose shares follow the workload's request data; a template ever
    logged at error level is judged against the fault-free baseline alone.

    Ordinary templates are counted in the traces where the service did not fail, in both
    windows: a service that fails more or less often than before takes another path
    through its code, and the lines of that path would rise or stop with the failures. Its
    errors are judged by the error templates (and ``error_origin``); what is left is a change
    in how its requests that succeed run.
    """
    windows = ((incident_logs, incident_spans), (baseline_logs, baseline_spans),
               (recent_logs, recent_spans))
    every = [_template_counts(logs, spans) for logs, spans in windows]
    succeeding = [_template_counts(logs, spans, _failing(spans, logs)) for logs, spans in windows]
    errors = {r.template for r in (*incident_logs, *baseline_logs, *recent_logs) if r.error}

    def counts_of(key: tuple[str, str | None, str]) -> tuple[int, int, int, int]:
        """(count now, trials now, count before, trials before)."""
        op = (key[0], key[1])
        if key[2] in errors:
            (now, trials), (before, base), _ = every
            return now[key], trials[op], before[key], base[op]
        (now, trials), (before, base), (recent, more) = succeeding
        return now[key], trials[op], before[key] + recent[key], base[op] + more[op]

    # A template is new against what the service logged before: a service with no line in the
    # baseline (its logs not collected then, or its logger off) would make every line look new.
    logged_before = {r.service for r in (*baseline_logs, *recent_logs)}
    tested = [key for key in set().union(*(counts for counts, _ in every))
              if key[0] in logged_before and counts_of(key)[1] and counts_of(key)[3]]
    # The strongest of m tests of one service: discount the m chances (Bonferroni), as the
    # metric signal discounts the samples it looked at.
    tests = Counter(service for service, _, _ in tested)
    found = []
    for key in tested:
        service, op, template = key
        count, trials, count_before, base = counts_of(key)
        p = (count_before + 0.5) / (base + 1)
        up = binomial_upper(count, trials, p)
        # Fewer errors cannot burn an SLO: a service that fails less is recovering.
        down = binomial_lower(count, trials, p) if count_before and template not in errors \
            else 0.0
        surprise = max(up, down) - math.log10(tests[service])
        if surprise <= 0:
            continue
        if up >= down:
            change = "new" if count_before == 0 else f"surged from {count_before} of {base}"
        else:
            change = f"fell from {count_before} of {base}"
        level = "error template" if template in errors else "template"
        found.append(Evidence(
            "log_template", service, op, "code", surprise,
            f"{level} {change}: now {count} of {trials}: {template[:160]}",
        ))
    return found


def _call_shares(spans: Sequence[Span], failing: frozenset[tuple[str, str]]
                 ) -> tuple[Counter[tuple[str, str, str]], Counter[tuple[str, str]]]:
    """Traces in which each (service, operation) called each name, and traces running it,
    leaving out the ``failing`` (trace, service) pairs."""
    by_id = {(s.trace_id, s.span_id): s for s in spans}
    called: set[tuple[str, str, str, str]] = set()
    for span in spans:
        parent = by_id.get((span.trace_id, span.parent_id)) if span.parent_id else None
        if parent is not None and (span.trace_id, parent.service) not in failing:
            called.add((span.trace_id, parent.service, parent.name, span.name))
    calls: Counter[tuple[str, str, str]] = Counter((svc, op, name)
                                                   for _t, svc, op, name in called)
    runs: Counter[tuple[str, str]] = Counter(
        {(svc, op): len(ids) for (svc, op), ids in _traces_per_operation(spans, failing).items()
         if op is not None}
    )
    return calls, runs


def calls_stopped(
    incident_spans: Sequence[Span], baseline_spans: Sequence[Span],
    incident_logs: Sequence[LogRecord] = (), baseline_logs: Sequence[LogRecord] = (),
) -> tuple[list[Evidence], set[str]]:
    """Calls an operation makes far less often than in the baseline, and the services tested.

    Only the lower tail: a call made more often is a change of workload (another branch taken),
    not a method returning early. Counted in the traces where the service did not fail (a
    status or an error line), in both windows: a service that fails shows in ``error_origin``,
    and one that fails less than before stops calling its error handling, which no fault does.
    """
    now, runs_now = _call_shares(incident_spans, _failing(incident_spans, incident_logs))
    before, runs_before = _call_shares(baseline_spans, _failing(baseline_spans, baseline_logs))
    tested = [key for key in before if runs_now[(key[0], key[1])]]
    tests = Counter(service for service, _, _ in tested)
    found = []
    for key in tested:
        service, op, name = key
        trials, base = runs_now[(service, op)], runs_before[(service, op)]
        p = (before[key] + 0.5) / (base + 1)
        surprise = binomial_lower(now[key], trials, p) - math.log10(tests[service])
        if surprise <= 0:
            continue
        found.append(Evidence(
            "calls_stopped", service, op, "code", surprise,
            f"called {name} in {now[key]} of {trials} traces running {op} "
            f"(before {before[key]} of {base})",
        ))
    return found, set(tests)


def metric_shifts(
    incident: Sequence[MetricSample], baseline: Sequence[MetricSample]
) -> list[Evidence]:
    band: dict[tuple[str, str], list[float]] = defaultdict(list)
    for sample in baseline:
        band[(sample.service, sample.metric)].append(sample.value)
    now: dict[tuple[str, str], list[MetricSample]] = defaultdict(list)
    for sample in incident:
        now[(sample.service, sample.metric)].append(sample)
    found = []
    for (service, metric), samples in now.items():
        base = band.get((service, metric))
        if not base or len(base) < 3:
            continue
        top = max(samples, key=lambda s: s.value)
        z = robust_z(top.value, base)
        # The highest of n samples: discount the n chances it had to be high.
        surprise = cantelli_upper(z) - math.log10(len(samples))
        if surprise <= 0:
            continue
        kind: FaultKind = top.resource
        found.append(Evidence(
            f"metric_{kind}", service, None, kind, surprise,
            f"{metric} {top.value:.4g} is {z:.1f} robust SDs above its band "
            f"(median {sorted(base)[len(base) // 2]:.4g} over {len(base)} samples)",
        ))
    return found
