# syntax=docker/dockerfile:1.7
# Flink job image: the journey job, run by the Flink Kubernetes Operator (`FlinkDeployment`,
# application mode, `PythonDriver`), and the embedding and catalog jobs, plain Kafka consumers
# started from the same image by Deployments (`python -m slo_scout_streaming.embedding_job`:
# torch, the model and pymilvus are here; `python -m slo_scout_streaming.catalog_job`: drain3).
# Built FROM the official Flink 2.0 image.
#
# Base images are pinned by exact tag; the release pipeline adds digests (this repository's build
# machine cannot reach the registry to check one, and an unchecked digest would be a guess).
# The official flink:2.0 image is Ubuntu 22.04 with Python 3.10; the project needs 3.11, so a
# standalone CPython 3.11 is installed with uv (portable builds that do not depend on the
# distribution's libc version); they ship the headers, and uv points their compiler at `cc`,
# so gcc here (the python stage only) compiles the hot path below.
ARG FLINK_IMAGE=flink:2.0.2-scala_2.12-java17
ARG FLINK_VERSION=2.0.2

FROM ${FLINK_IMAGE} AS jars
# The two Kafka connector jars, fetched from Maven Central at build time and checked against
# SHA-256 sums taken from the same official Apache artifacts.
ARG MAVEN=https://repo1.maven.org/maven2
ARG KAFKA_CONNECTOR_VERSION=4.0.1-2.0
ARG KAFKA_CONNECTOR_SHA256=842885a51c768b2f31c946a2071656c166ee8cc6d3c02fe6c557e134e03bf228
ARG KAFKA_CLIENTS_VERSION=3.9.1
ARG KAFKA_CLIENTS_SHA256=7568b998572d256f0b7bc0afdc1b7a2588b8b08415c62ce314c864a6851ae9d9
WORKDIR /jars
RUN set -eux; \
    wget -nv -O flink-connector-kafka.jar \
      "${MAVEN}/org/apache/flink/flink-connector-kafka/${KAFKA_CONNECTOR_VERSION}/flink-connector-kafka-${KAFKA_CONNECTOR_VERSION}.jar"; \
    wget -nv -O kafka-clients.jar \
      "${MAVEN}/org/apache/kafka/kafka-clients/${KAFKA_CLIENTS_VERSION}/kafka-clients-${KAFKA_CLIENTS_VERSION}.jar"; \
    echo "${KAFKA_CONNECTOR_SHA256}  flink-connector-kafka.jar" | sha256sum -c -; \
    echo "${KAFKA_CLIENTS_SHA256}  kafka-clients.jar" | sha256sum -c -

FROM ${FLINK_IMAGE} AS python
ENV UV_PYTHON_INSTALL_DIR=/opt/python UV_NO_CACHE=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends python3-pip gcc libc6-dev; \
    python3 -m pip install uv==0.13.8; \
    uv python install 3.11.14; \
    "$(uv python find 3.11.14)" -m venv /opt/slo-scout; \
    /opt/slo-scout/bin/pip install pip==25.3 setuptools==80.9.0 wheel==0.45.1; \
    rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml LICENSE ./
COPY infrastructure/docker/pins.py ./pins.py
COPY scripts/install-nodeps.sh ./install-nodeps.sh
COPY scripts/compile-hot-path.py ./scripts/compile-hot-path.py
COPY backend ./backend
COPY collectors ./collectors
COPY streaming ./streaming
ARG FLINK_VERSION
# 1. torch from the CPU index (the default index's Linux wheel pulls the CUDA stack), pinned in
#    the embeddings extra. 2. The streaming extra (what runs; the test brokers are in
#    streaming-test) minus Milvus Lite: here the jobs reach a Milvus server by URI. 3. PyFlink
#    without its dependencies, as scripts/install-pyflink.sh does: it would pull apache-beam
#    (process mode only; the jobs run in thread mode), and apache-flink-libraries would
#    duplicate the jars the image already has under FLINK_HOME. 4. drain3 (the catalog job's
#    log template miner) without its dependencies, by the project's own script and pin: it pins
#    cachetools==4.2.1 and jsonpickle==1.5.1, against pymilvus' cachetools>=5 and the streaming
#    extra's jsonpickle, both installed in step 2; importing the catalog job proves they resolve.
RUN set -eux; \
    /opt/slo-scout/bin/python pins.py pyproject.toml --extra embeddings --only torch > /tmp/torch.txt; \
    /opt/slo-scout/bin/python pins.py pyproject.toml --extra streaming --exclude milvus-lite \
      > /tmp/streaming.txt; \
    /opt/slo-scout/bin/pip install --no-compile --index-url https://download.pytorch.org/whl/cpu \
      -r /tmp/torch.txt; \
    /opt/slo-scout/bin/pip install --no-compile . -r /tmp/streaming.txt; \
    /opt/slo-scout/bin/pip install --no-compile --no-deps "apache-flink==${FLINK_VERSION}"; \
    PYTHON=/opt/slo-scout/bin/python bash install-nodeps.sh; \
    /opt/slo-scout/bin/python -c "import slo_scout_streaming.catalog_job"; \
    /opt/slo-scout/bin/python -m compileall -q /opt/slo-scout
