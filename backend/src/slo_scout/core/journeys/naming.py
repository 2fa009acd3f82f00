"""Words for people: journey names and what makes a variant different.

A journey is named ``<what it does> (<entry> → <services it calls>)``, for example
``trips left (ts-travel-service /api/v1/travelservice/trips/left → ts-basic-service,
ts-seat-service)``. "What it does" comes from the entry's operation; when the entry is generic
(every request enters through the same ``frontend HTTP POST``) it comes from the journey's most
distinctive downstream call: the one the fewest sibling journeys make.

A variant's difference is told against the journey's most common shape: ``skips X``,
``adds Y``, ``repeats Z`` (X, Y, Z are ``service operation``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Final

from slo_scout.core.journeys.fingerprint import Shape, shape_edges
from slo_scout.core.journeys.model import Entry
from slo_scout.core.journeys.templating import is_generic_path

_CAMEL: Final = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_MAX_SERVICES: Final = 4
_MAX_DIFFERENCES: Final = 3


def _words(text: str) -> str:
    return " ".join(_CAMEL.sub(" ", text).replace("_", " ").replace("-", " ").lower().split())


def humanize(operation: str) -> str:
    """``/api/v1/travelservice/trips/left`` -> ``trips left``; ``a.B/AddItem`` -> ``add item``."""
    text = operation.strip()
    if " " in text and text.split(" ", 1)[0].isupper():
        text = text.split(" ", 1)[1]  # "GET /users/{id}"
    if text.startswith("/"):
        parts = [
            p
            for p in text.split("/")
            if p and not p.startswith(("{", ":", "[", "<")) and not is_generic_path(p)
        ]
        named = [p for p in parts if not p.lower().endswith("service")] or parts
        return _words(" ".join(named[-2:])) or text
    last = re.split(r"[/.]", text)[-1] or text
    return _words(last) or text


def _service_list(services: Sequence[str]) -> str:
    shown = list(services[:_MAX_SERVICES])
    if len(services) > _MAX_SERVICES:
        shown.append(f"+{len(services) - _MAX_SERVICES} more")
    return ", ".join(shown)


def journey_name(entry: Entry, purpose: str, callees: Sequence[str]) -> str:
    where = entry.label
    if callees:
        where += " → " + _service_list(callees)
    return f"{purpose} ({where})"


def distinctive_call(
    calls: Iterable[tuple[str, str]], frequency: dict[tuple[str, str], int]
) -> tuple[str, str] | None:
    """The call fewest sibling journeys make (ties: alphabetical)."""
    ranked = sorted(calls, key=lambda call: (frequency.get(call, 0), call))
    return ranked[0] if ranked else None


_Edge = tuple[str, str, str]


def _step(edge: _Edge) -> str:
    return f"{edge[1]} {edge[2]}"


def _clause(verb: str, edges: Iterable[_Edge]) -> str | None:
    names = sorted({_step(edge) for edge in edges})
    if not names:
        return None
    if len(names) > _MAX_DIFFERENCES:
        names = [*names[:_MAX_DIFFERENCES], f"{len(names) - _MAX_DIFFERENCES} more"]
    return f"{verb} {', '.join(names)}"


def _differences(
    calls: frozenset[_Edge],
    repeated: frozenset[_Edge],
    main_calls: frozenset[_Edge],
    main_repeated: frozenset[_Edge],
) -> list[str]:
    clauses = [
        _clause("skips", main_calls - calls),
        _clause("adds", calls - main_calls),
        _clause("repeats", repeated - main_repeated),
        _clause("calls once", (main_repeated - repeated) & calls),
    ]
    return [clause for clause in clauses if clause]


def _across(edges: frozenset[_Edge]) -> frozenset[_Edge]:
    return frozenset(edge for edge in edges if edge[0] != edge[1])


def variant_difference(variant: Shape, main: Shape) -> str:
    """Plain words for how ``variant`` differs from the journey's ``main`` shape.

    Calls between services are compared first; work inside one service (repository calls, SQL)
    is only mentioned when the services' calls are the same.
    """
    if variant == main:
        return "most common shape"
    calls, repeated = shape_edges(variant)
    main_calls, main_repeated = shape_edges(main)
    said = _differences(
        _across(calls), _across(repeated), _across(main_calls), _across(main_repeated)
    ) or _differences(calls, repeated, main_calls, main_repeated)
    if not said:
        return "same calls, nested differently"
    return "; ".join(said)
