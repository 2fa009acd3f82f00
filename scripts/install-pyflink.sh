#!/usr/bin/env bash
# Installs PyFlink 2.0.2 into the virtualenv without its dependencies (idempotent).
#
# apache-flink 2.0.2 requires apache-beam 2.54-2.61, which pins protobuf<6, numpy<2.2 and
# grpcio<1.66: incompatible with the project's protobuf==7.36.2. Beam is only used by PyFlink's
# *process* execution mode; our jobs run in thread mode (pemja), which does not import it. The
# remaining dependencies PyFlink needs are pinned in the 'streaming' extra of pyproject.toml.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-$root/.venv/bin/python}"
if "$python" -c "import importlib.metadata as m, sys; sys.exit(m.version('apache-flink') != '2.0.2')" 2>/dev/null; then
  exit 0
fi
"$python" -m pip install --disable-pip-version-check -q --no-deps \
  "apache-flink==2.0.2" "apache-flink-libraries==2.0.2"
