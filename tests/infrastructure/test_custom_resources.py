"""Custom resources carry the apiVersion, kind and the fields their operators require:
Strimzi (Kafka, KafkaNodePool, KafkaTopic), the Flink Kubernetes Operator (FlinkDeployment) and
the Prometheus Operator (ServiceMonitor, PodMonitor, PrometheusRule)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from tests.infrastructure.chart import VALUES_FILES, of_kind, one, rendered

VARIANTS = sorted(VALUES_FILES)
K8S_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def _in_chart_kafka() -> list[str]:
    return [v for v in VARIANTS if of_kind(v, "Kafka")]


@pytest.mark.parametrize("variant", _in_chart_kafka())
def test_the_strimzi_kafka_is_a_kraft_cluster_with_node_pools(variant: str) -> None:
    kafka = one(variant, "Kafka", "-kafka").doc
    assert kafka["apiVersion"] == "kafka.strimzi.io/v1beta2"
    assert kafka["metadata"]["annotations"]["strimzi.io/node-pools"] == "enabled"
    assert kafka["metadata"]["annotations"]["strimzi.io/kraft"] == "enabled"
    listeners = kafka["spec"]["kafka"]["listeners"]
    assert listeners and all({"name", "port", "type", "tls"} <= set(lis) for lis in listeners)
    assert "topicOperator" in kafka["spec"]["entityOperator"]
    pools = of_kind(variant, "KafkaNodePool")
    assert pools, "a KRaft cluster needs a KafkaNodePool"
    for pool in pools:
        spec = pool.doc["spec"]
        assert pool.doc["apiVersion"] == "kafka.strimzi.io/v1beta2"
        assert pool.doc["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
        assert spec["replicas"] >= 1
        assert set(spec["roles"]) == {"controller", "broker"}
        assert spec["storage"]["type"] in {"jbod", "persistent-claim", "ephemeral"}


@pytest.mark.parametrize("variant", _in_chart_kafka())
def test_each_kafka_topic_names_its_cluster_and_its_real_topic(variant: str) -> None:
    cluster = one(variant, "Kafka", "-kafka").name
    topics = of_kind(variant, "KafkaTopic")
    assert topics
    for topic in topics:
        assert topic.doc["apiVersion"] == "kafka.strimzi.io/v1beta2"
        assert topic.doc["metadata"]["labels"]["strimzi.io/cluster"] == cluster
        assert K8S_NAME.match(topic.name) and len(topic.name) <= 63
        spec = topic.doc["spec"]
        assert spec["topicName"] and spec["partitions"] >= 1 and spec["replicas"] >= 1
        assert spec["config"]["min.insync.replicas"] <= spec["replicas"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_flink_deployments_carry_what_the_operator_validates(variant: str) -> None:
    deployments = of_kind(variant, "FlinkDeployment")
    if not deployments:
        pytest.skip("streaming is off in this values file")
    for fd in deployments:
        spec = fd.doc["spec"]
        assert fd.doc["apiVersion"] == "flink.apache.org/v1beta1"
        assert spec["image"] and spec["flinkVersion"] == "v2_0"
        assert spec["serviceAccount"]
        for process in ("jobManager", "taskManager"):
            resource = spec[process]["resource"]
            assert resource["cpu"] > 0 and re.match(r"^\d+m$", resource["memory"])
        job = spec["job"]
        assert job["jarURI"].startswith("local:///")
        assert job["entryClass"] == "org.apache.flink.client.python.PythonDriver"
        assert "-pym" in job["args"]
        assert job["upgradeMode"] in {"stateless", "last-state", "savepoint"}
        conf = spec["flinkConfiguration"]
        assert all(isinstance(v, str) for v in conf.values()), "Flink configuration is strings"
        assert conf["execution.checkpointing.dir"]
        if job["upgradeMode"] != "stateless":
            # The operator refuses last-state/savepoint upgrades without checkpoints and HA.
            assert conf["high-availability.type"] == "kubernetes"
            assert conf["high-availability.storageDir"]
            assert conf["execution.checkpointing.savepoint-dir"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_flink_checkpoint_storage_follows_the_values(variant: str) -> None:
    from tests.infrastructure.chart import values_of

    configured = values_of(variant).get("streaming", {}).get("checkpoints", {}).get("directory")
    for fd in of_kind(variant, "FlinkDeployment"):
        directory = fd.doc["spec"]["flinkConfiguration"]["execution.checkpointing.dir"]
        if configured:
            assert directory.startswith(configured.rstrip("/") + "/")


@pytest.mark.parametrize("variant", VARIANTS)
def test_prometheus_operator_resources_are_well_formed(variant: str) -> None:
    for sm in of_kind(variant, "ServiceMonitor"):
        assert sm.doc["apiVersion"] == "monitoring.coreos.com/v1"
        assert sm.doc["spec"]["selector"]["matchLabels"]
        assert all(e["port"] and e["path"] for e in sm.doc["spec"]["endpoints"])
    for pm in of_kind(variant, "PodMonitor"):
        assert pm.doc["apiVersion"] == "monitoring.coreos.com/v1"
        assert pm.doc["spec"]["selector"]["matchLabels"]
        assert pm.doc["spec"]["podMetricsEndpoints"]
    for rule in of_kind(variant, "PrometheusRule"):
        assert rule.doc["apiVersion"] == "monitoring.coreos.com/v1"
        for group in rule.doc["spec"]["groups"]:
            assert group["name"] and group["rules"]
            assert all(r["alert"] and r["expr"] for r in group["rules"])


@pytest.mark.parametrize("variant", [v for v in VARIANTS if of_kind(v, "PrometheusRule")])
def test_promtool_accepts_the_platform_alerts(variant: str, tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (Debian package prometheus)")
    groups = [g for r in of_kind(variant, "PrometheusRule") for g in r.doc["spec"]["groups"]]
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(yaml.safe_dump({"groups": groups}))
    result = subprocess.run([promtool, "check", "rules", str(rules_file)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_service_monitor_scrapes_every_service_port_that_serves_metrics() -> None:
    monitors = {(sm.doc["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"],
                 e["port"]) for sm in of_kind("default", "ServiceMonitor")
                for e in sm.doc["spec"]["endpoints"]}
    # The API and the collectors serve /metrics on their HTTP port, the worker on its metrics
    # port, Milvus on 9091.
    assert {("api", "http"), ("worker", "metrics"), ("collector", "otlp-http"),
            ("milvus", "metrics")} <= monitors
    assert of_kind("default", "PodMonitor"), "Flink pods are scraped through a PodMonitor"
    assert all(m.doc["kind"] for m in rendered("default"))
