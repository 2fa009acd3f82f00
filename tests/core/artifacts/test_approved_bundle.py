"""Bundles of approved SLO records: every file renders what was approved, through one chain."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import yaml
from tests.golden.journeys import build_journey, traffic

from slo_scout.core.artifacts import (
    CHAIN,
    BundleRequest,
    SloRecord,
    render_approved,
    run_chain,
)
from slo_scout.core.errors import SloScoutError
from slo_scout.core.recommend import Recommendation, Strategy, recommend_journey
from slo_scout.core.rules import GenerateOptions, WindowsCatalog
from slo_scout.core.rules.files import generate_text
from slo_scout.core.slis import FAMILIES, FamilyKind, SliKind
from slo_scout.core.specs.durations import DAY

START = 1_700_000_000 - 1_700_000_000 % 60
NOW_S = START + 1440 * 60
NOW = datetime.fromtimestamp(NOW_S, UTC)
FAMILY = FAMILIES[FamilyKind.SPANMETRICS]
CHECKOUT = build_journey(
    name="POST /api/cart",
    service="frontend",
    operation="/api/cart",
    method="POST",
    minutes=traffic(start_s=START, minutes=1440, per_minute=60, error_every=3000,
                    latencies_s=(0.03, 0.05, 0.12, 0.35)),
)


def _recommended(kind: SliKind) -> Recommendation:
    recs = recommend_journey(CHECKOUT, FAMILY, strategy=Strategy.BALANCED, now_s=NOW_S)
    return next(r for r in recs if r.kind is kind)


def _record(kind: SliKind = SliKind.LATENCY, **changes: object) -> SloRecord:
    fields: dict[str, object] = {
        "journey_id": CHECKOUT.id, "kind": kind, "name": f"add-to-cart-{kind.value}",
        "objective": 99.5, "threshold_s": 0.8 if kind is SliKind.LATENCY else None,
        "period_days": 28, "description": "", "owner": "shop",
        "approval": "version 2, last changed by key:erin, approved by key:dave",
        "recommendation": _recommended(kind),
    }
    return SloRecord(**{**fields, **changes})  # type: ignore[arg-type]


def _render(*records: SloRecord, **options: object) -> dict[str, str]:
    return render_approved([CHECKOUT], list(records), family=FAMILY,
                           strategy=Strategy.BALANCED, now=NOW, version="test",
                           **options)  # type: ignore[arg-type]


def test_every_file_renders_the_approved_name_window_and_threshold() -> None:
    recommended = _recommended(SliKind.LATENCY)
    assert recommended.threshold_s != 0.8
    files = _render(_record(SliKind.AVAILABILITY), _record())
    assert sorted(files) == [
        "dashboards/frontend.json", "kubernetes/rules/frontend-28d.yaml",
        "kubernetes/sloth/frontend-28d.yaml", "openslo/frontend.yaml", "pyrra/frontend.yaml",
        "recommendations.yaml", "rules/frontend-28d.yaml",
        "runbooks/frontend/add-to-cart-availability.md", "runbooks/frontend/add-to-cart-latency.md",
        "sloth/frontend-28d.yaml"]
    for path, text in files.items():
        if not path.startswith("runbooks/"):
            assert "add-to-cart-availability" in text and "add-to-cart-latency" in text, path
            assert "post-api-cart" not in text, path  # the generated names
    spec = yaml.safe_load(files["sloth/frontend-28d.yaml"])
    assert spec["labels"] == {"owner": "shop"}
    assert [(s["name"], s["objective"], s["alerting"]["name"]) for s in spec["slos"]] == [
        ("add-to-cart-availability", 99.5, "AddToCartAvailability"),
        ("add-to-cart-latency", 99.5, "AddToCartLatency")]
    for path in ("sloth/frontend-28d.yaml", "openslo/frontend.yaml", "rules/frontend-28d.yaml"):
        assert 'le=~"800(\\\\.0)?"' in files[path], path
    assert 'le="800"' in files["pyrra/frontend.yaml"]
    assert "within 0.8 s over 28d" in files["dashboards/frontend.json"]
    runbook = files["runbooks/frontend/add-to-cart-latency.md"]
    assert "| Objective | 99.5% of requests within 0.8 s, over 28 days |" in runbook
    assert "| Owner | shop |" in runbook


def test_the_28_day_rule_file_is_what_sloth_generates_from_the_spec_with_a_28_day_period() -> None:
    files = _render(_record(SliKind.AVAILABILITY), _record())
    assert "`sloth generate --default-slo-period 28d -i`" in files["sloth/frontend-28d.yaml"]
    assert "`--default-slo-period 28d`" in files["kubernetes/sloth/frontend-28d.yaml"]
    regenerated = generate_text(files["kubernetes/sloth/frontend-28d.yaml"], source="crd",
                                period_ms=28 * DAY, catalog=WindowsCatalog(),
                                options=GenerateOptions(version="test"))
    assert regenerated.errors == ()
    assert regenerated.text == files["kubernetes/rules/frontend-28d.yaml"]
    plain = generate_text(files["sloth/frontend-28d.yaml"], source="spec", period_ms=28 * DAY,
                          catalog=WindowsCatalog(), options=GenerateOptions(version="test"))
    # The same rules but for what sloth_slo_info records of the input (mode and spec kind).
    as_crd = plain.text.replace("cli-gen-prom", "cli-gen-k8s").replace(
        "sloth_spec: prometheus/v1", "sloth_spec: sloth.slok.dev/v1")
    assert as_crd == files["rules/frontend-28d.yaml"]
    assert "slo:sli_error:ratio_rate4w" in regenerated.text and "vector(28)" in regenerated.text
    assert "ratio_rate30d" not in regenerated.text
    # Sloth's 28-day page alert: 2% of the budget in 1h is 13.44 times the budget rate.
    assert "(13.44 * 0.005" in regenerated.text


def test_a_service_with_30_and_28_day_slos_gets_one_sloth_file_per_period() -> None:
    files = _render(_record(SliKind.AVAILABILITY, period_days=30), _record())
    assert {p for p in files if p.startswith(("sloth/", "rules/"))} == {
        "sloth/frontend.yaml", "sloth/frontend-28d.yaml", "rules/frontend.yaml",
        "rules/frontend-28d.yaml"}
    crds = [yaml.safe_load(files[f"kubernetes/sloth/{stem}.yaml"])["metadata"]["name"]
            for stem in ("frontend", "frontend-28d")]
    assert crds == ["frontend", "frontend-28d"]
    windows = {d["metadata"]["name"]: d["spec"]["window"]
               for d in yaml.safe_load_all(files["pyrra/frontend.yaml"])}
    assert windows == {"add-to-cart-availability": "30d", "add-to-cart-latency": "28d"}
    conditions = {d["metadata"]["name"] for d in yaml.safe_load_all(files["openslo/frontend.yaml"])
                  if d["kind"] == "AlertCondition"}
    assert conditions == {"page-burn-rate-28d", "ticket-burn-rate-28d", "page-burn-rate-30d",
                          "ticket-burn-rate-30d"}


def test_the_runbook_gives_the_approved_numbers_first_and_the_recommendation_as_measured() -> None:
    recommended = _recommended(SliKind.LATENCY)
    runbook = _render(_record(description="Carts must feel instant."))[
        "runbooks/frontend/add-to-cart-latency.md"]
    why = runbook.split("## Why this objective", 1)[1].strip().split("\n\n")
    assert why[0] == ("Approved: 99.5% of requests within 0.8 s over 28 days (version 2, last "
                      "changed by key:erin, approved by key:dave).")
    assert why[1] == "Carts must feel instant."
    assert why[2].startswith(f"The analysis recommended {recommended.objective:g}% of requests "
                             f"within {recommended.threshold_s:g} s over 30 days; what it "
                             "measured: ")


def test_the_report_pairs_each_approved_slo_with_the_recommendation_it_came_from() -> None:
    report = yaml.safe_load(_render(_record())["recommendations.yaml"])
    [entry] = report["recommendations"]
    assert entry["threshold_seconds"] == _recommended(SliKind.LATENCY).threshold_s
    assert entry["slo"] == {"name": "add-to-cart-latency", "objective": 99.5,
                            "threshold_seconds": 0.8, "window_days": 28, "owner": "shop",
                            "approval": _record().approval}


def test_a_threshold_that_is_no_bucket_is_refused_naming_the_slo() -> None:
    with pytest.raises(SloScoutError, match=r"add-to-cart-latency: .*not a bucket boundary"):
        _render(_record(threshold_s=0.3))


def test_a_period_sloth_has_no_alert_windows_for_is_refused_before_anything_is_written() -> None:
    with pytest.raises(SloScoutError, match="no alert windows for a 7-day period"):
        _render(_record(period_days=7))


def test_two_slos_of_one_service_with_one_name_are_refused() -> None:
    with pytest.raises(SloScoutError, match="two SLOs named add-to-cart"):
        _render(_record(name="add-to-cart"), _record(SliKind.AVAILABILITY, name="add-to-cart"))


@dataclass(frozen=True)
class _Inventory:
    """An output added to the bundle: one generator, nothing else changed."""

    id: str = "inventory/v1"

    def __call__(self, request: BundleRequest, files: Mapping[str, str]) -> dict[str, str]:
        lines = [f"{s.name} {s.period_days}d" for s in request.slos]
        return {"inventory.txt": "\n".join([*lines, *sorted(files)]) + "\n"}


def test_adding_an_output_is_adding_one_generator_to_the_chain() -> None:
    files = _render(_record(), chain=(*CHAIN, _Inventory()))
    assert files["inventory.txt"].startswith("add-to-cart-latency 28d\n")
    assert "sloth/frontend-28d.yaml" in files["inventory.txt"]
    assert {p for p in files if p != "inventory.txt"} == set(_render(_record()))


def test_a_generator_that_writes_a_path_twice_is_refused() -> None:
    again = dataclasses.replace(_Inventory(), id="inventory/v2")
    with pytest.raises(SloScoutError, match=r"inventory/v2 writes inventory\.txt a second time"):
        _render(_record(), chain=(*CHAIN, _Inventory(), again))


def test_the_chain_generators_have_distinct_versioned_ids() -> None:
    ids = [g.id for g in CHAIN]
    assert len(ids) == len(set(ids)) and all("/" in i for i in ids)
    assert run_chain((), BundleRequest(slos=(), journeys=(), recommendations=(), family=FAMILY,
                                       strategy=Strategy.BALANCED, now=NOW,
                                       version="test")) == {}
