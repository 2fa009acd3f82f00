# syntax=docker/dockerfile:1.7
# Control plane image: `slo-scout serve` (API) and `slo-scout worker` run from it, and the chart's
# migration hook Job runs `slo-scout migrate` (Alembic `upgrade head`) from it.
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
# Runtime dependencies are exact pins in pyproject.toml; nothing here floats.
# pymilvus (from the streaming extra, pinned there): the API reads journey vectors from the
# Milvus server for similar journeys; no Milvus Lite and no torch in this image.
RUN python pins.py pyproject.toml --extra streaming --only pymilvus > /tmp/vectors.txt \
 && /opt/slo-scout/bin/pip install --no-compile . -r /tmp/vectors.txt \
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
LABEL org.opencontainers.image.title="slo-scout-control-plane" \
      org.opencontainers.image.description="SLO Scout API server, analysis worker and migrations" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="docker.io/library/python:3.11.14-slim-bookworm"
RUN groupadd --system --gid 10001 slo-scout \
 && useradd --system --uid 10001 --gid slo-scout --home-dir /var/lib/slo-scout \
      --shell /usr/sbin/nologin slo-scout \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/slo-scout
COPY --from=build /opt/slo-scout /opt/slo-scout
# Bytecode is compiled at build time, so a read-only root filesystem costs nothing at start;
# the only writable paths are /tmp and the data directory (both volumes in the chart).
ENV PATH=/opt/slo-scout/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/var/lib/slo-scout \
    SLO_SCOUT_DATA_DIR=/var/lib/slo-scout \
    SLO_SCOUT_HOST=0.0.0.0 \
    SLO_SCOUT_PORT=8000
WORKDIR /var/lib/slo-scout
VOLUME ["/var/lib/slo-scout", "/tmp"]
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]
ENTRYPOINT ["slo-scout"]
CMD ["serve"]
