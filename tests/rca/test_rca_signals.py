"""Each signal on small synthetic telemetry, and the score that combines them."""

from __future__ import annotations

from tests.fixtures.rca_spans import MS, chain, traces

from slo_scout.core.rca import LogRecord, MetricSample, Telemetry, investigate
from slo_scout.core.rca.delayed import delay_egress
from slo_scout.core.rca.evaluation import Tally, position
from slo_scout.core.rca.model import Evidence, Suspect
from slo_scout.core.rca.score import rank, standout
from slo_scout.core.rca.signals import (
    calls_stopped,
    critical_path_shifts,
    error_origins,
    exclusive_times,
    latency_shifts,
    metric_shifts,
    network_shifts,
    origin_counts,
    template_shifts,
)
from slo_scout.core.rca.stats import binomial_lower, binomial_upper, cantelli_upper, poisson_upper
from slo_scout.core.rca.summary import incident_summary, markdown_note
from slo_scout.core.telemetry.model import Span


def test_the_deepest_failing_span_is_the_origin_not_its_failing_callers() -> None:
    spans = chain("t1", error_at="payments")  # all three fail: the error bubbled up
    per_service, per_op = origin_counts(spans, [])
    assert per_service == {"payments": 1}
    assert per_op["payments"] == {"pay": 1}


def test_an_error_log_line_marks_its_span_failing_when_traces_carry_no_status() -> None:
    spans = chain("t1")
    logs = [
        LogRecord(0, "orders", "ERROR payment failed", error=True, trace_id="t1", span_id="t1-o"),
        LogRecord(0, "payments", "INFO charged <NUM>", trace_id="t1", span_id="t1-p"),
    ]
    assert origin_counts(spans, logs)[0] == {"orders": 1}


def test_error_origins_score_a_service_that_newly_fails() -> None:
    baseline = traces(50, "b")
    incident = traces(20, "i", error_at="orders")
    found = error_origins(incident, [], baseline, [])
    assert [e.service for e in found] == ["orders"]
    assert found[0].kind == "code" and found[0].surprise > 10


def test_exclusive_time_leaves_the_callee_s_time_to_the_callee() -> None:
    times = {span.service: ns for span, ns in exclusive_times(chain("t", slow_ms=100))}
    assert times == {"gateway": 15 * MS, "orders": 15 * MS, "payments": 120 * MS}


def _varied(baseline: list[Span]) -> list[Span]:
    """Payments' work varies a little from request to request (so the baseline's quantiles are
    real thresholds); its callers wait for it, their own time unchanged."""
    for i, trace in enumerate(range(0, len(baseline), 3)):
        for span in baseline[trace:trace + 3]:
            span.end_ns += (i % 7) * MS
    return baseline


def test_a_latency_shift_is_found_in_the_slow_service_only() -> None:
    baseline = _varied(traces(40, "b"))
    incident = traces(20, "i", slow_ms=200)
    found = latency_shifts(incident, baseline)
    assert {e.service for e in found} == {"payments"}
    assert found[0].operation == "pay" and found[0].kind == "latency"


def test_a_new_log_template_in_an_operation_the_baseline_ran_is_evidence() -> None:
    baseline_spans, incident_spans = traces(30, "b"), traces(30, "i")

    def logs(spans: list, template: str) -> list[LogRecord]:
        return [LogRecord(0, s.service, template, trace_id=s.trace_id, span_id=s.span_id)
                for s in spans if s.service == "payments"]

    baseline = logs(baseline_spans, "INFO charged <NUM>")
    incident = logs(incident_spans, "INFO charged <NUM>")[:10] + logs(
        incident_spans, "WARN card declined <NUM>")[10:]
    found = template_shifts(incident, incident_spans, baseline, baseline_spans)
    changes = {e.detail.split(":")[0] for e in found}
    assert "template new" in changes  # the declined line
    assert any(c.startswith("template fell") for c in changes)  # the charged line stopped
    assert {e.service for e in found} == {"payments"}


