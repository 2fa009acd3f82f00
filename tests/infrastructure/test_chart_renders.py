"""The chart renders, lints clean and validates against Kubernetes 1.30 for every values file,
and a wrong value fails at install time with a message that names it."""

from __future__ import annotations

import pytest
from tests.infrastructure.chart import (
    KUBE_VERSION,
    VALUES_FILES,
    chart,
    helm,
    lint,
    notes,
    render_with,
    rendered,
)

kubernetes_validate = pytest.importorskip("kubernetes_validate.utils")

# Kinds whose schema is not in Kubernetes itself; test_custom_resources checks them.
CUSTOM_KINDS = {"Kafka", "KafkaNodePool", "KafkaTopic", "FlinkDeployment", "ServiceMonitor",
                "PodMonitor", "PrometheusRule"}
VARIANTS = sorted(VALUES_FILES)


def test_the_installed_kubernetes_validate_ships_the_1_30_schema() -> None:
    assert KUBE_VERSION in kubernetes_validate.all_versions()


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_chart_renders_objects_for_each_values_file(variant: str) -> None:
    kinds = {m.kind for m in rendered(variant)}
    assert {"Deployment", "Service", "ServiceAccount", "NetworkPolicy", "Job"} <= kinds


@pytest.mark.parametrize("variant", VARIANTS)
def test_helm_lint_reports_nothing_for_each_values_file(variant: str) -> None:
    report = lint(variant)
    assert report["errors"] == [], report
    assert report["messages"] == [], report


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_core_manifest_validates_against_the_kubernetes_1_30_schema(variant: str) -> None:
    problems = []
    for manifest in rendered(variant):
        if manifest.kind in CUSTOM_KINDS:
            continue
        try:
            kubernetes_validate.validate(manifest.doc, KUBE_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            problems.append(f"{manifest.ref}: {error.message} at {list(error.path)}")
    assert problems == []


@pytest.mark.parametrize("variant", VARIANTS)
def test_no_kind_is_left_unchecked(variant: str) -> None:
    unchecked = []
    for manifest in rendered(variant):
        if manifest.kind in CUSTOM_KINDS:
            continue
        try:
            kubernetes_validate.validate(manifest.doc, KUBE_VERSION, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            unchecked.append(manifest.ref)
        except kubernetes_validate.ValidationError:
            pass
    assert unchecked == []


def test_the_schema_names_a_negative_replica_count() -> None:
    with pytest.raises(helm.HelmValuesError) as caught:
        chart().render(values={"api": {"replicas": -1}}, name="demo", namespace="slo")
    assert "/api/replicas" in str(caught.value)
    assert "minimum" in str(caught.value)


def test_the_schema_names_an_unknown_key() -> None:
    with pytest.raises(helm.HelmValuesError) as caught:
        chart().render(values={"collector": {"replicaCount": 3}}, name="demo", namespace="slo")
    assert "/collector" in str(caught.value)
    assert "replicaCount" in str(caught.value)


def test_the_schema_refuses_an_unknown_top_level_key() -> None:
    with pytest.raises(helm.HelmValuesError) as caught:
        chart().validate_schema({"postgresql": {"enabled": True}})
    assert "postgresql" in str(caught.value)


def test_the_schema_refuses_a_wrong_type_and_a_bad_enum() -> None:
    for values, where in [({"worker": {"replicas": "two"}}, "/worker/replicas"),
                          ({"streaming": {"flinkVersion": "v1_20"}}, "/streaming/flinkVersion"),
                          ({"images": {"flink": {"digest": "latest"}}}, "/images/flink/digest")]:
        with pytest.raises(helm.HelmValuesError) as caught:
            chart().validate_schema(values)
        assert where in str(caught.value), values


def test_every_shipped_values_file_passes_the_schema() -> None:
    for variant in VARIANTS:
        chart().validate_schema(
            {} if VALUES_FILES[variant] is None
            else __import__("yaml").safe_load(VALUES_FILES[variant].read_text()))


def test_an_external_dependency_without_its_address_fails_with_a_message() -> None:
    with pytest.raises(helm.HelmRenderError) as caught:
        render_with({"kafka": {"enabled": False}})
    assert "kafka.external.bootstrapServers is required" in str(caught.value)
    with pytest.raises(helm.HelmRenderError) as caught:
        render_with({"timescaledb": {"enabled": False}})
    assert "secrets.database.existingSecret is required" in str(caught.value)


def test_notes_tell_how_to_reach_the_api_and_send_otlp() -> None:
    default = notes("default")
    assert "port-forward svc/demo-slo-scout-api" in default
    assert "OTEL_EXPORTER_OTLP_ENDPOINT=http://demo-slo-scout-collector.slo.svc:4318" in default
    assert "demo-slo-scout-collector.slo.svc:4317" in default
    assert "https://slo-scout.example.com/docs" in notes("prod")


def test_the_catalog_job_is_on_with_streaming_and_switches_off_with_all_it_brings() -> None:
    def catalog_objects(manifests: tuple) -> list[str]:  # type: ignore[type-arg]
        return sorted(f"{m.kind}/{m.name}" for m in manifests
                      if m.doc["metadata"].get("labels", {}).get("app.kubernetes.io/component")
                      == "catalog-job")

    assert catalog_objects(rendered("default")) == [
        f"{kind}/demo-slo-scout-catalog-job"
        for kind in ("Deployment", "NetworkPolicy", "ServiceAccount")]
    for values in ({"streaming": {"catalogJob": {"enabled": False}}},
                   {"streaming": {"enabled": False}}):
        assert catalog_objects(render_with(values)) == [], values


def test_the_schema_refuses_a_catalog_job_setting_it_does_not_have() -> None:
    for values, where in [({"streaming": {"catalogJob": {"replicas": -1}}},
                           "/streaming/catalogJob/replicas"),
                          # The job polls at most 500 records; there is no batch to set.
                          ({"streaming": {"catalogJob": {"batch": 100}}},
                           "/streaming/catalogJob")]:
        with pytest.raises(helm.HelmValuesError) as caught:
            chart().validate_schema(values)
        assert where in str(caught.value), values
