"""The system a simulation runs: services, a gateway, journeys as call trees, and incidents.

A scenario is data (a dict, usually read from YAML by the CLI) validated into frozen dataclasses.
Every journey is a call tree below an optional gateway: when the scenario names a gateway, every
request enters through the same gateway operation (``HTTP POST`` on ``frontend-proxy`` in the
default shop) and the request kinds differ only below it, the shape that entry-by-name discovery
gets wrong. Variation inside a journey comes from ``optional`` calls, ``retry`` and cache
``hit_ratio`` (a hit skips ``on_miss``); these are variants, never new journeys.

Incident windows are fractions of the run (``start``/``duration`` in 0..1) or seconds from its
start (``start_s``/``duration_s``); the simulator resolves them once it knows the run's length.
Kinds: ``error_burst`` (the operation fails at ``error_rate`` and, as a thrown exception does,
skips the calls it had not made yet), ``latency_regression`` (its own work takes ``factor``
times as long), ``network_delay`` (``delay_ms`` more on what the service's pods send while
serving the call, as a NetworkChaos delay on their egress: its responses and its own requests,
so the caller's client span grows and the service's server span does not).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from slo_scout.core.errors import SpecError

CallProtocol = Literal["http", "grpc", "db", "cache", "internal"]
IncidentKind = Literal["error_burst", "latency_regression", "network_delay"]
INCIDENT_KINDS: Final[tuple[IncidentKind, ...]] = ("error_burst", "latency_regression",
                                                   "network_delay")

PROTOCOLS: Final[tuple[CallProtocol, ...]] = ("http", "grpc", "db", "cache", "internal")
_DEFAULT_SYSTEM: Final[dict[str, str]] = {"db": "postgresql", "cache": "redis"}


class ScenarioError(SpecError):
    """A scenario that cannot be simulated: names the source and the field path."""

    hint = "fix the scenario file"


@dataclass(frozen=True, slots=True)
class Call:
    """One call in a journey's tree; the callee is ``service``.

    ``operation`` is what the callee does: an HTTP route template, a gRPC ``pkg.Service/Method``,
    a database statement summary (``SELECT products``), a cache command, or an internal span name.
    Database and cache calls are recorded only as the caller's client span, as instrumentation
    of a database driver does; their ``service`` names the peer.
    """

    service: str
    operation: str
    protocol: CallProtocol
    method: str = "GET"
    system: str | None = None
    latency_ms: float = 5.0
    sigma: float = 0.35
    error_rate: float = 0.0
    optional: float = 1.0
    retry: float = 0.0
    repeat: tuple[int, int] = (1, 1)
    hit_ratio: float = 0.0
    on_miss: tuple[Call, ...] = ()
    calls: tuple[Call, ...] = ()
    parallel: bool = False
    # An HTTP server span that names nothing: "HTTP POST", no route, no path (a front end
    # whose framework records no route); the request kind shows only in what it calls.
    opaque: bool = False

    @property
    def remote(self) -> bool:
        return self.protocol in ("http", "grpc")

    @property
    def label(self) -> str:
        return f"{self.service} {self.operation}"


@dataclass(frozen=True, slots=True)
class Service:
    name: str
    pods: int = 2
    version: str = "1.0.0"
    namespace: str = "shop"
    # Leave service.name out of the resource, so readers must derive it from k8s.pod.name.
    name_from_pod: bool = False


@dataclass(frozen=True, slots=True)
class Gateway:
    service: str
    operation: str = "HTTP POST"
    method: str = "POST"
    latency_ms: float = 0.8
    sigma: float = 0.3


@dataclass(frozen=True, slots=True)
class JourneySpec:
    name: str
    weight: float
    entry: Call


@dataclass(frozen=True, slots=True)
class Incident:
    kind: IncidentKind
    service: str
    operation: str | None = None
    start: float | None = None  # fraction of the run
    duration: float | None = None
    start_s: float | None = None  # seconds from the run's start
    duration_s: float | None = None
    error_rate: float = 0.5
    factor: float = 3.0
    delay_ms: float = 100.0  # network_delay: added to each packet the service's pods send

    def window_s(self, run_s: float) -> tuple[float, float]:
        """The incident's [start, end) in seconds from the run's start."""
        if self.start_s is not None and self.duration_s is not None:
            return self.start_s, self.start_s + self.duration_s
        start = (self.start or 0.0) * run_s
        return start, start + (self.duration or 0.0) * run_s


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    services: tuple[Service, ...]
    journeys: tuple[JourneySpec, ...]
    gateway: Gateway | None = None
    incidents: tuple[Incident, ...] = ()
    rate: float = 50.0  # requests per second

    def service(self, name: str) -> Service:
        for svc in self.services:
            if svc.name == name:
                return svc
        raise KeyError(name)


class _Reader:
    """Field-by-field validation that names the path of whatever is wrong."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, message: str) -> ScenarioError:
        return ScenarioError(message, source=self.source, field=path)

    def mapping(self, value: Any, path: str, allowed: frozenset[str]) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(path, f"expected a mapping, got {type(value).__name__}")
        unknown = sorted(str(k) for k in value if k not in allowed)
        if unknown:
            raise self.fail(f"{path}.{unknown[0]}", f"unknown key (allowed: {sorted(allowed)})")
        return value

    def text(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(path, "expected a non-empty string")
        return value

    def number(self, value: Any, path: str, low: float, high: float = float("inf")) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(path, f"expected a number, got {value!r}")
        if not low <= float(value) <= high:
            raise self.fail(path, f"{value!r} is outside [{low}, {high}]")
        return float(value)

    def items(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(path, "expected a list")
        return value


_CALL_KEYS: Final = frozenset(
    {"service", "operation", "protocol", "method", "system", "latency_ms", "sigma", "error_rate",
     "optional", "retry", "repeat", "hit_ratio", "on_miss", "calls", "parallel", "opaque"}
)


def _call(r: _Reader, raw: Any, path: str, services: frozenset[str]) -> Call:
    d = r.mapping(raw, path, _CALL_KEYS)
    protocol = d.get("protocol", "grpc")
    if protocol not in PROTOCOLS:
        raise r.fail(f"{path}.protocol", f"{protocol!r} is not one of {list(PROTOCOLS)}")
    service = r.text(d.get("service"), f"{path}.service")
    if protocol not in ("db", "cache") and service not in services:
        raise r.fail(f"{path}.service", f"{service!r} is not a declared service")
    repeat = d.get("repeat", 1)
    if isinstance(repeat, int) and not isinstance(repeat, bool):
        repeat = [repeat, repeat]
    if (
        not isinstance(repeat, list) or len(repeat) != 2
        or not all(isinstance(n, int) and not isinstance(n, bool) for n in repeat)
        or not 1 <= repeat[0] <= repeat[1] <= 100
    ):
        raise r.fail(f"{path}.repeat", "expected a count or [min, max] with 1 <= min <= max <= 100")
    if protocol in ("db", "cache") and d.get("calls"):
        raise r.fail(f"{path}.calls", "a db or cache call is a leaf; use on_miss for a cache")
    if d.get("on_miss") and protocol != "cache":
        raise r.fail(f"{path}.on_miss", "only a cache call has on_miss")
    if d.get("opaque") and protocol != "http":
        raise r.fail(f"{path}.opaque", "only an http call can be opaque")
    return Call(
        service=service,
        operation=r.text(d.get("operation"), f"{path}.operation"),
        protocol=protocol,
        method=r.text(d.get("method", "GET"), f"{path}.method").upper(),
        system=d.get("system", _DEFAULT_SYSTEM.get(protocol)),
        latency_ms=r.number(d.get("latency_ms", 5.0), f"{path}.latency_ms", 0.001, 600_000),
        sigma=r.number(d.get("sigma", 0.35), f"{path}.sigma", 0.0, 3.0),
        error_rate=r.number(d.get("error_rate", 0.0), f"{path}.error_rate", 0.0, 1.0),
        optional=r.number(d.get("optional", 1.0), f"{path}.optional", 0.0, 1.0),
        retry=r.number(d.get("retry", 0.0), f"{path}.retry", 0.0, 1.0),
        repeat=(repeat[0], repeat[1]),
        hit_ratio=r.number(d.get("hit_ratio", 0.0), f"{path}.hit_ratio", 0.0, 1.0),
        on_miss=tuple(
            _call(r, c, f"{path}.on_miss[{i}]", services)
            for i, c in enumerate(r.items(d.get("on_miss", []), f"{path}.on_miss"))
        ),
        calls=tuple(
            _call(r, c, f"{path}.calls[{i}]", services)
            for i, c in enumerate(r.items(d.get("calls", []), f"{path}.calls"))
        ),
        parallel=bool(d.get("parallel", False)),
        opaque=bool(d.get("opaque", False)),
    )


def _service(r: _Reader, raw: Any, path: str) -> Service:
    if isinstance(raw, str):
        raw = {"name": raw}
    d = r.mapping(raw, path, frozenset({"name", "pods", "version", "namespace", "name_from_pod"}))
    return Service(
        name=r.text(d.get("name"), f"{path}.name"),
        pods=int(r.number(d.get("pods", 2), f"{path}.pods", 1, 64)),
        version=r.text(str(d.get("version", "1.0.0")), f"{path}.version"),
        namespace=r.text(d.get("namespace", "shop"), f"{path}.namespace"),
        name_from_pod=bool(d.get("name_from_pod", False)),
    )


def _incident(r: _Reader, raw: Any, path: str, services: frozenset[str]) -> Incident:
    keys = frozenset({"kind", "service", "operation", "start", "duration", "start_s",
                      "duration_s", "error_rate", "factor", "delay_ms"})
    d = r.mapping(raw, path, keys)
    kind = d.get("kind")
    if kind not in INCIDENT_KINDS:
        raise r.fail(f"{path}.kind", f"expected one of {list(INCIDENT_KINDS)}")
    service = r.text(d.get("service"), f"{path}.service")
    if service not in services:
        raise r.fail(f"{path}.service", f"{service!r} is not a declared service")
    fraction = "start" in d or "duration" in d
    seconds = "start_s" in d or "duration_s" in d
    if fraction == seconds:
        raise r.fail(path, "give either start and duration (fractions) or start_s and duration_s")

    def opt(key: str, high: float) -> float | None:
        return r.number(d[key], f"{path}.{key}", 0.0, high) if key in d else None

    return Incident(
        kind=kind,
        service=service,
        operation=r.text(d["operation"], f"{path}.operation") if "operation" in d else None,
        start=opt("start", 1.0),
        duration=opt("duration", 1.0),
        start_s=opt("start_s", float("inf")),
        duration_s=opt("duration_s", float("inf")),
        error_rate=r.number(d.get("error_rate", 0.5), f"{path}.error_rate", 0.0, 1.0),
        factor=r.number(d.get("factor", 3.0), f"{path}.factor", 0.01, 1000.0),
        delay_ms=r.number(d.get("delay_ms", 100.0), f"{path}.delay_ms", 0.0, 600_000),
    )


def scenario_from_dict(data: Any, *, source: str = "<scenario>") -> Scenario:
    """Validate a scenario document; raises :class:`ScenarioError` naming the bad field."""
    r = _Reader(source)
    keys = frozenset({"name", "services", "gateway", "journeys", "incidents", "rate"})
    d = r.mapping(data, "scenario", keys)
    raw_services = r.items(d.get("services"), "services")
    services = tuple(_service(r, s, f"services[{i}]") for i, s in enumerate(raw_services))
    names = frozenset(s.name for s in services)
    if len(names) != len(services) or not services:
        raise r.fail("services", "expected at least one service, each named once")
    gateway = None
    if d.get("gateway") is not None:
        g = r.mapping(d["gateway"], "gateway",
                      frozenset({"service", "operation", "method", "latency_ms", "sigma"}))
        gateway = Gateway(
            service=r.text(g.get("service"), "gateway.service"),
            operation=r.text(g.get("operation", "HTTP POST"), "gateway.operation"),
            method=r.text(g.get("method", "POST"), "gateway.method").upper(),
            latency_ms=r.number(g.get("latency_ms", 0.8), "gateway.latency_ms", 0.001, 600_000),
            sigma=r.number(g.get("sigma", 0.3), "gateway.sigma", 0.0, 3.0),
        )
        if gateway.service not in names:
            raise r.fail("gateway.service", f"{gateway.service!r} is not a declared service")
    journeys = []
    for i, raw in enumerate(r.items(d.get("journeys"), "journeys")):
        j = r.mapping(raw, f"journeys[{i}]", frozenset({"name", "weight", "entry"}))
        entry = _call(r, j.get("entry"), f"journeys[{i}].entry", names)
        if not entry.remote:
            raise r.fail(f"journeys[{i}].entry.protocol", "a journey enters over http or grpc")
        journeys.append(JourneySpec(
            name=r.text(j.get("name"), f"journeys[{i}].name"),
            weight=r.number(j.get("weight", 1.0), f"journeys[{i}].weight", 0.0),
            entry=entry,
        ))
    if not journeys or sum(j.weight for j in journeys) <= 0:
        raise r.fail("journeys", "expected at least one journey with a positive weight")
    if len({j.name for j in journeys}) != len(journeys):
        raise r.fail("journeys", "journey names must be unique")
    incidents = tuple(
        _incident(r, x, f"incidents[{i}]", names)
        for i, x in enumerate(r.items(d.get("incidents", []), "incidents"))
    )
    return Scenario(
        name=r.text(d.get("name", "custom"), "name"),
        services=services,
        journeys=tuple(journeys),
        gateway=gateway,
        incidents=incidents,
        rate=r.number(d.get("rate", 50.0), "rate", 0.001, 1e7),
    )
