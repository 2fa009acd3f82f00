"""Rule generation for one input document: windows lookup, then the generator chain per SLO.

Mirrors Sloth's generate service: extra labels (`-l key=value`) are merged into every SLO's
labels (so into recording rules, not alerts, exactly as Sloth does), the alert group comes from
the windows catalog for the SLO's period (for an OpenSLO SLO with alert policies and a period the
catalog lacks, the Google SRE workbook windows: its alerts use the policies' windows), and
`--disable-recordings` / `--disable-alerts` /
`--disable-optimized-rules` change which generators run.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from slo_scout.core.errors import SpecError
from slo_scout.core.rules.burn import mwmb_alerts
from slo_scout.core.rules.generators import (
    AlertRulesGenerator,
    MetadataRulesGenerator,
    RuleGenerator,
    SLIRulesGenerator,
    ValidateGenerator,
    check_expressions,
)
from slo_scout.core.rules.model import GenerationRequest, Info, SLOResult, SLORules
from slo_scout.core.rules.windows import WindowsCatalog, google_windows
from slo_scout.core.specs.durations import format_duration
from slo_scout.core.specs.model import Labels, ServiceSpec, merge_labels


@dataclass(frozen=True)
class GenerateOptions:
    version: str
    extra_labels: Labels = ()
    disable_recordings: bool = False
    disable_alerts: bool = False
    disable_optimized_rules: bool = False
    # (SLO name, failed events) for low-traffic SLOs: their page and ticket alerts also need
    # that many failures in the long window, so one failure alone never pages.
    min_failures: tuple[tuple[str, int], ...] = ()


def build_chain(options: GenerateOptions) -> tuple[RuleGenerator, ...]:
    chain: list[RuleGenerator] = [ValidateGenerator()]
    if not options.disable_recordings:
        chain += [
            SLIRulesGenerator(optimized=not options.disable_optimized_rules),
            MetadataRulesGenerator(),
        ]
    if not options.disable_alerts:
        chain.append(AlertRulesGenerator())
    return tuple(chain)


def generate_rules(
    spec: ServiceSpec, catalog: WindowsCatalog, options: GenerateOptions
) -> tuple[SLOResult, ...]:
    """Rules for every SLO of `spec`; SpecError (naming the document) on the first problem."""
    chain = build_chain(options)
    info = Info(version=options.version, mode=spec.kind.mode, spec=spec.kind.value)
    results = []
    for slo in spec.slos:
        slo = replace(slo, labels=merge_labels(slo.labels, options.extra_labels))
        windows = catalog.get(slo.period_ms)
        if windows is None and slo.policy_alerts:
            # Policies bring their own alert windows; Sloth's still give the SLI windows.
            windows = google_windows(slo.period_ms)
        if windows is None:
            known = ", ".join(format_duration(p) for p in catalog.periods)
            raise SpecError(
                f"the {format_duration(slo.period_ms)} SLO period time window is not supported "
                f"(alert windows exist for: {known}; add an AlertWindows file with "
                "--slo-period-windows-path)",
                source=spec.source,
                document=spec.document,
                field=f"SLO {slo.name!r} period",
            )
        request = GenerationRequest(
            info=info, slo=slo, alerts=mwmb_alerts(slo.id, slo.objective, windows),
            min_failures=dict(options.min_failures).get(slo.name, 0),
        )
        rules = SLORules()
        try:
            for generator in chain:
                rules = generator(request, rules)
            check_expressions(rules)
        except SpecError as exc:
            raise SpecError(
                exc.reason, source=spec.source, document=spec.document, field=exc.field
            ) from exc
        results.append(SLOResult(slo=slo, rules=rules))
    if not any(
        r.rules.sli_recordings or r.rules.meta_recordings or r.rules.alerts for r in results
    ):
        raise SpecError(
            "0 SLO Prometheus rules generated", source=spec.source, document=spec.document
        )
    return tuple(results)
