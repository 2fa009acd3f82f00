# syntax=docker/dockerfile:1.7
# Collector image: `slo-scout collect` (OTLP/gRPC 4317; OTLP/HTTP, remote_write, Loki push and
# /metrics on 4318), producing to Kafka.
#
# Base images are pinned by exact tag. Digests are added by the release pipeline
# (`docker buildx imagetools inspect`), which can reach the registry; this repository's build
# machine cannot, and a digest written here without being checked would be a guess.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
# A C compiler for the hot path below; the image ships Python's headers. Build stage only.
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/* \
 && python -m venv /opt/slo-scout \
 && /opt/slo-scout/bin/pip install pip==25.3 setuptools==80.9.0 wheel==0.45.1
COPY pyproject.toml LICENSE ./
COPY infrastructure/docker/pins.py ./pins.py
COPY scripts/compile-hot-path.py ./scripts/compile-hot-path.py
COPY backend ./backend
COPY collectors ./collectors
COPY streaming ./streaming
# The collector needs only the Kafka, gRPC and compression packages of the streaming extra
# (not PyFlink, torch or the test brokers); their pins come from pyproject.toml.
RUN python pins.py pyproject.toml --extra streaming \
      --only aiokafka,grpcio,googleapis-common-protos,cramjam > /tmp/collector-requirements.txt \
 && /opt/slo-scout/bin/pip install --no-compile . -r /tmp/collector-requirements.txt \
 && /opt/slo-scout/bin/python -m compileall -q /opt/slo-scout
# The trace hot path compiled with mypyc in site-packages (slo_scout/speedups.py; the script
# compiles a copy of the package, so mypy types it as `make` does). mypy runs from /tmp/mypyc on
# PYTHONPATH and never enters the venv that ships; the check proves the hot modules load compiled
# without it.
RUN python pins.py pyproject.toml --extra dev --only mypy > /tmp/mypy.txt \
 && /opt/slo-scout/bin/pip install --no-compile --target /tmp/mypyc -r /tmp/mypy.txt \
 && PYTHONPATH=/tmp/mypyc /opt/slo-scout/bin/python scripts/compile-hot-path.py \
 && rm -rf /tmp/mypyc \
 && /opt/slo-scout/bin/python -c "import importlib.util as iu; from slo_scout import speedups as s; \
      assert iu.find_spec('mypy') is None, 'mypy ships'; \
      raise SystemExit([m for m in s.MODULES if m not in s.in_use()] or None)"

FROM ${PYTHON_IMAGE} AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE_URL=
LABEL org.opencontainers.image.title="slo-scout-collector" \
      org.opencontainers.image.description="SLO Scout collector: OTLP, remote_write and Loki push into Kafka" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="docker.io/library/python:3.11.14-slim-bookworm"
RUN groupadd --system --gid 10001 slo-scout \
 && useradd --system --uid 10001 --gid slo-scout --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin slo-scout
COPY --from=build /opt/slo-scout /opt/slo-scout
# Stateless: nothing is written but /tmp, so the root filesystem can be read-only.
ENV PATH=/opt/slo-scout/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SLO_SCOUT_COLLECTOR_HOST=0.0.0.0 \
    SLO_SCOUT_COLLECTOR_HTTP_PORT=4318 \
    SLO_SCOUT_COLLECTOR_GRPC_PORT=4317
VOLUME ["/tmp"]
USER 10001:10001
EXPOSE 4317 4318
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:4318/healthz', timeout=4).status == 200 else 1)"]
ENTRYPOINT ["slo-scout", "collect"]
