"""Requests of a scenario, span by span, from a seed.

One request is one trace: the gateway's server span (when the scenario has a gateway), its
client span to the journey's entry service, then the call tree. A remote call is a client span in
the caller and a server span in the callee, nested inside it with a little network time on each
side; database and cache calls are the caller's client spans. Own work is lognormal around each
call's median, children run one after another (or side by side when ``parallel``), so every
child lies inside its parent. Errors propagate to the caller unless the call was optional.
Incidents change the calls into their service while their window holds the request: an error
burst fails the operation and, as a thrown exception does, skips the calls it had not made yet
(the errors of the scenario's own ``error_rate`` fail after the work, as a bad result does); a
latency regression multiplies its own work; a network delay delays what the service's pods send
while serving the call, as ChaosMesh's NetworkChaos delay (netem on the pod's egress) does: its
responses, so the caller's client span grows and the service's server span does not, and the
requests it makes to its own callees and databases, so its client spans (and with them its
server span) grow while its callees' server spans do not.

Spans come out as :class:`SimSpan`, a thin record with OTLP's numbers (kinds, status codes) and
raw id bytes, so that encoders for OTLP protobuf and JSON are a straight copy.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from slo_scout.core.simulate._entropy import SeededRandom
from slo_scout.core.simulate.scenario import Call, Incident, JourneySpec, Scenario

AttrPairs = tuple[tuple[str, str | int], ...]

# OTLP enum numbers.
KIND_SERVER: Final = 2
KIND_CLIENT: Final = 3
KIND_INTERNAL: Final = 1
STATUS_UNSET: Final = 0
STATUS_ERROR: Final = 2

_GRPC_INTERNAL: Final = 13
_GRPC_UNAVAILABLE: Final = 14
_ID_ALPHABET: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
# Kubernetes' "safe" alphabet for ReplicaSet and pod hashes.
_K8S_ALPHABET: Final = "bcdfghjklmnpqrstvwxz2456789"
_NS_PER_MS: Final = 1_000_000


@dataclass(frozen=True, slots=True)
class SimResource:
    service: str
    pod: str
    attributes: tuple[tuple[str, str], ...]


@dataclass(slots=True)
class SimSpan:
    resource: int
    trace_id: bytes
    span_id: bytes
    parent_id: bytes  # b"" for a root
    name: str
    kind: int
    start_ns: int
    end_ns: int
    status: int
    attributes: AttrPairs


@dataclass(slots=True)
class SimRequest:
    journey: int
    trace_id: bytes
    start_ns: int
    end_ns: int
    error: bool
    spans: list[SimSpan]
    differences: list[str]  # what makes this request a variant: "cache miss redis GET", ...
    incidents: tuple[int, ...]  # indexes of the incidents whose window holds the request


def build_resources(scenario: Scenario, seed: int) -> dict[str, list[tuple[int, SimResource]]]:
    """Each service's pods with Kubernetes-shaped names, numbered in declaration order."""
    rng = SeededRandom(f"{seed}/pods")
    pods: dict[str, list[tuple[int, SimResource]]] = {}
    index = 0
    for svc in scenario.services:
        replica_set = rng.token(_K8S_ALPHABET, 10)
        pods[svc.name] = []
        for _ in range(svc.pods):
            pod = f"{svc.name}-{replica_set}-{rng.token(_K8S_ALPHABET, 5)}"
            attrs: list[tuple[str, str]] = []
            if not svc.name_from_pod:
                attrs += [("service.name", svc.name), ("k8s.deployment.name", svc.name)]
            attrs += [
                ("service.version", svc.version),
                ("k8s.namespace.name", svc.namespace),
                ("k8s.pod.name", pod),
                ("telemetry.sdk.name", "opentelemetry"),
            ]
            pods[svc.name].append((index, SimResource(svc.name, pod, tuple(attrs))))
            index += 1
    return pods


def _expected_spans(call: Call) -> float:
    below = sum(_expected_spans(c) for c in call.calls)
    if call.protocol == "cache":
        own = 1.0 + (1.0 - call.hit_ratio) * sum(_expected_spans(c) for c in call.on_miss)
    elif call.protocol == "db":
        own = 1.0
    elif call.protocol == "internal":
        own = 1.0 + below
    else:
        own = 2.0 + below + 2.0 * call.retry
    return call.optional * own * (call.repeat[0] + call.repeat[1]) / 2.0


