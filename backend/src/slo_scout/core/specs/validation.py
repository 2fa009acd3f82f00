"""Sloth's SLO validation rules (pkg/common/validation), reporting every problem with its field.

Rules: SLO id, name and service match `^[A-Za-z0-9][-A-Za-z0-9_.]*[A-Za-z0-9]$`; the period is
set; 0 < objective <= 100; label names are Prometheus label names (not `__name__`) with non-empty
values; exactly one SLI type; event queries differ; every query uses `{{.window}}` and parses as
PromQL once the window is filled in; an enabled alert has a name, valid labels and non-empty
annotations. Label names follow the classic charset (`[a-zA-Z_][a-zA-Z0-9_]*`) because the
Prometheus releases this project targets (promtool 2.42) reject anything else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import promql_parser

from slo_scout.core.errors import SpecError
from slo_scout.core.specs.model import AlertMeta, Labels, SLIEvents, SLIRaw, SLOSpec

NAME_RE = re.compile(r"^[A-Za-z0-9][-A-Za-z0-9_.]*[A-Za-z0-9]$")
LABEL_NAME_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_WINDOW_VAR_RE = re.compile(r"\{\{ *\.window *\}\}")
_ANY_ACTION_RE = re.compile(r"\{\{.*?\}\}", re.DOTALL)
# Sloth renders `{{.window}}` with this placeholder before parsing a query.
_VALIDATION_WINDOW = "1m"


def render_window(query: str, window: str) -> str:
    """Fill `{{.window}}` in an SLI query template (the only variable Sloth defines)."""
    return _WINDOW_VAR_RE.sub(window, query)


def query_problem(query: str) -> str | None:
    """Why an SLI query template is unusable, or None."""
    if not query.strip():
        return "query template is required"
    if not _WINDOW_VAR_RE.search(query):
        return "template must contain the {{ .window }} variable"
    leftover = _ANY_ACTION_RE.search(_WINDOW_VAR_RE.sub("", query))
    if leftover is not None:
        return f"unknown template action {leftover.group(0)!r}: only {{{{.window}}}} is defined"
    return promql_problem(render_window(query, _VALIDATION_WINDOW))


def promql_problem(expr: str) -> str | None:
    """The PromQL parser's complaint about an expression, or None when it parses."""
    try:
        promql_parser.parse(expr)
    except ValueError as exc:
        return f"invalid PromQL: {exc}"
    return None


def name_problem(value: str) -> str | None:
    if not value:
        return "is required"
    if not NAME_RE.match(value):
        return (
            f"{value!r} must start and end with an alphanumeric and can only contain "
            "alphanumeric, '.', '_', and '-'"
        )
    return None


def label_problems(labels: Labels, *, annotations: bool = False) -> list[tuple[str, str]]:
    """(label name, problem) pairs for invalid labels or annotations."""
    kind = "annotation" if annotations else "label"
    out = []
    for key, value in labels:
        if not LABEL_NAME_RE.match(key) or (key == "__name__" and not annotations):
            out.append((key, f"the {kind} key {key!r} is not valid"))
        elif value == "":
            out.append((key, f"the {kind} value of {key!r} is required"))
    return out


class SLOValidator:
    """Checks one SLO; `paths` maps model fields to the document's own field paths."""

    def __init__(self, *, source: str, document: int | None, paths: Mapping[str, str]) -> None:
        self._source = source
        self._document = document
        self._paths = paths
        self.errors: list[SpecError] = []

    def add(self, model_field: str, message: str) -> None:
        field_path = self._paths.get(model_field, model_field)
        self.errors.append(
            SpecError(message, source=self._source, document=self._document, field=field_path)
        )

    def check(self, slo: SLOSpec) -> list[SpecError]:
        named = True
        for model_field, value in (("name", slo.name), ("service", slo.service)):
            problem = name_problem(value)
            if problem is not None:
                named = False
                self.add(model_field, f"invalid SLO {model_field}: {problem}")
        problem = name_problem(slo.id)
        if named and problem is not None:
            self.add("id", f"invalid SLO id: {problem}")
        if slo.period_ms <= 0:
            self.add("period", "time window is required")
        if not 0 < slo.objective <= 100:
            self.add("objective", f"objective must be >0 and <=100, got {slo.objective:g}")
        for _key, problem in label_problems(slo.labels):
            self.add("labels", f"invalid SLO label: {problem}")
        self._check_sli(slo.sli)
        self._check_alert("page_alert", slo.page_alert)
        self._check_alert("ticket_alert", slo.ticket_alert)
        for policy in slo.policy_alerts:
            self._check_alert(
                "policy_alerts",
                AlertMeta(
                    disable=False,
                    name=policy.name,
                    labels=policy.labels,
                    annotations=policy.annotations,
                ),
            )
        return self.errors

    def _check_sli(self, sli: SLIEvents | SLIRaw | None) -> None:
        if sli is None:
            self.add("sli", "at least one SLI type is required (events or raw)")
            return
        if isinstance(sli, SLIEvents):
            if sli.error_query == sli.total_query:
                self.add("sli", "both error and total queries can't be the same")
            for model_field, query in (
                ("sli.error_query", sli.error_query),
                ("sli.total_query", sli.total_query),
            ):
                problem = query_problem(query)
                if problem is not None:
                    self.add(model_field, problem)
            return
        problem = query_problem(sli.error_ratio_query)
        if problem is not None:
            self.add("sli.error_ratio_query", problem)

    def _check_alert(self, which: str, alert: AlertMeta) -> None:
        if alert.disable:
            return
        if not alert.name:
            self.add(f"{which}.name", f"{which.replace('_', ' ')} name is required")
        elif which == "policy_alerts" and name_problem(alert.name) is not None:
            self.add(f"{which}.name", f"invalid alert policy name: {name_problem(alert.name)}")
        for _, problem in label_problems(alert.labels):
            self.add(f"{which}.labels", problem)
        for _, problem in label_problems(alert.annotations, annotations=True):
            self.add(f"{which}.annotations", problem)


def check_unique_ids(slos: tuple[SLOSpec, ...], validator: SLOValidator) -> None:
    """Sloth rejects a group where two SLOs share an id (service-name)."""
    seen: set[str] = set()
    for slo in slos:
        if slo.id in seen:
            validator.add("name", f"SLO ID {slo.id!r} is repeated")
        seen.add(slo.id)
