"""Where a bundle's files go: per service, the period-split Sloth files with their service."""

from __future__ import annotations

import pytest

from slo_scout.core.delivery import DeliveryConfig, Target, plan, read_config, services_in
from slo_scout.core.errors import SpecError

BUNDLE = {
    "recommendations.yaml": "evidence",
    "sloth/frontend.yaml": "30d", "sloth/frontend-28d.yaml": "28d",
    "kubernetes/sloth/frontend-28d.yaml": "crd", "rules/frontend-28d.yaml": "rules",
    "openslo/frontend.yaml": "o", "pyrra/frontend.yaml": "p", "dashboards/frontend.json": "d",
    "runbooks/frontend/checkout-latency.md": "r",
    # a service whose slug ends like a period suffix is still its own service
    "openslo/frontend-2d.yaml": "o2", "sloth/frontend-2d.yaml": "s2",
}


def test_each_service_takes_its_own_files_including_each_periods_sloth_file() -> None:
    assert services_in(BUNDLE) == ["frontend", "frontend-2d"]
    planned = plan(BUNDLE, Target("Shop", "frontend", "prod"), DeliveryConfig())
    assert sorted(planned) == [f"slo/shop/frontend/prod/{p}" for p in sorted([
        "sloth/frontend.yaml", "sloth/frontend-28d.yaml", "kubernetes/sloth/frontend-28d.yaml",
        "rules/frontend-28d.yaml", "openslo/frontend.yaml", "pyrra/frontend.yaml",
        "dashboards/frontend.json", "runbooks/frontend/checkout-latency.md"])]
    other = plan(BUNDLE, Target("shop", "frontend-2d", "prod"), DeliveryConfig())
    assert sorted(other) == ["slo/shop/frontend-2d/prod/openslo/frontend-2d.yaml",
                             "slo/shop/frontend-2d/prod/sloth/frontend-2d.yaml"]


def test_outputs_choose_what_goes() -> None:
    config = DeliveryConfig().with_overrides(outputs=("kubernetes", "runbooks"))
    planned = plan(BUNDLE, Target("shop", "frontend", "prod"), config)
    assert {p.split("/")[4] for p in planned} == {"kubernetes", "runbooks"}


@pytest.mark.parametrize(("text", "field"), [
    ("delivery: [1]", "delivery"),
    ("delivery:\n  colour: red", "delivery"),
    ("delivery:\n  outputs: rules", "delivery.outputs"),
    ("delivery:\n  path: /etc/{team}", "path"),
    ("delivery:\n  branch: '{owner}'", "branch"),
])
def test_a_bad_repository_config_names_its_field(text: str, field: str) -> None:
    with pytest.raises(SpecError) as bad:
        read_config(text, ".slo-scout.yaml")
    assert bad.value.field == field and bad.value.source == ".slo-scout.yaml"