def expected_spans_per_request(scenario: Scenario) -> float:
    total = sum(j.weight for j in scenario.journeys)
    per = sum(j.weight * (_expected_spans(j.entry) - 1.0) for j in scenario.journeys) / total
    return per + (3.0 if scenario.gateway else 1.0)


class RequestFactory:
    """Builds one request at a time; all draws come from the one seeded stream."""

    def __init__(self, scenario: Scenario, rng: SeededRandom, run_s: float, seed: int) -> None:
        self.scenario = scenario
        self.rng = rng
        self.pods = build_resources(scenario, seed)
        self.resources = [r for pods in self.pods.values() for _, r in pods]
        self.windows = [inc.window_s(run_s) for inc in scenario.incidents]
        running = 0.0
        self.cumulative: list[float] = []
        for j in scenario.journeys:
            running += j.weight
            self.cumulative.append(running)
        # per-request state
        self._trace = b""
        self._spans: list[SimSpan] = []
        self._differences: list[str] = []
        self._active: list[Incident] = []
        self._egress: list[float] = []  # network delays (ms) on the server span now running

    def request(self, offset_s: float, start_ns: int) -> SimRequest:
        rng = self.rng
        index = rng.weighted_index(self.cumulative)
        journey = self.scenario.journeys[index]
        self._trace = rng.trace_id()
        self._spans = []
        self._differences = []
        active = tuple(i for i, (a, b) in enumerate(self.windows) if a <= offset_s < b)
        self._active = [self.scenario.incidents[i] for i in active]
        self._egress = []
        end_ns, error = self._root(journey, start_ns)
        return SimRequest(index, self._trace, start_ns, end_ns, error, self._spans,
                          self._differences, active)

    def _pod(self, service: str) -> int:
        pods = self.pods[service]
        return pods[self.rng.randrange(len(pods))][0] if len(pods) > 1 else pods[0][0]

    def _ms(self, median: float, sigma: float) -> int:
        return int(self.rng.lognormal(median, sigma) * _NS_PER_MS) + 1

    def _root(self, journey: JourneySpec, t0: int) -> tuple[int, bool]:
        gw = self.scenario.gateway
        if gw is None:
            return self._serve(journey.entry, -1, b"", t0)
        pod = self._pod(gw.service)
        root_id = self.rng.span_id()
        root = SimSpan(pod, self._trace, root_id, b"", gw.operation, KIND_SERVER, t0, 0,
                       STATUS_UNSET, ())
        self._spans.append(root)
        t = t0 + self._ms(gw.latency_ms, gw.sigma) // 2
        client_id = self.rng.span_id()
        client = SimSpan(pod, self._trace, client_id, root_id, gw.operation, KIND_CLIENT, t, 0,
                         STATUS_UNSET, ())
        self._spans.append(client)
        t_net = self._ms(0.15, 0.3)
        end, error = self._serve(journey.entry, pod, client_id, t + t_net)
        client.end_ns = end + t_net + self._wire_delay(self._delays(journey.entry))
        code = 500 if error else 200
        client.attributes = (("http.request.method", gw.method),
                             ("server.address", journey.entry.service),
                             ("http.response.status_code", code))
        root.end_ns = client.end_ns + self._ms(gw.latency_ms, gw.sigma) // 2
        root.attributes = (("http.request.method", gw.method), ("http.response.status_code", code))
        if error:
            client.status = root.status = STATUS_ERROR
        return root.end_ns, error

    def _incidents_on(self, call: Call) -> list[Incident]:
        return [inc for inc in self._active
                if inc.service == call.service and inc.operation in (None, call.operation)]

    def _incident_effect(self, call: Call) -> tuple[float, float]:
        """(error rate, latency factor) for ``call`` while incidents are active."""
        error_rate, factor = call.error_rate, 1.0
        for inc in self._incidents_on(call):
            if inc.kind == "error_burst":
                error_rate = max(error_rate, inc.error_rate)
            elif inc.kind == "latency_regression":
                factor *= inc.factor
        return error_rate, factor

    def _delays(self, call: Call) -> list[float]:
        """The delays (ms) of the network delays active on ``call``'s service and operation."""
        if not self._active:
            return []
        return [inc.delay_ms for inc in self._incidents_on(call) if inc.kind == "network_delay"]

    def _wire_delay(self, delays: list[float]) -> int:
        """Extra nanoseconds on one leg of the wire: netem-style, 10% jitter around each delay."""
        return sum(self._ms(delay, 0.1) for delay in delays)

    def _throws(self, call: Call) -> bool:
        return bool(self._active) and any(inc.kind == "error_burst"
                                          for inc in self._incidents_on(call))

    def _serve(self, call: Call, caller_pod: int, parent: bytes, t0: int) -> tuple[int, bool]:
        """The callee's server span and everything below it; returns (end, failed)."""
        rng = self.rng
        pod = self._pod(call.service)
        span_id = rng.span_id()
        span = SimSpan(pod, self._trace, span_id, parent, "", KIND_SERVER, t0, 0, STATUS_UNSET, ())
        # A network delay on the service delays what its pod sends while serving the call: the
        # requests it makes (here) and its response (the caller's side, in _attempt).
        outer_egress, self._egress = self._egress, self._delays(call)
        self._spans.append(span)
        error_rate, factor = self._incident_effect(call) if self._active else (call.error_rate, 1.0)
        own = int(self._ms(call.latency_ms, call.sigma) * factor)
        t = t0 + own * 2 // 5
        if self._throws(call):
            # An injected exception is thrown part-way: the calls after it are never made.
            failed = rng.chance(error_rate)
            calls = call.calls[: rng.randrange(len(call.calls))] if failed and call.calls \
                else call.calls
            t, child_failed = self._children(calls, pod, span_id, t, call.parallel)
            failed = failed or child_failed
        else:
            t, failed = self._children(call.calls, pod, span_id, t, call.parallel)
            if rng.chance(error_rate):
                failed = True
        span.end_ns = t + own - own * 2 // 5
        self._finish_server(span, call, failed, _GRPC_INTERNAL)
        self._egress = outer_egress
        return span.end_ns, failed

    def _finish_server(self, span: SimSpan, call: Call, failed: bool, grpc_code: int) -> None:
        if call.protocol == "http" and call.opaque:
            span.name = f"HTTP {call.method}"
            span.attributes = (("http.request.method", call.method),
                               ("http.response.status_code", 500 if failed else 200))
        elif call.protocol == "http":
            path = call.operation
            if "{" in path:
                path = _fill_template(path, self.rng)
            span.name = f"{call.method} {call.operation}"
            span.attributes = (("http.request.method", call.method), ("http.route", call.operation),
                               ("url.path", path),
                               ("http.response.status_code", 500 if failed else 200))
        else:
            service, _, method = call.operation.rpartition("/")
            span.name = call.operation
            span.attributes = (("rpc.system", "grpc"), ("rpc.service", service),
                               ("rpc.method", method),
                               ("rpc.grpc.status_code", grpc_code if failed else 0))
        if failed:
            span.status = STATUS_ERROR

    def _children(
        self, calls: tuple[Call, ...], pod: int, parent: bytes, t0: int, parallel: bool
    ) -> tuple[int, bool]:
        failed = False
        t = t0
        end = t0
        for call in calls:
            if call.optional < 1.0 and not self.rng.chance(call.optional):
                self._differences.append(f"without {call.label}")
                continue
            repeat = call.repeat[0] if call.repeat[0] == call.repeat[1] else self.rng.between(
                *call.repeat)
            for _ in range(repeat):
                start = t0 if parallel else t
                t_end, child_failed = self._call(call, pod, parent, start)
                end = max(end, t_end)
                t = t_end if not parallel else t
                if child_failed and call.optional >= 1.0:
                    failed = True
        return (end if parallel else t), failed

    def _call(self, call: Call, pod: int, parent: bytes, t0: int) -> tuple[int, bool]:
        """A call from ``pod``: one or two attempts of a remote call, or a db/cache client span."""
        if call.protocol == "internal":
            return self._serve_internal(call, pod, parent, t0)
        if not call.remote:
            return self._datastore(call, pod, parent, t0)
        if call.retry > 0.0 and self.rng.chance(call.retry):
            self._differences.append(f"retry {call.label}")
            t = self._failed_attempt(call, pod, parent, t0)
            t0 = t + self._ms(3.0, 0.3)  # backoff
        return self._attempt(call, pod, parent, t0)

    def _client(self, call: Call, pod: int, parent: bytes, t0: int) -> SimSpan:
        name = call.method if call.protocol == "http" else call.operation
        span = SimSpan(pod, self._trace, self.rng.span_id(), parent, name, KIND_CLIENT, t0, 0,
                       STATUS_UNSET, ())
        self._spans.append(span)
        return span

    def _attempt(self, call: Call, pod: int, parent: bytes, t0: int) -> tuple[int, bool]:
        client = self._client(call, pod, parent, t0)
        net = self._ms(0.2, 0.3)
        end, failed = self._serve(call, pod, client.span_id,
                                  t0 + net + self._wire_delay(self._egress))
        client.end_ns = end + net + self._wire_delay(self._delays(call))
        client.attributes = _client_attributes(call, failed, _GRPC_INTERNAL)
        if failed:
            client.status = STATUS_ERROR
        return client.end_ns, failed

    def _failed_attempt(self, call: Call, pod: int, parent: bytes, t0: int) -> int:
        client = self._client(call, pod, parent, t0)
        net = self._ms(0.2, 0.3)
        callee = self._pod(call.service)
        start = t0 + net + self._wire_delay(self._egress)
        span = SimSpan(callee, self._trace, self.rng.span_id(), client.span_id, "", KIND_SERVER,
                       start, start + self._ms(call.latency_ms * 0.3, call.sigma), STATUS_UNSET,
                       ())
        self._spans.append(span)
        self._finish_server(span, call, True, _GRPC_UNAVAILABLE)
        client.end_ns = span.end_ns + net + self._wire_delay(self._delays(call))
        client.attributes = _client_attributes(call, True, _GRPC_UNAVAILABLE)
        client.status = STATUS_ERROR
        return client.end_ns

    def _serve_internal(self, call: Call, pod: int, parent: bytes, t0: int) -> tuple[int, bool]:
        span = SimSpan(pod, self._trace, self.rng.span_id(), parent, call.operation,
                       KIND_INTERNAL, t0, 0, STATUS_UNSET, ())
        self._spans.append(span)
        own = self._ms(call.latency_ms, call.sigma)
        t, failed = self._children(call.calls, pod, span.span_id, t0 + own // 2, call.parallel)
        failed = failed or self.rng.chance(call.error_rate)
        span.end_ns = t + own - own // 2
        if failed:
            span.status = STATUS_ERROR
        return span.end_ns, failed

    def _datastore(self, call: Call, pod: int, parent: bytes, t0: int) -> tuple[int, bool]:
        error_rate, factor = self._incident_effect(call) if self._active else (call.error_rate, 1.0)
        failed = self.rng.chance(error_rate)
        statement = call.operation.split(" ", 1)
        attrs: list[tuple[str, str | int]] = [
            ("db.system", call.system or call.service),
            ("db.operation.name", statement[0]),
            ("server.address", call.service),
        ]
        if len(statement) > 1:
            attrs.append(("db.collection.name", statement[1]))
        # the request to the database leaves a delayed pod late, too
        end = t0 + int(self._ms(call.latency_ms, call.sigma) * factor) \
            + self._wire_delay(self._egress)
        span = SimSpan(pod, self._trace, self.rng.span_id(), parent, call.operation, KIND_CLIENT,
                       t0, end, STATUS_ERROR if failed else STATUS_UNSET, tuple(attrs))
        self._spans.append(span)
        if call.protocol == "cache" and call.on_miss:
            if self.rng.chance(call.hit_ratio):
                return end, failed
            self._differences.append(f"cache miss {call.label}")
            end, miss_failed = self._children(call.on_miss, pod, parent, end, False)
            failed = failed or miss_failed
        return end, failed


def _client_attributes(call: Call, failed: bool, grpc_code: int) -> AttrPairs:
    if call.protocol == "http":
        return (("http.request.method", call.method), ("server.address", call.service),
                ("http.response.status_code", 500 if failed else 200))
    service, _, method = call.operation.rpartition("/")
    return (("rpc.system", "grpc"), ("rpc.service", service), ("rpc.method", method),
            ("server.address", call.service),
            ("rpc.grpc.status_code", grpc_code if failed else 0))


def _fill_template(route: str, rng: SeededRandom) -> str:
    parts = []
    for segment in route.split("/"):
        if segment.startswith("{") and segment.endswith("}"):
            segment = rng.token(_ID_ALPHABET, 10)
        parts.append(segment)
    return "/".join(parts)


def arrivals(rng: SeededRandom, rate: float) -> Iterator[float]:
    """Poisson arrivals: offsets in seconds from the run's start."""
    t = 0.0
    while True:
        yield t
        t += rng.exponential(rate)
