"""The chart under test, rendered and linted by the real Helm library (helm-python-sdk: Helm v4
through ctypes, no helm binary), once per values file and cached for the session."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

helm = pytest.importorskip("helm_python", reason="helm-python-sdk is in the 'infra' extra")

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "infrastructure" / "helm" / "slo-scout"
DOCKER = ROOT / "infrastructure" / "docker"
RELEASE = "demo"
NAMESPACE = "slo"
KUBE_VERSION = "1.30.0"
# Each values file a platform team installs with, beside the chart's own defaults.
VALUES_FILES = {"default": None, "dev": CHART / "values-dev.yaml",
                "prod": CHART / "values-prod.yaml"}


@dataclass(frozen=True)
class Manifest:
    template: str
    doc: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.doc["kind"])

    @property
    def name(self) -> str:
        return str(self.doc["metadata"]["name"])

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.name} ({self.template})"


def values_of(variant: str) -> dict[str, Any]:
    path = VALUES_FILES[variant]
    return {} if path is None else yaml.safe_load(path.read_text())


@cache
def chart() -> Any:
    return helm.Chart.load(str(CHART))


@cache
def rendered(variant: str) -> tuple[Manifest, ...]:
    """Every object the chart renders for a values file, as an install would."""
    out = chart().render(values=values_of(variant), name=RELEASE, namespace=NAMESPACE,
                         is_install=True)
    manifests = []
    for template, text in sorted(out.items()):
        if template.endswith("NOTES.txt"):
            continue
        for doc in yaml.safe_load_all(text):
            if doc:
                manifests.append(Manifest(template, doc))
    return tuple(manifests)


@cache
def notes(variant: str) -> str:
    out = chart().render(values=values_of(variant), name=RELEASE, namespace=NAMESPACE,
                         is_install=True)
    return next(text for template, text in out.items() if template.endswith("NOTES.txt"))


def render_with(values: dict[str, Any]) -> tuple[Manifest, ...]:
    out = chart().render(values=values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    return tuple(Manifest(t, d) for t, text in sorted(out.items()) if not t.endswith("NOTES.txt")
                 for d in yaml.safe_load_all(text) if d)


def lint(variant: str) -> dict[str, Any]:
    report: dict[str, Any] = helm.lint(str(CHART), values_of(variant), strict=True,
                                       namespace=NAMESPACE, kube_version=f"v{KUBE_VERSION}")
    return report


def of_kind(variant: str, *kinds: str) -> list[Manifest]:
    return [m for m in rendered(variant) if m.kind in kinds]


def one(variant: str, kind: str, name_suffix: str) -> Manifest:
    found = [m for m in of_kind(variant, kind) if m.name.endswith(name_suffix)]
    assert len(found) == 1, f"expected one {kind} named *{name_suffix}, found {found}"
    return found[0]


def pod_spec(manifest: Manifest) -> dict[str, Any] | None:
    """The pod template of a workload (FlinkDeployment: its podTemplate), else None."""
    spec = manifest.doc.get("spec", {})
    if manifest.kind in ("Deployment", "StatefulSet", "Job"):
        return spec["template"]["spec"]
    if manifest.kind == "FlinkDeployment":
        return spec["podTemplate"]["spec"]
    return None


WORKLOADS = ("Deployment", "StatefulSet", "Job", "FlinkDeployment")