# The trace hot path compiled with mypyc in site-packages (slo_scout/speedups.py; the script
# compiles a copy of the package, so mypy types it as `make` does). mypy runs from /tmp/mypyc on
# PYTHONPATH and never enters the venv that ships; the check proves the hot modules load compiled
# without it.
RUN set -eux; \
    /opt/slo-scout/bin/python pins.py pyproject.toml --extra dev --only mypy > /tmp/mypy.txt; \
    /opt/slo-scout/bin/pip install --no-compile --target /tmp/mypyc -r /tmp/mypy.txt; \
    PYTHONPATH=/tmp/mypyc /opt/slo-scout/bin/python scripts/compile-hot-path.py; \
    rm -rf /tmp/mypyc; \
    /opt/slo-scout/bin/python -c "import importlib.util as iu; from slo_scout import speedups as s; \
      assert iu.find_spec('mypy') is None, 'mypy ships'; \
      raise SystemExit([m for m in s.MODULES if m not in s.in_use()] or None)"

FROM ${FLINK_IMAGE} AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE_URL=
ARG FLINK_VERSION
LABEL org.opencontainers.image.title="slo-scout-flink" \
      org.opencontainers.image.description="SLO Scout journey job on Flink 2.0, the embedding and catalog jobs" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="docker.io/library/flink:2.0.2-scala_2.12-java17"
COPY --from=python /opt/python /opt/python
COPY --from=python /opt/slo-scout /opt/slo-scout
# The jobs add the connector jars themselves (env.add_jars) from SLO_SCOUT_PIPELINE_JARS_DIR, by
# the file names slo_scout_streaming.journey_job.JARS lists; they stay out of /opt/flink/lib so
# no class is loaded twice.
COPY --from=jars /jars/flink-connector-kafka.jar /opt/slo-scout/jars/flink-connector-kafka-4.0.1-2.0.jar
COPY --from=jars /jars/kafka-clients.jar /opt/slo-scout/jars/kafka-clients-3.9.1.jar
# PythonDriver lives in the flink-python jar under opt/; the FlinkDeployment's jarURI names this
# fixed path, so a Flink upgrade that renames the jar fails the build rather than the job.
RUN set -eux; \
    cp "/opt/flink/opt/flink-python-${FLINK_VERSION}.jar" /opt/flink/opt/flink-python.jar; \
    chown 9999:9999 /opt/flink/opt/flink-python.jar; \
    test -d /opt/flink/plugins/metrics-prometheus || { \
      mkdir -p /opt/flink/plugins/metrics-prometheus; \
      cp /opt/flink/opt/flink-metrics-prometheus-*.jar /opt/flink/plugins/metrics-prometheus/; }
# python.executable / python.client.executable point here (set in the FlinkDeployment).
ENV PATH=/opt/slo-scout/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1
# The official image starts as root and steps down with gosu; running as the flink user (9999)
# directly is what the operator's pods do, and the image works that way.
USER 9999:9999
EXPOSE 6123 8081 9249
# JobManager and TaskManager share the image but not their ports: healthy means the JVM is up.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, sys; sys.exit(0 if any(open(f'/proc/{p}/comm').read().strip() == 'java' for p in os.listdir('/proc') if p.isdigit()) else 1)"]
