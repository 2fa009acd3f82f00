"""The chart and the code agree: every variable the templates set is one the code reads, the
commands and modules the pods run exist, the Kafka topics, database and Milvus names are the
code's, and every probe path and port is one the process serves (each runtime is started and
asked for the probe paths read from the rendered manifests)."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path
from urllib.parse import urlparse

import pytest
from pydantic import AliasChoices, BaseModel
from pydantic_settings import BaseSettings
from tests.infrastructure.chart import VALUES_FILES, of_kind, one, pod_spec, values_of

VARIANTS = sorted(VALUES_FILES)


def settings_env(cls: type[BaseSettings]) -> tuple[set[str], set[str]]:
    """The environment variable names a pydantic-settings class reads, and the required ones."""
    config = cls.model_config
    prefix, delimiter = config.get("env_prefix", ""), config.get("env_nested_delimiter") or "__"
    names: set[str] = set()
    required: set[str] = set()

    def walk(model: type[BaseModel], path: str) -> None:
        for field_name, field in model.model_fields.items():
            env = f"{path}{field_name}".upper()
            alias = field.validation_alias
            if isinstance(alias, AliasChoices):
                names.update(str(c).upper() for c in alias.choices)
            elif isinstance(alias, str):
                names.add(alias.upper())
            else:
                names.add(env)
            if field.is_required():
                required.add(env)
            annotation = field.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                walk(annotation, f"{env}{delimiter}")

    walk(cls, prefix)
    return names, required


def _settings_class(container_owner: str) -> type[BaseSettings]:
    if container_owner in ("api", "worker", "migrations"):
        from slo_scout.settings import Settings
        return Settings
    if container_owner == "collector":
        from slo_scout_collectors.settings import CollectorSettings
        return CollectorSettings
    from slo_scout_streaming.settings import PipelineSettings
    return PipelineSettings


OUR_COMPONENTS = ("api", "worker", "migrations", "collector", "journey-job", "embedding-job",
                  "catalog-job")


def _our_containers(variant: str):  # type: ignore[no-untyped-def]
    for manifest in of_kind(variant, "Deployment", "Job", "FlinkDeployment"):
        component = manifest.doc["metadata"]["labels"]["app.kubernetes.io/component"]
        if component not in OUR_COMPONENTS:
            continue
        for container in pod_spec(manifest)["containers"]:  # type: ignore[index]
            yield component, manifest, container


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variable_the_chart_sets_is_one_the_code_reads(variant: str) -> None:
    unknown = []
    for component, manifest, container in _our_containers(variant):
        known, _ = settings_env(_settings_class(component))
        for env in container.get("env", []):
            if env["name"] not in known:
                unknown.append(f"{manifest.ref}: {env['name']}")
    assert unknown == []


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_setting_the_code_requires_is_set(variant: str) -> None:
    for component, manifest, container in _our_containers(variant):
        _, required = settings_env(_settings_class(component))
        missing = required - {e["name"] for e in container.get("env", [])}
        assert not missing, f"{manifest.ref} lacks {missing}"


def test_the_control_plane_gets_its_database_and_the_journey_job_the_same_one() -> None:
    for variant in VARIANTS:
        api = one(variant, "Deployment", "-api")
        env = {e["name"]: e for e in pod_spec(api)["containers"][0]["env"]}  # type: ignore[index]
        db = env["SLO_SCOUT_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
        for fd in of_kind(variant, "FlinkDeployment"):
            if fd.name.endswith("-journey-job"):
                job_env = {e["name"]: e for e in pod_spec(fd)["containers"][0]["env"]}  # type: ignore[index]
                assert job_env["SLO_SCOUT_PIPELINE_DATABASE_DSN"]["valueFrom"]["secretKeyRef"] == db


def test_the_image_environment_is_read_by_the_code_too() -> None:
    from tests.infrastructure.test_dockerfiles import _instructions

    owners = {"control-plane": "api", "collector": "collector", "flink": "journey-job"}
    for image, owner in owners.items():
        known, _ = settings_env(_settings_class(owner))
        for value in _instructions(image, "ENV"):
            for name in (part.split("=")[0] for part in value.split() if "=" in part):
                if name.startswith("SLO_SCOUT_"):
                    assert name in known, f"{image} image sets {name}, which nothing reads"


def test_the_kafka_topics_in_the_chart_are_the_code_s_topics() -> None:
    from slo_scout_collectors.settings import Topics
    from slo_scout_streaming.settings import PipelineSettings

    names = values_of("default") or {}
    from tests.infrastructure.chart import chart

    chart_names = chart().values["kafka"]["topics"]["names"]
    collector = Topics()
    pipeline = PipelineSettings()
    assert chart_names == {
        "spans": collector.spans, "metrics": collector.metrics, "logs": collector.logs,
        "deadLetter": collector.dead_letter, "journeysNew": pipeline.journeys_topic,
    }, names
    assert pipeline.spans_topic == collector.spans
    assert pipeline.dead_letter_topic == collector.dead_letter
    topics = {t.doc["spec"]["topicName"] for t in of_kind("default", "KafkaTopic")}
    assert topics == set(chart_names.values())


def test_the_database_and_milvus_names_are_the_code_s() -> None:
    from slo_scout_streaming.settings import PipelineSettings
    from tests.infrastructure.chart import chart

    defaults = chart().values
    pipeline = PipelineSettings()
    assert defaults["timescaledb"]["database"] == urlparse(pipeline.database_dsn).path.lstrip("/")
    assert defaults["milvus"]["collection"] == pipeline.milvus_collection


def test_the_commands_and_job_modules_the_pods_run_exist() -> None:
    import typer.main

    from slo_scout.cli.main import app

    commands = set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
    for variant in VARIANTS:
        for _component, manifest, container in _our_containers(variant):
            if manifest.kind == "FlinkDeployment":
                args = manifest.doc["spec"]["job"]["args"]
                module = args[args.index("-pym") + 1]
                assert importlib.util.find_spec(module) is not None, \
                    f"{manifest.ref} runs {module}, which does not exist"
            elif container.get("command", [""])[0] == "python":
                # A module run as a program (the embedding job, from the Flink image).
                command = container["command"]
                assert command[1] == "-m", f"{manifest.ref} runs {command}"
                spec = importlib.util.find_spec(command[2])
                assert spec is not None and spec.origin, f"{manifest.ref}: no {command[2]}"
                source = Path(spec.origin).read_text()
                assert 'if __name__ == "__main__":' in source, f"{command[2]} runs nothing"
            elif "command" in container:
                command = container["command"]
                assert command[0] == "slo-scout", f"{manifest.ref} runs {command}"
                assert command[1] in commands, f"{manifest.ref}: {command}"
            else:
                # The control plane image's entrypoint is `slo-scout`: the pod gives arguments.
                assert container["args"][0] in commands, f"{manifest.ref}: {container['args']}"


def test_the_images_start_the_commands_the_pods_run() -> None:
    import json

    from tests.infrastructure.test_dockerfiles import _instructions

    entrypoint = {image: json.loads(_instructions(image, "ENTRYPOINT")[-1])
                  for image in ("control-plane", "collector")}
    assert entrypoint["control-plane"] == ["slo-scout"]
    for variant in VARIANTS:
        collector = pod_spec(one(variant, "Deployment", "-collector"))["containers"][0]  # type: ignore[index]
        assert collector["command"] == entrypoint["collector"] == ["slo-scout", "collect"]
        for suffix in ("-api", "-worker"):
            container = pod_spec(one(variant, "Deployment", suffix))["containers"][0]  # type: ignore[index]
            assert "command" not in container, f"{suffix} keeps the image's entrypoint"
        job = pod_spec(one(variant, "Job", "-migrations"))["containers"][0]  # type: ignore[index]
        assert "command" not in job and job["args"] == ["migrate"]


def test_the_worker_metrics_the_alerts_and_dashboard_query_are_ones_the_worker_serves() -> None:
    import re

    from prometheus_client.exposition import generate_latest
    from prometheus_client.parser import text_string_to_metric_families
    from tests.infrastructure.chart import CHART

    from slo_scout.worker.metrics import WorkerMetrics

    text = generate_latest(WorkerMetrics(stale_after_s=60).registry).decode()
    served = {s.name for f in text_string_to_metric_families(text) for s in f.samples}
    rules = [r["expr"] for rule in of_kind("default", "PrometheusRule")
             for g in rule.doc["spec"]["groups"] for r in g["rules"]]
    dashboard = (CHART / "dashboards" / "slo-scout-platform.json").read_text()
    queried = set(re.findall(r"slo_scout_worker_\w+", "\n".join([*rules, dashboard])))
    assert {"slo_scout_worker_jobs_finished_total",
            "slo_scout_worker_job_duration_seconds_bucket"} <= queried
    assert queried <= served, f"not served by the worker: {queried - served}"
    outcomes = set(re.findall(r'outcome="(\w+)"', "\n".join(rules)))
    assert outcomes and outcomes <= {s.labels.get("outcome") for f in
                                     text_string_to_metric_families(text) for s in f.samples}


# The consumer jobs the chart runs as Deployments: the settings each must read (a sanity check
# of the parse) and those whose defaults are right on Kubernetes too, so the chart leaves them.
CONSUMER_JOBS = {
    "embedding-job": ("slo_scout_streaming.embedding_job",
                      {"milvus_uri", "milvus_collection", "journeys_topic"},
                      {"bounded", "embedding_group_id", "milvus_index"}),
    "catalog-job": ("slo_scout_streaming.catalog_job",
                    {"metrics_topic", "logs_topic", "database_dsn", "environment"},
                    {"bounded", "catalog_group_id"}),
}


def _settings_read_by(module: str, seen: set[str] | None = None) -> set[str]:
    """Every ``settings.<field>`` (or ``self.settings.<field>``) a module's source reads,
    following its imports of other streaming modules (a job's shared consumer loop reads
    settings on the job's behalf)."""
    seen = set() if seen is None else seen
    seen.add(module)
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin
    tree = ast.parse(Path(spec.origin).read_text())

    def is_settings(node: ast.expr) -> bool:
        return ((isinstance(node, ast.Name) and node.id == "settings")
                or (isinstance(node, ast.Attribute) and node.attr == "settings"))

    read = {node.attr for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and is_settings(node.value)}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "slo_scout_streaming":
            imported = [f"slo_scout_streaming.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "slo_scout_streaming."):
            imported = [node.module or ""]
        else:
            continue
        for name in imported:
            if name not in seen and name != "slo_scout_streaming.settings" \
                    and importlib.util.find_spec(name) is not None:
                read |= _settings_read_by(name, seen)
    return read


def _job_env(variant: str, component: str) -> tuple[str, dict[str, dict[str, object]]]:
    job = one(variant, "Deployment", f"-{component}")
    return job.ref, {e["name"]: e for e in pod_spec(job)["containers"][0]["env"]}  # type: ignore[index]


@pytest.mark.parametrize("component", sorted(CONSUMER_JOBS))
@pytest.mark.parametrize("variant", VARIANTS)
def test_the_chart_sets_every_setting_a_consumer_job_reads(variant: str, component: str) -> None:
    from slo_scout_streaming.settings import PipelineSettings

    module, must_read, defaults_kept = CONSUMER_JOBS[component]
    read = _settings_read_by(module)
    assert read <= set(PipelineSettings.model_fields), read - set(PipelineSettings.model_fields)
    assert must_read <= read, f"{module} no longer reads {must_read - read}: is the parse right?"
    ref, env = _job_env(variant, component)
    expected = {f"SLO_SCOUT_PIPELINE_{name.upper()}" for name in read - defaults_kept}
    assert expected <= set(env), f"{ref} lacks {expected - set(env)}"
    # ... and nothing the job does not read (a Flink setting here would be a leftover).
    assert set(env) <= expected, f"{ref} sets {set(env) - expected}, which it never reads"


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_embedding_job_writes_the_collection_and_environment_the_chart_names(
        variant: str) -> None:
    from tests.infrastructure.chart import chart

    values = {**chart().values}
    overrides = values_of(variant)
    job = one(variant, "Deployment", "-embedding-job")
    env = {e["name"]: e.get("value") for e in pod_spec(job)["containers"][0]["env"]}  # type: ignore[index]
    collection = overrides.get("milvus", {}).get("collection", values["milvus"]["collection"])
    assert env["SLO_SCOUT_PIPELINE_MILVUS_COLLECTION"] == collection
    topics = {**values["kafka"]["topics"]["names"],
              **overrides.get("kafka", {}).get("topics", {}).get("names", {})}
    assert env["SLO_SCOUT_PIPELINE_JOURNEYS_TOPIC"] == topics["journeysNew"]
    assert env["SLO_SCOUT_PIPELINE_DEAD_LETTER_TOPIC"] == topics["deadLetter"]
    # Vectors are keyed by environment: the one the journey job records journeys under.
    journey = one(variant, "FlinkDeployment", "-journey-job")
    journey_env = {e["name"]: e.get("value") for e in pod_spec(journey)["containers"][0]["env"]}  # type: ignore[index]
    assert env["SLO_SCOUT_PIPELINE_ENVIRONMENT"] == journey_env["SLO_SCOUT_PIPELINE_ENVIRONMENT"]
    if overrides.get("milvus", {}).get("enabled", values["milvus"]["enabled"]):
        assert env["SLO_SCOUT_PIPELINE_MILVUS_URI"].endswith("-milvus.slo.svc:19530")


def _topics(variant: str) -> dict[str, str]:
    from tests.infrastructure.chart import chart

    return {**chart().values["kafka"]["topics"]["names"],
            **values_of(variant).get("kafka", {}).get("topics", {}).get("names", {})}


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_catalog_job_reads_the_collectors_topics_and_writes_the_journey_job_s_database(
        variant: str) -> None:
    ref, env = _job_env(variant, "catalog-job")
    topics = _topics(variant)
    assert env["SLO_SCOUT_PIPELINE_METRICS_TOPIC"]["value"] == topics["metrics"], ref
    assert env["SLO_SCOUT_PIPELINE_LOGS_TOPIC"]["value"] == topics["logs"], ref
    assert env["SLO_SCOUT_PIPELINE_DEAD_LETTER_TOPIC"]["value"] == topics["deadLetter"], ref
    # The topics the collectors write to are the ones it reads.
    collector = pod_spec(one(variant, "Deployment", "-collector"))["containers"][0]  # type: ignore[index]
    collector_env = {e["name"]: e.get("value") for e in collector["env"]}
    for name in ("METRICS", "LOGS", "DEAD_LETTER"):
        written = collector_env[f"SLO_SCOUT_COLLECTOR_TOPICS__{name}"]
        assert written == env[f"SLO_SCOUT_PIPELINE_{name}_TOPIC"]["value"], name
    # Its rows are keyed by the environment the journey job records, in the same database,
    # so templates join the journey job's trace ledger.
    journey = one(variant, "FlinkDeployment", "-journey-job")
    journey_env = {e["name"]: e for e in pod_spec(journey)["containers"][0]["env"]}  # type: ignore[index]
    for name in ("SLO_SCOUT_PIPELINE_ENVIRONMENT", "SLO_SCOUT_PIPELINE_DATABASE_DSN"):
        assert env[name] == journey_env[name], f"{ref}: {name}"
    assert "secretKeyRef" in env["SLO_SCOUT_PIPELINE_DATABASE_DSN"]["valueFrom"]  # type: ignore[operator]


def _inserted_columns(module: str) -> dict[str, set[str]]:
    """``{table: columns}`` of every ``INSERT INTO table (columns)`` in a module's SQL strings
    (adjacent literals are one constant in the syntax tree, so split statements read whole)."""
    import re

    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin
    found: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse(Path(spec.origin).read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            for table, columns in re.findall(r"INSERT INTO (\w+) \(([^)]*)\)", node.value):
                found.setdefault(table, set()).update(c.strip() for c in columns.split(","))
    return found


def test_the_tables_the_catalog_job_writes_are_created_by_the_migration_hook_job(
        tmp_path: Path) -> None:
    import os
    import shutil
    import sqlite3
    import subprocess
    import sys

    written = _inserted_columns("slo_scout_streaming.catalog_store")
    assert {"metric_catalog", "log_templates", "log_template_traces"} <= set(written)
    # The hook Job's own command and arguments (the control plane image's entrypoint is
    # `slo-scout`), on a SQLite file instead of the release's PostgreSQL.
    job = pod_spec(one("default", "Job", "-migrations"))["containers"][0]  # type: ignore[index]
    cli = shutil.which("slo-scout", path=str(Path(sys.executable).parent))
    assert cli is not None, "the slo-scout console script is not installed in this environment"
    db = tmp_path / "schema.db"
    env = {**os.environ, "SLO_SCOUT_DATABASE_URL": f"sqlite+aiosqlite:///{db}"}
    subprocess.run([cli, *job["args"]], env=env, check=True, timeout=120, capture_output=True)
    with sqlite3.connect(db) as conn:
        created = {table: {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
                   for (table,) in conn.execute("SELECT name FROM sqlite_master "
                                                "WHERE type = 'table'")}
    for table, columns in written.items():
        assert table in created, f"the catalog job writes {table}, which no migration creates"
        assert columns <= created[table], f"{table} has no {columns - created[table]}"
