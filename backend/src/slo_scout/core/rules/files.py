"""One input text in, the rule text Sloth would write for it out (all documents, in order).

Used by `slo-scout generate` and `slo-scout validate`: every document is read, validated and
generated before anything is returned, so a bad document in a file means no partial output.
Documents that carry no SLO to generate (OpenSLO v1 SLI, AlertPolicy, Service...) are skipped;
Pyrra documents are validated but produce no rules (Pyrra generates its own).
"""

from __future__ import annotations

from dataclasses import dataclass

from slo_scout.core.errors import SpecError
from slo_scout.core.rules.generate import GenerateOptions, generate_rules
from slo_scout.core.rules.model import SLOResult
from slo_scout.core.rules.render import render_prometheus_rule, render_rule_file
from slo_scout.core.rules.windows import WindowsCatalog
from slo_scout.core.specs.documents import read_documents
from slo_scout.core.specs.openslo_v1_objects import SharedObjects


@dataclass(frozen=True)
class FileOutcome:
    """The rendered rules of one input (empty when nothing to generate) or its problems."""

    text: str
    results: tuple[SLOResult, ...]
    errors: tuple[SpecError, ...]
    documents: int


def generate_text(
    text: str,
    *,
    source: str,
    period_ms: int,
    catalog: WindowsCatalog,
    options: GenerateOptions,
    allow_pyrra: bool = False,
    shared: SharedObjects | None = None,
) -> FileOutcome:
    """`shared`: the OpenSLO v1 documents of the run's other inputs, for cross-file references."""
    docs = read_documents(text, source=source, period_ms=period_ms, shared=shared)
    errors: list[SpecError] = []
    rendered: list[str] = []
    results: list[SLOResult] = []
    for doc in docs:
        errors.extend(doc.errors)
        if doc.format == "pyrra" and not allow_pyrra:
            errors.append(
                SpecError(
                    "Pyrra specs are validated, not generated (Pyrra writes its own rules)",
                    source=source,
                    document=doc.index,
                )
            )
        if doc.spec is None or doc.errors:
            continue
        try:
            slo_results = generate_rules(doc.spec, catalog, options)
        except SpecError as exc:
            errors.append(exc)
            continue
        results.extend(slo_results)
        if doc.spec.kubernetes is not None:
            rendered.append(
                render_prometheus_rule(slo_results, doc.spec.kubernetes, version=options.version)
            )
        else:
            rendered.append(render_rule_file(slo_results, version=options.version))
    if errors:
        return FileOutcome("", (), tuple(errors), len(docs))
    return FileOutcome("".join(rendered), tuple(results), (), len(docs))