def test_the_strongest_of_a_service_s_templates_is_discounted_by_how_many_were_tested() -> None:
    # Taking the largest of m surprises gives m chances: a service that logs many templates
    # (request data in its lines) would otherwise stand out by having more to choose from.
    baseline_spans, incident_spans = traces(30, "b"), traces(30, "i")
    payments = [s for s in incident_spans if s.service == "payments"]
    declined = [LogRecord(0, "payments", "WARN card declined <NUM>", trace_id=s.trace_id,
                          span_id=s.span_id) for s in payments[:10]]

    def steady(spans: list) -> list[LogRecord]:
        return [LogRecord(0, "payments", f"INFO step {k}", trace_id=s.trace_id, span_id=s.span_id)
                for s in spans if s.service == "payments" for k in range(9)]

    started = [LogRecord(0, "payments", "INFO started")]  # it logged in the baseline, unlinked
    [alone] = template_shifts(declined, incident_spans, started, baseline_spans)
    among = template_shifts(declined + steady(incident_spans), incident_spans,
                            steady(baseline_spans), baseline_spans)
    [found] = [e for e in among if "declined" in e.detail]
    assert alone.surprise == binomial_upper(10, 30, 0.5 / 31)
    assert abs(found.surprise - (alone.surprise - 1.0)) < 1e-9  # ten tests: one decade less


def test_a_template_of_an_operation_the_baseline_never_ran_is_no_evidence() -> None:
    incident_spans = traces(10, "i")
    logs = [LogRecord(0, s.service, "INFO new feature", trace_id=s.trace_id, span_id=s.span_id)
            for s in incident_spans if s.service == "orders"]
    assert template_shifts(logs, incident_spans, [], traces(10, "b")[:1]) == []


def test_a_service_that_logged_nothing_in_the_baseline_has_no_new_templates() -> None:
    # Its logs were not collected then (or its logger was off): every line would look new.
    baseline_spans, incident_spans = traces(30, "b"), traces(30, "i")

    def logs(spans: list, service: str, template: str) -> list[LogRecord]:
        return [LogRecord(0, service, template, trace_id=s.trace_id, span_id=s.span_id)
                for s in spans if s.service == service]

    incident = logs(incident_spans, "orders", "INFO order for user <UUID>") + logs(
        incident_spans, "payments", "WARN card declined <NUM>")
    baseline = logs(baseline_spans, "payments", "INFO charged <NUM>")
    found = template_shifts(incident, incident_spans, baseline, baseline_spans)
    assert {e.service for e in found} == {"payments"}


def _lines(spans: list, template: str, share: float, *, error: bool = False) -> list[LogRecord]:
    payments = [s for s in spans if s.service == "payments"]
    return [LogRecord(0, "payments", template, error=error, trace_id=s.trace_id,
                      span_id=s.span_id) for s in payments[: round(share * len(payments))]]


def test_the_recent_past_holds_the_workload_s_request_data() -> None:
    # Hours ago one train in ten was a Z train; just before the burn, and during it, half are:
    # the workload's data changed, nothing failed.
    baseline_spans, recent_spans = traces(30, "b"), traces(30, "r")
    incident_spans = traces(30, "i")
    baseline = _lines(baseline_spans, "INFO train Z<NUM>", 0.1)
    recent = _lines(recent_spans, "INFO train Z<NUM>", 0.5)
    incident = _lines(incident_spans, "INFO train Z<NUM>", 0.5)
    [alone] = template_shifts(incident, incident_spans, baseline, baseline_spans)
    [pooled] = template_shifts(incident, incident_spans, baseline, baseline_spans,
                               recent, recent_spans)
    assert alone.surprise > 4
    assert pooled.surprise < alone.surprise - 3  # a thousand times less surprising


def test_errors_are_judged_against_the_fault_free_baseline_not_the_recent_past() -> None:
    # An earlier incident may not be over just before the burn: its errors are no baseline.
    baseline_spans, recent_spans = traces(30, "b"), traces(30, "r")
    incident_spans = traces(30, "i")
    baseline = _lines(baseline_spans, "INFO charged <NUM>", 1.0)
    recent = _lines(recent_spans, "ERROR card declined <NUM>", 0.5, error=True)
    incident = _lines(incident_spans, "ERROR card declined <NUM>", 0.5, error=True)
    found = template_shifts(incident, incident_spans, baseline, baseline_spans,
                            recent, recent_spans)
    assert any(e.detail.startswith("error template new") for e in found)


