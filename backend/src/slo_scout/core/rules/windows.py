"""Alert windows: which windows and budget shares each multi-window multi-burn-rate alert uses.

Sloth ships two catalogs, from the Google SRE workbook: 30 days and 28 days (page: 2% of the
budget in 1h with a 5m short window, 5% in 6h with 30m; ticket: 10% in 1d with 2h, 10% in 3d
with 6h). `--slo-period-windows-path` replaces them with `sloth.slok.dev/v1` `AlertWindows`
files, one per SLO period (a period may appear only once).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from slo_scout.core.errors import SpecError
from slo_scout.core.specs.durations import DAY, HOUR, MINUTE, format_duration, parse_duration

API_VERSION = "sloth.slok.dev/v1"
KIND = "AlertWindows"


@dataclass(frozen=True)
class Window:
    error_budget_percent: float
    short_ms: int
    long_ms: int


@dataclass(frozen=True)
class AlertWindows:
    slo_period_ms: int
    page_quick: Window
    page_slow: Window
    ticket_quick: Window
    ticket_slow: Window


def google_windows(period_ms: int) -> AlertWindows:
    """The Google SRE workbook windows Sloth ships, for any period."""
    return AlertWindows(
        slo_period_ms=period_ms,
        page_quick=Window(2, 5 * MINUTE, 1 * HOUR),
        page_slow=Window(5, 30 * MINUTE, 6 * HOUR),
        ticket_quick=Window(10, 2 * HOUR, 1 * DAY),
        ticket_slow=Window(10, 6 * HOUR, 3 * DAY),
    )


DEFAULT_WINDOWS = (google_windows(30 * DAY), google_windows(28 * DAY))


class WindowsCatalog:
    """Alert windows by SLO period."""

    def __init__(self, windows: Iterable[AlertWindows] = DEFAULT_WINDOWS) -> None:
        self._by_period: dict[int, AlertWindows] = {}
        for item in windows:
            if item.slo_period_ms in self._by_period:
                raise SpecError(
                    f"{format_duration(item.slo_period_ms)} slo period is already loaded",
                    field="spec.sloPeriod",
                )
            self._by_period[item.slo_period_ms] = item

    @property
    def periods(self) -> tuple[int, ...]:
        return tuple(sorted(self._by_period))

    def get(self, period_ms: int) -> AlertWindows | None:
        return self._by_period.get(period_ms)


def parse_alert_windows(text: str, *, source: str) -> AlertWindows:
    """An `AlertWindows` document; SpecError naming the field when it is not one."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SpecError(f"not valid YAML: {exc}", source=source) from exc
    if not isinstance(doc, Mapping):
        raise SpecError("must be a mapping", source=source)
    if doc.get("apiVersion") != API_VERSION or doc.get("kind") != KIND:
        raise SpecError(
            f"invalid spec version: want apiVersion {API_VERSION!r} and kind {KIND!r}",
            source=source,
            field="apiVersion",
        )
    spec = _mapping(doc.get("spec"), "spec", source)
    page = _mapping(spec.get("page"), "spec.page", source)
    ticket = _mapping(spec.get("ticket"), "spec.ticket", source)
    return AlertWindows(
        slo_period_ms=_duration(spec, "sloPeriod", "spec", source),
        page_quick=_window(page.get("quick"), "spec.page.quick", source),
        page_slow=_window(page.get("slow"), "spec.page.slow", source),
        ticket_quick=_window(ticket.get("quick"), "spec.ticket.quick", source),
        ticket_slow=_window(ticket.get("slow"), "spec.ticket.slow", source),
    )


def _mapping(obj: Any, path: str, source: str) -> Mapping[str, Any]:
    if not isinstance(obj, Mapping):
        raise SpecError("is required", source=source, field=path)
    return obj


def _duration(obj: Mapping[str, Any], key: str, path: str, source: str) -> int:
    try:
        value = parse_duration(str(obj.get(key, "")))
    except ValueError as exc:
        raise SpecError(str(exc), source=source, field=f"{path}.{key}") from exc
    if value <= 0:
        raise SpecError("is required", source=source, field=f"{path}.{key}")
    return value


def _window(obj: Any, path: str, source: str) -> Window:
    window = _mapping(obj, path, source)
    budget = window.get("errorBudgetPercent")
    if isinstance(budget, bool) or not isinstance(budget, int | float) or budget <= 0:
        raise SpecError(
            "error budget is required", source=source, field=f"{path}.errorBudgetPercent"
        )
    return Window(
        error_budget_percent=float(budget),
        short_ms=_duration(window, "shortWindow", path, source),
        long_ms=_duration(window, "longWindow", path, source),
    )
