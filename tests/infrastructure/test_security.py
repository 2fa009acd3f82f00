"""Every pod the chart runs is locked down and bounded: non-root, no privilege escalation, all
capabilities dropped, seccomp RuntimeDefault, a read-only root filesystem with a writable /tmp,
requests and limits; its own ServiceAccount; a NetworkPolicy that selects it."""

from __future__ import annotations

import pytest
from tests.infrastructure.chart import VALUES_FILES, WORKLOADS, of_kind, one, pod_spec

VARIANTS = sorted(VALUES_FILES)


def _containers(variant: str):  # type: ignore[no-untyped-def]
    for manifest in of_kind(variant, *WORKLOADS):
        spec = pod_spec(manifest)
        assert spec is not None
        for container in spec.get("initContainers", []) + spec["containers"]:
            yield manifest, spec, container


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_container_runs_locked_down(variant: str) -> None:
    for manifest, spec, container in _containers(variant):
        where = f"{manifest.ref} container {container['name']}"
        pod = spec["securityContext"]
        ctx = container["securityContext"]
        assert pod["runAsNonRoot"] is True and ctx["runAsNonRoot"] is True, where
        assert pod["seccompProfile"]["type"] == "RuntimeDefault", where
        assert ctx["seccompProfile"]["type"] == "RuntimeDefault", where
        assert ctx["allowPrivilegeEscalation"] is False, where
        assert ctx["capabilities"]["drop"] == ["ALL"], where
        assert ctx["readOnlyRootFilesystem"] is True, where
        mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
        assert "/tmp" in mounts, f"{where}: a read-only root needs a writable /tmp"


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_container_has_requests_and_limits(variant: str) -> None:
    for manifest, _spec, container in _containers(variant):
        if manifest.kind == "FlinkDeployment":
            # The operator sizes JobManager and TaskManager from spec.jobManager/taskManager.
            for process in ("jobManager", "taskManager"):
                assert manifest.doc["spec"][process]["resource"], manifest.ref
            continue
        resources = container["resources"]
        for bound in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(resources[bound]), f"{manifest.ref}: {bound}"


@pytest.mark.parametrize("variant", VARIANTS)
def test_each_component_has_its_own_service_account_and_only_flink_gets_a_token(
        variant: str) -> None:
    accounts = {sa.name: sa.doc for sa in of_kind(variant, "ServiceAccount")}
    used: dict[str, str] = {}
    for manifest in of_kind(variant, *WORKLOADS):
        spec = manifest.doc["spec"]
        name = (spec["serviceAccount"] if manifest.kind == "FlinkDeployment"
                else pod_spec(manifest)["serviceAccountName"])  # type: ignore[index]
        assert name in accounts, f"{manifest.ref} uses a ServiceAccount the chart does not create"
        component = manifest.doc["metadata"]["labels"]["app.kubernetes.io/component"]
        if not component.endswith("-job"):
            assert used.setdefault(name, component) == component, f"{name} shared"
    for name, sa in accounts.items():
        assert sa["automountServiceAccountToken"] is name.endswith("-flink"), name
    # RBAC only for Flink, only namespaced, no wildcards.
    for role in of_kind(variant, "Role", "ClusterRole"):
        assert role.kind == "Role" and role.name.endswith("-flink")
        for rule in role.doc["rules"]:
            assert "*" not in rule["verbs"] and "*" not in rule["resources"]
    for manifest in of_kind(variant, "Deployment", "StatefulSet", "Job"):
        assert pod_spec(manifest)["automountServiceAccountToken"] is False  # type: ignore[index]


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_network_policy_selects_every_pod_both_ways(variant: str) -> None:
    policies = [p.doc["spec"] for p in of_kind(variant, "NetworkPolicy")]
    for manifest in of_kind(variant, *WORKLOADS):
        if manifest.kind == "FlinkDeployment":
            labels = manifest.doc["spec"]["podTemplate"]["metadata"]["labels"]
        else:
            labels = manifest.doc["spec"]["template"]["metadata"]["labels"]
        selecting = [p for p in policies
                     if p["podSelector"]["matchLabels"].items() <= labels.items()]
        assert selecting, f"no NetworkPolicy selects {manifest.ref}"
        for policy in selecting:
            assert set(policy["policyTypes"]) == {"Ingress", "Egress"}