def test_the_lines_of_a_service_that_stopped_failing_are_no_evidence() -> None:
    # The baseline caught payments failing every request; now they succeed: the lines of the
    # success path are new because the errors went away, which no fault does.
    baseline_spans, incident_spans = traces(30, "b"), traces(30, "i")
    failing = _lines(baseline_spans, "ERROR card declined <NUM>", 1.0, error=True)
    working = _lines(baseline_spans, "INFO audit <NUM>", 1.0)
    charged = _lines(incident_spans, "INFO charged <NUM>", 1.0) + _lines(
        incident_spans, "INFO audit <NUM>", 1.0)
    assert template_shifts(charged, incident_spans, failing + working, baseline_spans) == []
    # The same new line in a service that did not fail before is evidence.
    assert template_shifts(charged, incident_spans, working, baseline_spans)


def test_a_line_that_stopped_in_the_requests_that_succeed_is_evidence_though_failures_fell(
) -> None:
    # In the baseline a third of payments' requests failed (after a retry line); now none do,
    # and the audit line written after the charge stopped: a method that returns early.
    baseline_spans, incident_spans = traces(30, "b"), traces(30, "i")
    failed = [s.trace_id for s in baseline_spans if s.service == "payments"][:10]
    baseline = [r for r in _lines(baseline_spans, "ERROR card declined <NUM>", 1.0, error=True)
                + _lines(baseline_spans, "INFO retry <NUM>", 1.0) if r.trace_id in failed]
    baseline += _lines(baseline_spans, "INFO charged <NUM>", 1.0)
    baseline += [r for r in _lines(baseline_spans, "INFO audit <NUM>", 1.0)
                 if r.trace_id not in failed]
    incident = _lines(incident_spans, "INFO charged <NUM>", 1.0)
    found = template_shifts(incident, incident_spans, baseline, baseline_spans)
    # Counted in the requests that did not fail: the audit line fell from 20 of 20 to none;
    # the retry line went with the failures, and fewer errors are no evidence.
    assert [e.detail.split(":")[0] for e in found] == ["template fell from 20 of 20"]
    assert "audit" in found[0].detail


def test_fewer_errors_are_no_evidence() -> None:
    baseline_spans, incident_spans = traces(30, "b"), traces(30, "i")
    baseline = _lines(baseline_spans, "ERROR card declined <NUM>", 0.5, error=True)
    incident = _lines(incident_spans, "ERROR card declined <NUM>", 0.1, error=True)
    assert template_shifts(incident, incident_spans, baseline, baseline_spans) == []
    assert template_shifts(baseline, baseline_spans, incident, incident_spans)  # more are


def test_a_metric_leaving_its_band_points_to_its_resource() -> None:
    band = [MetricSample(i, "cart", "cpu of cart-1", "cpu", 1.0 + 0.1 * (i % 5)) for i in range(30)]
    band += [MetricSample(i, "web", "cpu of web-1", "cpu", 5.0 + (i % 3)) for i in range(30)]
    now = [MetricSample(100, "cart", "cpu of cart-1", "cpu", 100.0),
           MetricSample(100, "web", "cpu of web-1", "cpu", 6.0)]
    found = metric_shifts(now, band)
    assert [(e.service, e.kind, e.signal) for e in found] == [("cart", "cpu", "metric_cpu")]


def test_tail_surprises_grow_with_the_evidence_and_vanish_without_it() -> None:
    assert poisson_upper(0, 1.0) == 0.0 and poisson_upper(1, 2.0) == 0.0
    assert 0 < poisson_upper(5, 1.0) < poisson_upper(10, 1.0)
    assert binomial_upper(1, 100, 0.05) == 0.0
    assert binomial_upper(50, 100, 0.05) > binomial_upper(20, 100, 0.05) > 0
    assert binomial_lower(0, 30, 0.9) > 20 and binomial_lower(27, 30, 0.9) == 0.0
    assert round(cantelli_upper(10.0), 3) == round(2.0043, 3)


def test_standout_is_relative_to_the_other_services() -> None:
    # Every service equally surprising: none stands out.
    assert set(standout({"a": 9.0, "b": 9.0, "c": 9.0})) == {"a", "b", "c"}
    assert max(standout({"a": 9.0, "b": 9.0, "c": 9.0}).values()) == 0.0
    z = standout({"a": 12.0, "b": 1.0, "c": 1.5, "d": 0.5})
    assert max(z, key=lambda k: z[k]) == "a" and z["a"] > 5


def _ev(signal: str, service: str, surprise: float, kind: str = "code") -> Evidence:
    return Evidence(signal, service, None, kind, surprise, "x")  # type: ignore[arg-type]


