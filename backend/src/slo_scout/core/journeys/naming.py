"""Words for people: journey names and what makes a variant different.

A journey is named ``<what it does> (<entry> → <services it calls>)``, for example
``trips left (ts-travel-service /api/v1/travelservice/trips/left → ts-basic-service,
ts-seat-service)``. "What it does" comes from the entry's operation; when the entry is generic
(every request enters through the same ``frontend HTTP POST``) it comes from the journey's most
distinctive downstream calls: the fewest that no sibling journey makes all of
(:func:`distinctive_calls`).

A variant's difference is told against the journey's most common shape: ``skips X``,
``adds Y``, ``repeats Z`` (X, Y, Z are ``service operation``).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from typing import Final

from slo_scout.core.journeys.fingerprint import Shape
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


_Call = tuple[str, str]


def distinctive_calls(calls: Iterable[_Call], siblings: Sequence[frozenset[_Call]]) -> list[_Call]:
    """The fewest calls (one, else two) that no sibling journey makes all of.

    Rarer calls (made by fewer siblings) are tried first, ties alphabetical. A product page whose
    every call some other page also makes is told apart by a pair (``get ads + list
    recommendations``: the home page shows ads, the cart lists recommendations, only the product
    page does both). When no pair sets it apart, the rarest call alone.
    """
    ranked = sorted(calls, key=lambda call: (sum(call in other for other in siblings), call))
    for size in (1, 2):
        for combo in itertools.combinations(ranked, size):
            if not any(all(call in other for call in combo) for other in siblings):
                return list(combo)
    return ranked[:1]


_Step = tuple[str, str]
_Path = tuple[_Step, ...]


def _paths(shape: Shape, across: bool) -> tuple[set[_Path], set[_Path]]:
    """Call paths from the entry (``(service, operation)`` steps) and the repeated ones.

    With ``across``, only the calls that cross into another service are steps of a path.
    """
    paths: set[_Path] = set()
    repeated: set[_Path] = set()
    stack: list[tuple[Shape, _Path]] = [(shape, ((shape[0], shape[1]),))]
    while stack:
        node, path = stack.pop()
        for child in node[3]:
            if across and child[0] == node[0]:
                child_path = path
            else:
                child_path = (*path, (child[0], child[1]))
                paths.add(child_path)
                if child[2]:
                    repeated.add(child_path)
            stack.append((child, child_path))
    return paths, repeated


def _tops(paths: set[_Path]) -> list[_Path]:
    """The paths whose parent path is not in the set: a whole missing subtree said once."""
    return [path for path in paths if path[:-1] not in paths]


def _clause(verb: str, paths: list[_Path]) -> str | None:
    names = sorted({f"{path[-1][0]} {path[-1][1]}" for path in paths})
    if not names:
        return None
    if len(names) > _MAX_DIFFERENCES:
        names = [*names[:_MAX_DIFFERENCES], f"{len(names) - _MAX_DIFFERENCES} more"]
    return f"{verb} {', '.join(names)}"


def _differences(variant: Shape, main: Shape, across: bool) -> list[str]:
    paths, repeated = _paths(variant, across)
    main_paths, main_repeated = _paths(main, across)
    clauses = [
        _clause("skips", _tops(main_paths - paths)),
        _clause("adds", _tops(paths - main_paths)),
        _clause("repeats", sorted(repeated - main_repeated)),
        _clause("calls once", sorted((main_repeated - repeated) & paths)),
    ]
    return [clause for clause in clauses if clause]


def variant_difference(variant: Shape, main: Shape) -> str:
    """Plain words for how ``variant`` differs from the journey's ``main`` shape.

    Calls between services are compared first (as paths from the entry, so a database call
    skipped under one caller is seen even when another caller still makes it); work inside one
    service (repository calls, SQL) is only mentioned when the services' calls are the same.
    """
    if variant == main:
        return "most common shape"
    said = _differences(variant, main, True) or _differences(variant, main, False)
    return "; ".join(said) if said else "same calls, ordered differently"