def test_only_the_collectors_and_the_api_accept_traffic_from_outside_the_release() -> None:
    from tests.infrastructure.chart import chart

    np = chart().values["networkPolicy"]
    for policy in of_kind("default", "NetworkPolicy"):
        component = policy.doc["metadata"]["labels"]["app.kubernetes.io/component"]
        if component == "migrations":
            assert policy.doc["spec"]["ingress"] == [], policy.ref
        if component == "worker":  # Prometheus scrapes its metrics port, nothing else comes in
            [rule] = policy.doc["spec"]["ingress"]
            assert rule["from"] == [{"namespaceSelector": np["prometheusNamespaceSelector"]}]
            assert rule["ports"] == [{"protocol": "TCP",
                                      "port": chart().values["worker"]["metricsPort"]}]


@pytest.mark.parametrize("variant", VARIANTS)
def test_nothing_secret_is_rendered_from_values(variant: str) -> None:
    for manifest in of_kind(variant, "Secret"):
        # The only Secret the chart writes holds a password it generated for its own database.
        assert manifest.name.endswith("-database") and variant != "prod", manifest.ref
    for manifest, _spec, container in _containers(variant):
        for env in container.get("env", []):
            if any(word in env["name"] for word in ("PASSWORD", "DATABASE_URL", "DSN", "KEY",
                                                    "TOKEN")):
                assert "valueFrom" in env, f"{manifest.ref}: {env['name']} must come from a Secret"


def _policy(variant: str, component: str) -> dict:  # type: ignore[type-arg]
    [policy] = [p.doc["spec"] for p in of_kind(variant, "NetworkPolicy")
                if p.doc["metadata"]["labels"]["app.kubernetes.io/component"] == component]
    return policy  # type: ignore[no-any-return]


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_catalog_job_takes_nothing_in_and_reaches_only_dns_kafka_and_the_database(
        variant: str) -> None:
    from tests.infrastructure.chart import chart, values_of

    def merged(defaults: dict, overrides: dict) -> dict:  # type: ignore[type-arg]
        return {k: merged(v, overrides.get(k, {})) if isinstance(v, dict)
                else overrides.get(k, v) for k, v in defaults.items()}

    values = merged(chart().values, values_of(variant))
    kafka, db = values["kafka"], values["timescaledb"]
    kafka_port = 9092 if kafka["enabled"] else kafka["external"]["port"]
    db_port = 5432 if db["enabled"] else db["external"]["port"]
    policy = _policy(variant, "catalog-job")
    assert policy["ingress"] == []
    ports = [sorted((p["protocol"], p["port"]) for p in rule["ports"]) for rule in policy["egress"]]
    assert ports == [[("TCP", 53), ("UDP", 53)], [("TCP", kafka_port)], [("TCP", db_port)]]


def test_the_in_chart_kafka_and_database_admit_the_catalog_job() -> None:
    labels = one("default", "Deployment", "-catalog-job").doc["spec"]["template"]["metadata"][
        "labels"]

    def admits(peers: list[dict]) -> bool:  # type: ignore[type-arg]
        return any("podSelector" in p and p["podSelector"]["matchLabels"].items() <= labels.items()
                   for p in peers)

    [kafka] = of_kind("default", "Kafka")
    [plain] = [x for x in kafka.doc["spec"]["kafka"]["listeners"] if x["port"] == 9092]
    assert admits(plain["networkPolicyPeers"]), "Strimzi's listener policy shuts it out"
    [rule] = _policy("default", "timescaledb")["ingress"]
    assert admits(rule["from"]), "TimescaleDB's policy shuts it out"