def test_the_score_is_the_largest_standout_and_the_kind_follows_it() -> None:
    evidence = [
        _ev("log_template", "a", 9), _ev("log_template", "b", 9), _ev("log_template", "c", 9),
        _ev("metric_cpu", "c", 8, "cpu"), _ev("metric_cpu", "a", 0.5, "cpu"),
        _ev("metric_cpu", "b", 0.4, "cpu"),
    ]
    suspects = rank(evidence)
    assert suspects[0].service == "c" and suspects[0].kind == "cpu"
    assert suspects[0].score == max(suspects[0].signals.values())


def test_a_saturated_pod_is_named_for_its_resource_not_its_slowness() -> None:
    # A CPU hog slows everything the pod does, the queue before its spans included (wire time):
    # the resource is the cause, the slowness its symptom.
    quiet = [_ev(signal, service, 0.4, kind) for service in ("cart", "search", "stock")
             for signal, kind in (("network", "network"), ("metric_cpu", "cpu"))]
    slow = [_ev("network", "prices", 9.0, "network"), _ev("metric_cpu", "prices", 4.0, "cpu")]
    prices = rank(slow + quiet)[0]
    assert (prices.service, prices.kind) == ("prices", "cpu")
    assert prices.score == prices.signals["network"]  # the score is the slowness's standout
    # A CPU that moved no more than the others' (no standout) does not rename it.
    level = [slow[0], _ev("metric_cpu", "prices", 0.6, "cpu"), *quiet]
    assert rank(level)[0].kind == "network"


def test_investigate_ranks_the_failing_callee_first_and_summarises() -> None:
    baseline = Telemetry(spans=traces(40, "b"))
    incident = Telemetry(spans=traces(20, "i", error_at="orders"))
    findings = investigate(incident, baseline)
    assert findings.suspects[0].service == "orders"  # payments did not fail: orders is deepest
    summary = incident_summary(findings.suspects, started_at="2026-01-01T00:00:00Z")
    assert summary["suspects"][0]["service"] == "orders"  # type: ignore[index]
    note = markdown_note(summary)
    assert "1. **orders / createOrder**: code" in note and "error_origin" in note


def test_position_and_tally_count_hits_at_k() -> None:
    suspects = [Suspect("a", 3, "latency"), Suspect("b", 2, "code"), Suspect("c", 1, "cpu")]
    assert position(suspects, "b") == 2
    assert position(suspects, "b", "exception") == 2
    assert position(suspects, "a", "exception") is None  # right service, wrong kind
    assert position(suspects, "c", "cpu_contention") == 3
    tally = Tally()
    for rank_ in (1, 2, 4, None):
        tally.add(rank_)
    assert tally.line("d") == "d: AS@1 0.250 AS@3 0.500 AS@5 0.750 (4 faults)"


def _calls(prefix: str, n: int, wire_ms: int) -> list[Span]:
    """Two callers (cart, search) each call prices once per trace; ``wire_ms`` on each call."""
    spans = []
    for i in range(n):
        t, base = f"{prefix}{i}", i * 100 * MS
        jitter = (i % 5) * MS // 10
        spans.append(Span(t, f"{t}-c", None, "cart", "GET prices", "client",
                          base, base + (10 + wire_ms) * MS + jitter))
        spans.append(Span(t, f"{t}-p", f"{t}-c", "prices", "quote", "server",
                          base + 1 * MS, base + 9 * MS))
        spans.append(Span(t, f"{t}-s", None, "search", "GET prices", "client",
                          base, base + (10 + wire_ms) * MS + jitter))
        spans.append(Span(t, f"{t}-q", f"{t}-s", "prices", "quote", "server",
                          base + 1 * MS, base + 9 * MS))
    return spans


def test_wire_time_into_one_service_points_to_its_network() -> None:
    found, tested = network_shifts(_calls("i", 20, wire_ms=50), _calls("b", 40, wire_ms=0))
    assert tested == {"prices"}  # the services something calls
    by_service = {e.service: e for e in found}
    assert set(by_service) == {"prices"}
    assert by_service["prices"].kind == "network" and by_service["prices"].surprise > 5
    # Without a wire delay there is nothing to find.
    assert network_shifts(_calls("j", 20, wire_ms=0), _calls("b", 40, wire_ms=0))[0] == []


