"""Prometheus rules for the bundle, made from the Sloth specs it writes.

The rules come from ``slo_scout.core.rules`` reading the very spec text in the bundle, so the
rule file is exactly what ``slo-scout generate`` (and Sloth) would write for that spec: a team
can regenerate it from the spec and get the same bytes.
"""

from __future__ import annotations

from collections.abc import Mapping

from slo_scout.core.errors import SpecError
from slo_scout.core.rules import (
    GenerateOptions,
    WindowsCatalog,
    generate_rules,
    render_prometheus_rule,
    render_rule_file,
)
from slo_scout.core.specs.documents import read_documents

_DAY_MS = 24 * 3600 * 1000


def rules_from_spec(
    spec_text: str, *, source: str, version: str, period_days: int = 30,
    min_failures: Mapping[str, int] | None = None,
) -> tuple[str, str]:
    """A Prometheus rule file and the same rules as a PrometheusRule, for one spec file.

    ``spec_text`` is a Sloth ``PrometheusServiceLevel`` CRD (its metadata names the
    PrometheusRule); the plain rule file holds the same groups. ``min_failures``: per SLO name,
    the failed events a low-traffic SLO's alerts also need in their long window.
    """
    results = read_documents(spec_text, source=source, period_ms=period_days * _DAY_MS)
    for result in results:
        if result.errors:
            raise result.errors[0]
    specs = [r.spec for r in results if r.spec is not None]
    if len(specs) != 1:
        raise SpecError(f"expected one service spec, found {len(specs)}", source=source)
    spec = specs[0]
    options = GenerateOptions(version=version,
                              min_failures=tuple(sorted((min_failures or {}).items())))
    slo_rules = generate_rules(spec, WindowsCatalog(), options)
    if spec.kubernetes is None:
        raise SpecError("a PrometheusServiceLevel is needed to name the rule", source=source)
    return (
        render_rule_file(slo_rules, version=version),
        render_prometheus_rule(slo_rules, spec.kubernetes, version=version),
    )
