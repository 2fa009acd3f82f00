"""Sloth's own golden cases (../shared/conformance/sloth) generate the same rules with SLO Scout."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from slo_scout.core.rules import GenerateOptions, WindowsCatalog
from slo_scout.core.rules.files import generate_text
from slo_scout.core.specs.durations import DAY

CASES = Path(__file__).resolve().parents[2].parent / "shared" / "conformance" / "sloth"
VERSION = "v0.16.0-test"

pytestmark = pytest.mark.skipif(
    not CASES.is_dir(), reason=f"Sloth conformance cases not found at {CASES}"
)


def _expected(name: str) -> str:
    text = (CASES / name).read_text().replace("{{ .version }}", VERSION)
    return text.replace('{{"{{$labels.sloth_service}}"}}', "{{$labels.sloth_service}}").replace(
        '{{"{{$labels.sloth_slo}}"}}', "{{$labels.sloth_slo}}"
    )


def _generate(name: str) -> str:
    outcome = generate_text(
        (CASES / name).read_text(),
        source=name,
        period_ms=30 * DAY,
        catalog=WindowsCatalog(),
        options=GenerateOptions(version=VERSION),
    )
    assert not outcome.errors, outcome.errors
    return outcome.text


def _without_header_comment(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith("# Code generated"))


@pytest.mark.parametrize("case", ["base", "base-k8s", "openslo"])
def test_generated_rules_equal_sloths_parsed_and_byte_for_byte(case: str) -> None:
    got = _generate(f"in-{case}.yaml")
    expected = _expected(f"out-{case}.yaml.tpl")
    assert list(yaml.safe_load_all(got)) == list(yaml.safe_load_all(expected))
    assert _without_header_comment(got) == _without_header_comment(expected)


def test_an_unknown_spec_version_is_rejected_naming_the_version_field() -> None:
    outcome = generate_text(
        (CASES / "in-invalid-version.yaml").read_text(),
        source="in-invalid-version.yaml",
        period_ms=30 * DAY,
        catalog=WindowsCatalog(),
        options=GenerateOptions(version=VERSION),
    )
    assert outcome.text == ""
    assert [e.field for e in outcome.errors] == ["version"]
    assert "prometheus/v999" in outcome.errors[0].message


@pytest.mark.parametrize("path", sorted((CASES / "validate" / "good").glob("*.yaml")), ids=str)
def test_good_validation_cases_are_valid(path: Path) -> None:
    outcome = generate_text(
        path.read_text(),
        source=path.name,
        period_ms=30 * DAY,
        catalog=WindowsCatalog(),
        options=GenerateOptions(version=VERSION),
    )
    assert outcome.errors == ()


BAD = {
    "bad-aa.yaml": (1, "slos[1].objective"),
    "bad-k8s.yaml": (1, "spec.service"),
    "bad-multi.yaml": (2, "slos[1].sli"),
    "bad-openslo.yaml": (1, "spec.timeWindows[0].count"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_validation_cases_fail_naming_document_and_field(name: str) -> None:
    outcome = generate_text(
        (CASES / "validate" / "bad" / name).read_text(),
        source=name,
        period_ms=30 * DAY,
        catalog=WindowsCatalog(),
        options=GenerateOptions(version=VERSION),
    )
    assert [(e.document, e.field) for e in outcome.errors][:1] == [BAD[name]]
    assert all(e.source == name for e in outcome.errors)