# The mesh of the next tests: gateway calls cart and search; cart calls prices and stock; search
# calls prices. Each call is a client span in the caller and a server span in the callee.
_MESH = {"gateway": ("cart", "search"), "cart": ("prices", "stock"), "search": ("prices",)}


def _mesh(trace: str, start: int, delayed: frozenset[str] = frozenset(),
          db_ms: int = 2, ingress: frozenset[str] = frozenset()) -> list[Span]:
    """One request through :data:`_MESH`; each service in ``delayed`` sends 50 ms late.

    A delayed service's responses and its own requests leave 50 ms late (a NetworkChaos delay
    on its egress); the requests into a service in ``ingress`` arrive 50 ms late. Search also
    reads a database (``db_ms``, a client span without a child).
    """
    jitter = int(trace[1:]) % 5 * MS // 10
    spans: list[Span] = []

    def serve(service: str, span_id: str, parent: str | None, t0: int) -> int:
        server = Span(trace, span_id, parent, service, f"{service} op", "server", t0, 0)
        spans.append(server)
        t = t0 + 1 * MS
        for i, callee in enumerate(_MESH.get(service, ())):
            client = Span(trace, f"{span_id}.{i}", span_id, service, f"call {callee}", "client",
                          t, 0)
            spans.append(client)
            out = 50 * MS if service in delayed or callee in ingress else 0
            back = 50 * MS if callee in delayed else 0
            end = serve(callee, f"{span_id}.{i}s", client.span_id, t + MS // 2 + out + jitter)
            client.end_ns = end + MS // 2 + back
            t = client.end_ns + MS // 10
        if service == "search":
            spans.append(Span(trace, f"{span_id}.db", span_id, service, "SELECT", "client",
                              t, t + db_ms * MS + jitter))
            t += db_ms * MS + jitter + MS // 10
        server.end_ns = t + 1 * MS
        return server.end_ns

    serve("gateway", f"{trace}-g", None, start)
    return spans


def _mesh_traces(prefix: str, n: int, **kwargs: object) -> list[Span]:
    return [s for i in range(n)
            for s in _mesh(f"{prefix}{i}", i * 500 * MS, **kwargs)]  # type: ignore[arg-type]


def _network_surprises(**fault: frozenset[str]) -> dict[str, float]:
    """Each service's ``network`` finding in the mesh with ``fault`` against a quiet mesh."""
    found, _ = network_shifts(_mesh_traces("i", 30, **fault), _mesh_traces("b", 60))
    return {e.service: e.surprise for e in found}


def test_a_delayed_callee_is_named_for_the_wire_time_not_its_callers() -> None:
    by_service = _network_surprises(delayed=frozenset({"prices"}))
    # cart's own inbound edge (from gateway) is quiet: its edge to prices is prices'
    assert max(by_service, key=lambda s: by_service[s]) == "prices"
    assert by_service["prices"] > 5
    assert by_service.get("cart", 0.0) == 0.0


def test_a_caller_that_sends_late_is_named_not_its_only_callee() -> None:
    by_service = _network_surprises(delayed=frozenset({"cart"}))
    assert max(by_service, key=lambda s: by_service[s]) == "cart"
    # stock's only edge moved, but so did its caller's own inbound edge: cart sends late
    assert "stock" not in by_service and "prices" not in by_service


def _fanout(trace: str, start: int) -> list[Span]:
    """A caller calls seat once (caller0 mostly; caller1 to caller3 in the first requests
    only); seat calls config five times in a row (0.5 ms on the wire each way)."""
    n = int(trace[2:])
    jitter, caller = n % 5 * MS // 10, f"caller{n if n < 4 else 0}"
    spans = [Span(trace, f"{trace}-g", None, caller, "GET /seats", "server", start, 0),
             Span(trace, f"{trace}-gc", f"{trace}-g", caller, "call seat", "client",
                  start + MS, 0),
             Span(trace, f"{trace}-s", f"{trace}-gc", "seat", "seats", "server",
                  start + MS + MS // 2 + jitter, 0)]
    t = spans[2].start_ns + MS
    for i in range(5):
        spans.append(Span(trace, f"{trace}-c{i}", f"{trace}-s", "seat", "call config", "client",
                          t, t + 3 * MS + jitter))
        spans.append(Span(trace, f"{trace}-k{i}", f"{trace}-c{i}", "config", "get", "server",
                          t + MS // 2, t + 2 * MS + MS // 2 + jitter))
        t += 3 * MS + jitter + MS // 10
    spans[2].end_ns = t + MS
    spans[1].end_ns = t + MS + MS // 2 + jitter
    spans[0].end_ns = t + 2 * MS + jitter
    return spans


def test_a_replayed_egress_delay_moves_every_call_the_pod_sends() -> None:
    before = _fanout("xx1", 0)
    after = {s.span_id: s for s in delay_egress(before, "seat", 40 * MS)}
    old = {s.span_id: s for s in before}
    wire = {s.span_id: s.duration_ns - k.duration_ns for s, k in (
        (old["xx1-gc"], old["xx1-s"]), (old["xx1-c0"], old["xx1-k0"]))}
    # each call seat makes: the request leaves 40 ms late, and the next one waits for it
    assert after["xx1-k0"].start_ns == old["xx1-k0"].start_ns + 40 * MS
    assert after["xx1-c0"].duration_ns - after["xx1-k0"].duration_ns == wire["xx1-c0"] + 40 * MS
    assert after["xx1-c4"].start_ns == old["xx1-c4"].start_ns + 4 * 40 * MS
    # seat's response to its caller leaves 40 ms late too
    assert after["xx1-gc"].duration_ns - after["xx1-s"].duration_ns == wire["xx1-gc"] + 40 * MS
    assert after["xx1-g"].end_ns == old["xx1-g"].end_ns + 6 * 40 * MS
    assert delay_egress(before, "nobody", 40 * MS) == before


def test_a_pod_that_sends_late_is_named_not_the_callee_it_calls_most() -> None:
    # Every edge moved by 40 ms. Config's one edge carries every request; three of seat's
    # four inbound edges one request each, too few to be surprising. But seat's own inbound
    # edges moved as far in time as its edge to config: its pod is the late one.
    baseline = [s for i in range(80) for s in _fanout(f"bb{i}", i * 100 * MS)]
    incident = delay_egress([s for i in range(24) for s in _fanout(f"ii{i}", i * 100 * MS)],
                            "seat", 40 * MS)
    found, _ = network_shifts(incident, baseline)
    assert [e.service for e in found] == ["seat"]


def test_a_delay_on_the_requests_into_a_service_names_it_though_its_own_calls_are_quiet() -> None:
    baseline = _mesh_traces("b", 60)
    incident = _mesh_traces("i", 30, ingress=frozenset({"cart"}))
    found, tested = network_shifts(incident, baseline)
    # the edge into cart moved, its calls to prices and stock did not: the median is over the
    # edges into a service, which a delay at it moves whichever side of the pod it is applied
    assert [e.service for e in found] == ["cart"]
    assert tested == {"cart", "search", "prices", "stock"}


def test_wire_time_is_no_part_of_the_caller_s_own_time() -> None:
    baseline = _mesh_traces("b", 60)
    incident = _mesh_traces("i", 30, delayed=frozenset({"prices"}))
    # the client spans to prices grew by the wire alone: neither cart's nor search's exclusive
    # time nor their time on the critical path moved
    assert latency_shifts(incident, baseline) == []
    assert critical_path_shifts(incident, baseline) == []
    found = investigate(Telemetry(spans=incident), Telemetry(spans=baseline)).suspects
    assert found[0].service == "prices" and found[0].kind == "network"


def test_a_client_span_without_a_remote_child_keeps_its_time() -> None:
    # a slower database is the caller's to answer for: no one else records it
    baseline = _mesh_traces("b", 60)
    incident = _mesh_traces("i", 30, db_ms=40)
    found = latency_shifts(incident, baseline)
    assert {(e.service, e.operation) for e in found} == {("search", "SELECT")}
    assert network_shifts(incident, baseline)[0] == []


def test_a_shift_within_the_baseline_s_tail_is_found_above_its_median() -> None:
    # One request in ten waited 300 ms in payments (a cold cache): the p95 is far above the
    # 20 ms every request now takes longer, but each of them is above the median.
    baseline = traces(60, "b")
    for i in range(0, len(baseline), 30):
        for span in baseline[i:i + 3]:
            span.end_ns += 300 * MS
    found = latency_shifts(traces(20, "i", slow_ms=20), _varied(baseline))
    assert [(e.service, e.operation) for e in found] == [("payments", "pay")]
    assert "p95" not in found[0].detail  # every request is above a lower quantile


def test_a_service_that_newly_holds_up_requests_shifts_the_critical_path() -> None:
    baseline = _varied(traces(40, "b"))
    found = critical_path_shifts(traces(20, "i", slow_ms=200), baseline)
    assert {e.service for e in found} == {"payments"}
    assert found[0].signal == "critical_path" and found[0].surprise > 5


def _parallel(trace: str, start: int, side_ms: int) -> list[Span]:
    """gateway calls search (80 ms) and, in parallel, audit (``side_ms``, always shorter)."""
    end = start + 100 * MS
    return [
        Span(trace, f"{trace}-g", None, "gateway", "GET /search", "server", start, end),
        Span(trace, f"{trace}-s", f"{trace}-g", "search", "find", "server",
             start + 10 * MS, start + 90 * MS),
        Span(trace, f"{trace}-a", f"{trace}-g", "audit", "record", "server",
             start + 10 * MS, start + (10 + side_ms + int(trace[1:]) % 3) * MS),
    ]


def test_a_slower_span_off_the_critical_path_is_no_latency_evidence() -> None:
    # audit's exclusive time triples, but it finishes before search: requests are no slower
    # because of it, so it cannot be why a latency SLO burns
    baseline = [s for i in range(40) for s in _parallel(f"b{i}", i * 200 * MS, 10)]
    incident = [s for i in range(20) for s in _parallel(f"i{i}", i * 200 * MS, 40)]
    assert {e.service for e in latency_shifts(incident, baseline)} == {"audit"}
    findings = investigate(Telemetry(spans=incident), Telemetry(spans=baseline))
    assert [e for e in findings.evidence if e.signal == "latency"] == []


def _early_return(traces_: list[Span]) -> list[Span]:
    """orders returns before calling payments: its span keeps no child, nothing fails."""
    return [s for s in traces_ if s.service != "payments"]


def test_calls_that_stopped_blame_the_caller_that_returned_early_without_any_status() -> None:
    baseline = traces(50, "b")
    incident = traces(10, "i") + _early_return(traces(20, "x"))
    assert not any(s.error for s in incident)
    found, tested = calls_stopped(incident, baseline)
    assert [(e.service, e.operation, e.kind) for e in found] == [("orders", "createOrder", "code")]
    assert found[0].surprise > 5
    assert tested == {"gateway", "orders"}  # payments calls nothing: it has no call to stop


def test_calls_made_as_often_as_in_the_baseline_or_more_are_no_finding() -> None:
    baseline = traces(30, "b") + _early_return(traces(30, "y"))  # half the orders skip payments
    found, _ = calls_stopped(traces(20, "i"), baseline)  # now every order calls it
    assert found == []


def _handled_failure(trace: str, *, status: bool) -> list[Span]:
    """orders fails and calls its error handler (a span of its own, as Spring's /error)."""
    spans = chain(trace, error_at="orders" if status else None)
    return [*spans, Span(trace, f"{trace}-e", f"{trace}-o", "orders",
                         "BasicErrorController.error", "internal", 0, MS)]


def test_a_service_that_fails_less_has_stopped_no_call() -> None:
    # In the baseline orders failed half its requests and called its error handler; now none
    # fail, and the handler is not called: the service recovers, no fault does that.
    incident, ok = traces(20, "i"), traces(25, "ok")

    def failures(status: bool) -> list[Span]:
        return [s for i in range(25) for s in _handled_failure(f"f{i}", status=status)]

    unmarked = failures(status=False)
    [stop] = calls_stopped(incident, ok + unmarked)[0]  # nothing says they failed: a stop
    assert "BasicErrorController.error" in stop.detail
    assert calls_stopped(incident, ok + failures(status=True))[0] == []
    lines = [LogRecord(0, "orders", "ERROR order failed", error=True, trace_id=s.trace_id,
                       span_id=s.span_id) for s in unmarked if s.name == "createOrder"]
    assert calls_stopped(incident, ok + unmarked, (), lines)[0] == []


def test_a_tested_quiet_service_counts_at_zero_so_a_lone_finding_stands_out() -> None:
    lone = [Evidence("error_origin", "payments", "pay", "code", 8.0, "")]
    assert rank(lone)[0].score == 0.0  # against no one, a lone finding stands out by nothing
    ranked = rank(lone, {"error_origin": {"gateway", "orders", "payments"}})
    assert ranked[0].service == "payments" and ranked[0].score == 8.0
